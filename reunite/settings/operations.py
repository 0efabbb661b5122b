"""Running the service: health checks, Prometheus metrics, logs and e-mail (docs/operations.md)."""

from reunite.env import env_bool, env_int, env_str

# /metrics answers only a `Authorization: Bearer <token>` with this token; unset, it is a 404.
METRICS_TOKEN = env_str("REUNITE_METRICS_TOKEN")
# gunicorn runs several web processes: each writes its request counters here and /metrics
# adds them up (prometheus_client's multiprocess mode). Empty it before the server starts.
# Unset: one process (runserver, tests), counters kept in memory.
PROMETHEUS_MULTIPROC_DIR = env_str("PROMETHEUS_MULTIPROC_DIR")
# The database's numbers in /metrics are read at most once per this many seconds (shared
# through the cache by every web process); 0 reads them at every scrape.
METRICS_CACHE_SECONDS = env_int("REUNITE_METRICS_CACHE_SECONDS", 15)
# /readyz gives each dependency this long before calling it down.
HEALTH_TIMEOUT_SECONDS = env_int("REUNITE_HEALTH_TIMEOUT_SECONDS", 2)

# "json": one JSON object per line with the request or task id (production default);
# "text": plain lines for a terminal (development default).
LOG_FORMAT = env_str("REUNITE_LOG_FORMAT", "text")
LOG_LEVEL = env_str("REUNITE_LOG_LEVEL", "INFO")

# Links in e-mails point here (the address people open the portal at).
BASE_URL = env_str("REUNITE_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
# SMTP switches on when EMAIL_HOST is set; otherwise e-mails are printed to the console.
EMAIL_HOST = env_str("EMAIL_HOST")
EMAIL_PORT = env_int("EMAIL_PORT", 587)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Reunite <noreply@reunite.invalid>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_BACKEND = env_str(
    "DJANGO_EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend",
)


def logging_config(*, log_format: str, level: str) -> dict:
    """The LOGGING dict: every line carries the request id or the Celery task id."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"context": {"()": "reunite.kernel.logs.LogContextFilter"}},
        "formatters": {
            "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(context)s] %(message)s"},
            "json": {
                "()": "reunite.kernel.logs.JsonFormatter",
                "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
                "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
            },
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "filters": ["context"],
                "formatter": "json" if log_format == "json" else "text",
            }
        },
        "root": {"handlers": ["console"], "level": level},
        # Django's own handlers (plain console lines when DEBUG, mail to ADMINS) are dropped:
        # its records reach the root handler, in the same format as everything else.
        "loggers": {
            "django": {"level": level, "propagate": True},
            "django.server": {"level": level, "propagate": True},
            # FAISS logs every CPU variant it tries at start-up; only its problems matter.
            "faiss.loader": {"level": "WARNING", "propagate": True},
        },
    }


LOGGING = logging_config(log_format=LOG_FORMAT, level=LOG_LEVEL)
