"""Settings shared by every environment. Every value can come from the environment."""

import datetime as dt
from pathlib import Path

import dj_database_url
from celery.schedules import crontab

from reunite.env import env_bool, env_file_load, env_float, env_int, env_list, env_path, env_str

BASE_DIR = Path(__file__).resolve().parent.parent.parent
env_file_load(BASE_DIR / ".env")
DATA_DIR = env_path("REUNITE_DATA_DIR", BASE_DIR / "data")

SECRET_KEY = env_str("DJANGO_SECRET_KEY", "dev-only-insecure-secret-key-change-me")
DEBUG = env_bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "cases",
    "matching",
]

MIDDLEWARE = [
    "cases.middleware.RequestSizeLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "cases.otp.SecondFactorRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "cases.middleware.AuditContextMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into a 429 page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "reunite.urls"
WSGI_APPLICATION = "reunite.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# With no DATABASE_URL the service runs on an embedded SQLite file.
DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
else:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA_DIR / "reunite.sqlite3",
            "OPTIONS": {"timeout": 30, "transaction_mode": "IMMEDIATE"},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "cases.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"] if (BASE_DIR / "static").is_dir() else []

# Photos never live under a public media URL; they are read through cases.storage.
MEDIA_ROOT = env_path("REUNITE_MEDIA_ROOT", DATA_DIR / "media")

LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

# --- Uploads -------------------------------------------------------------------------------
PHOTO_MAX_BYTES = env_int("REUNITE_PHOTO_MAX_BYTES", 15 * 1024 * 1024)
PHOTO_MAX_PIXELS = env_int("REUNITE_PHOTO_MAX_PIXELS", 40_000_000)
PHOTO_MIN_SIDE = env_int("REUNITE_PHOTO_MIN_SIDE", 64)
# The stored, normalised copy is at most this many pixels on its long side.
PHOTO_STORE_MAX_SIDE = env_int("REUNITE_PHOTO_STORE_MAX_SIDE", 2048)
PHOTOS_PER_REQUEST = env_int("REUNITE_PHOTOS_PER_REQUEST", 10)
# Django refuses bodies larger than this before reading them into memory.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("REUNITE_REQUEST_MAX_BYTES", 2 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
REQUEST_MAX_BYTES = env_int("REUNITE_UPLOAD_REQUEST_MAX_BYTES", 60 * 1024 * 1024)

# --- Matching ------------------------------------------------------------------------------
# "deepface": the real models. "fake": a deterministic stand-in for tests not about faces.
FACE_ENGINE = env_str("REUNITE_FACE_ENGINE", "deepface")
# DeepFace reads weights from $DEEPFACE_HOME/.deepface/weights; we place ours there.
DEEPFACE_HOME = env_path("DEEPFACE_HOME", DATA_DIR / "deepface")
FACE_INDEX_DIR = env_path("REUNITE_INDEX_DIR", DATA_DIR / "index")
# Detection runs on a copy at most this long on its long side.
DETECT_MAX_SIDE = env_int("REUNITE_DETECT_MAX_SIDE", 1024)
# Faces narrower than this (in the stored photo) are too small to compare reliably.
MIN_FACE_PIXELS = env_int("REUNITE_MIN_FACE_PIXELS", 40)
# When HOG finds no face, try dlib's CNN (MMOD) detector; see docs/accuracy.md.
DETECT_CNN_FALLBACK = env_bool("REUNITE_DETECT_CNN_FALLBACK", True)
# The calibration profile (matching/profiles/<name>.json, or a path to one). It defines the
# embedding space (recognisers, fusion weights, jitter, mirroring) and its thresholds. A
# profile for another space takes effect through `manage.py reembed`; see docs/accuracy.md.
MATCH_PROFILE = env_str("REUNITE_MATCH_PROFILE", "sface-dlib-lfw-dev-v1")
# Target false-match rate per comparison that `calibrate` turns into a threshold.
TARGET_FMR = env_float("REUNITE_TARGET_FMR", 0.001)
# Cosine similarity of L2-normalised descriptors. Unset: the active profile's threshold.
_threshold = env_str("REUNITE_CANDIDATE_THRESHOLD").strip()
CANDIDATE_THRESHOLD = float(_threshold) if _threshold not in ("", "None") else None
# Age bands (years) above which cross-age review bands are widened.
LARGE_AGE_GAP_YEARS = env_float("REUNITE_LARGE_AGE_GAP_YEARS", 5.0)
# Slack (years) allowed between the missing child's expected age and the estimated age range.
AGE_TOLERANCE_YEARS = env_float("REUNITE_AGE_TOLERANCE_YEARS", 2.0)
SEARCH_TOP_K = env_int("REUNITE_SEARCH_TOP_K", 50)
FAISS_THREADS = env_int("REUNITE_FAISS_THREADS", 1)
# The index file is a snapshot of the Embedding rows: written after this many changes or
# seconds (and on worker shutdown); a crash in between loses nothing. See docs/scaling.md.
FACE_INDEX_SNAPSHOT_EVERY = env_int("REUNITE_INDEX_SNAPSHOT_EVERY", 10_000)
FACE_INDEX_SNAPSHOT_SECONDS = env_int("REUNITE_INDEX_SNAPSHOT_SECONDS", 300)
# Exact search up to this many faces a side; above it IVF-SQ8 re-ranked exactly.
FACE_INDEX_EXACT_MAX = env_int("REUNITE_INDEX_EXACT_MAX", 100_000)
FACE_INDEX_NPROBE = env_int("REUNITE_INDEX_NPROBE", 128)
# More lists cost build time (k-means, assignment) without better recall per ms scanned on
# face-like vectors (bench/search.py): above ~1M faces lists grow instead.
FACE_INDEX_NLIST_MAX = env_int("REUNITE_INDEX_NLIST_MAX", 2048)
FACE_INDEX_TRAIN_PER_LIST = env_int("REUNITE_INDEX_TRAIN_PER_LIST", 40)
# The approximate shortlist holds this many times SEARCH_TOP_K faces before re-ranking.
FACE_INDEX_SHORTLIST_FACTOR = env_int("REUNITE_INDEX_SHORTLIST_FACTOR", 2)
# A photo stuck in `processing` longer than this is taken back by the recovery sweep.
PROCESSING_LEASE_SECONDS = env_int("REUNITE_PROCESSING_LEASE_SECONDS", 300)
FACES_DIR = env_path("REUNITE_FACES_DIR", BASE_DIR.parent / "shared" / "faces")

# --- Celery --------------------------------------------------------------------------------
# With no REDIS_URL, tasks run in-process right after the transaction commits.
REDIS_URL = env_str("REDIS_URL")
# Throttle counters must be shared by every process, so they live in Redis when it is there.
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "reunite",
        }
    }
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env_int("REUNITE_BROKER_VISIBILITY_TIMEOUT", 3600),
    "global_keyprefix": env_str("REUNITE_BROKER_PREFIX", ""),
}
CELERY_TASK_ROUTES = {
    "matching.tasks.photo_process": {"queue": "embed"},
    "matching.tasks.embedding_index": {"queue": "index"},
    "matching.tasks.index_faces_remove": {"queue": "index"},
    "matching.tasks.photos_recover": {"queue": "embed"},
    "matching.tasks.faces_reembed_task": {"queue": "embed"},
    "cases.tasks.retention_sweep": {"queue": "default"},
    "cases.webhook_tasks.*": {"queue": "default"},
}
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_BEAT_SCHEDULE = {
    "recover-stuck-photos": {
        "task": "matching.tasks.photos_recover",
        "schedule": env_int("REUNITE_RECOVER_EVERY_SECONDS", 60),
    },
    "webhook-retry": {
        "task": "cases.webhook_tasks.webhook_deliveries_retry",
        "schedule": env_int("REUNITE_WEBHOOK_SWEEP_SECONDS", 30),
    },
    "retention-sweep": {
        "task": "cases.tasks.retention_sweep",
        "schedule": crontab(
            hour=env_int("REUNITE_RETENTION_SWEEP_HOUR", 2), minute=30
        ),  # daily, UTC
    },
}

# --- API -----------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "cases.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "cases.api_errors.problem_exception_handler",
    # Per API key; over the rate: 429 `throttled` with Retry-After.
    "DEFAULT_THROTTLE_CLASSES": ["cases.throttling.ApiClientRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "api_client": env_str("REUNITE_API_RATE", "300/min"),
        "api_bulk": env_str("REUNITE_API_BULK_RATE", "20/min"),
    },
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.MultiPartParser",
        "rest_framework.parsers.FormParser",
    ],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Reunite API",
    "DESCRIPTION": "Missing-child cases, found-child reports and human review of candidates.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # The docs page's assets are served by us, never from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # `<rid:...>` ids in the URLs (cases/converters.py).
    "PATH_CONVERTER_OVERRIDE": {
        "rid": {"type": "integer", "minimum": 1, "maximum": 999_999_999_999_999_999},
    },
}

# --- Partner API: webhooks -----------------------------------------------------------------
# Development and tests only: allow http:// and private addresses as webhook URLs.
WEBHOOK_ALLOW_PRIVATE_URLS = env_bool("REUNITE_WEBHOOK_ALLOW_PRIVATE_URLS", False)
WEBHOOK_TIMEOUT_SECONDS = env_float("REUNITE_WEBHOOK_TIMEOUT_SECONDS", 10.0)
WEBHOOK_MAX_ATTEMPTS = env_int("REUNITE_WEBHOOK_MAX_ATTEMPTS", 10)
# Retry n waits base x 2^(n-1) seconds (at most 6 hours): 30 s, 1 min, 2 min, ...
WEBHOOK_RETRY_BASE_SECONDS = env_int("REUNITE_WEBHOOK_RETRY_BASE_SECONDS", 30)

EMAIL_BACKEND = env_str("DJANGO_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("REUNITE_LOG_LEVEL", "INFO")},
}

# Fernet key (32 url-safe base64 bytes) for photos at rest. Generate one with
#   python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"
PHOTO_ENCRYPTION_KEY = env_str("REUNITE_PHOTO_ENCRYPTION_KEY")

# --- Safeguards ----------------------------------------------------------------------------
# Biometric data of a reunited or closed case is erased this many days after closing.
CASE_RETENTION_DAYS = env_int("REUNITE_CASE_RETENTION_DAYS", 30)
# A found report is erased this many days after it was filed, unless a candidate is open.
REPORT_RETENTION_DAYS = env_int("REUNITE_REPORT_RETENTION_DAYS", 365)
RETENTION_BATCH_SIZE = env_int("REUNITE_RETENTION_BATCH_SIZE", 100)
# Per-organisation daily limits (UTC days); an organisation's own fields override them.
DAILY_REPORT_LIMIT = env_int("REUNITE_DAILY_REPORT_LIMIT", 200)
DAILY_PHOTO_LIMIT = env_int("REUNITE_DAILY_PHOTO_LIMIT", 1000)
# A day above SURGE_FACTOR x the 14-day daily average, and at least SURGE_FLOOR, is flagged.
SURGE_FACTOR = env_float("REUNITE_SURGE_FACTOR", 3.0)
SURGE_FLOOR = env_int("REUNITE_SURGE_FLOOR", 50)

# --- Accounts ------------------------------------------------------------------------------
SESSION_COOKIE_AGE = env_int("DJANGO_SESSION_COOKIE_AGE", 8 * 60 * 60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = env_bool("DJANGO_SESSION_EXPIRE_AT_BROWSER_CLOSE", True)
AUTHENTICATION_BACKENDS = [
    # Refuses sign-ins for a username + address that failed too often (django-axes).
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_ENABLED = env_bool("REUNITE_SIGNIN_THROTTLE", True)
AXES_FAILURE_LIMIT = env_int("REUNITE_SIGNIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = dt.timedelta(minutes=env_int("REUNITE_SIGNIN_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# Reviewers and org admins must pass a TOTP second factor before any portal page.
REQUIRE_2FA = env_bool("REUNITE_REQUIRE_2FA", True)
OTP_TOTP_ISSUER = env_str("REUNITE_OTP_ISSUER", "Reunite")
