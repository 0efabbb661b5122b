"""Celery and the shared cache. With no REDIS_URL, tasks run in-process after commit."""

from celery.schedules import crontab

from reunite.env import env_bool, env_int, env_str

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
# Without a broker, photo processing runs on one background thread after the request has
# answered (reunite/kernel/tasks.py::task_send), so an upload returns at once. Off: it runs inside
# the request that committed the photo.
TASKS_IN_BACKGROUND = env_bool("REUNITE_TASKS_IN_BACKGROUND", True)
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env_int("REUNITE_BROKER_VISIBILITY_TIMEOUT", 3600),
    "global_keyprefix": env_str("REUNITE_BROKER_PREFIX", ""),
}
CELERY_TASK_ROUTES = {
    "matching.tasks.photo_process_task": {"queue": "embed"},
    "matching.tasks.embedding_index_task": {"queue": "index"},
    "matching.tasks.index_faces_remove_task": {"queue": "index"},
    "matching.tasks.photos_recover_task": {"queue": "embed"},
    "matching.tasks.faces_reembed_task": {"queue": "embed"},
    "cases.safeguards.tasks.retention_sweep_task": {"queue": "default"},
    "cases.safeguards.tasks.photo_key_rotate_task": {"queue": "default"},
    "cases.partners.tasks.*": {"queue": "default"},
    "cases.audit.tasks.*": {"queue": "default"},
}
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_BEAT_SCHEDULE = {
    "recover-stuck-photos": {
        "task": "matching.tasks.photos_recover_task",
        "schedule": env_int("REUNITE_RECOVER_EVERY_SECONDS", 15),
    },
    "webhook-retry": {
        "task": "cases.partners.tasks.webhook_deliveries_retry_task",
        "schedule": env_int("REUNITE_WEBHOOK_SWEEP_SECONDS", 30),
    },
    # Audit records are sealed on commit; this catches any whose process died first.
    "audit-seal": {"task": "cases.audit.tasks.audit_seal_task", "schedule": 60},
    # The read-only check of the whole chain and every checkpoint; problems log at ERROR.
    "audit-verify": {
        "task": "cases.audit.tasks.audit_verify_task",
        "schedule": crontab(hour=4, minute=15),  # daily, UTC
    },
    "idempotency-keys-expire": {
        "task": "cases.partners.tasks.idempotency_keys_expire_task",
        "schedule": crontab(minute=15),  # hourly
    },
    "photo-files-check": {
        "task": "cases.safeguards.tasks.photo_files_check_task",
        "schedule": crontab(hour=3, minute=45),  # daily, UTC
    },
    "retention-sweep": {
        "task": "cases.safeguards.tasks.retention_sweep_task",
        "schedule": crontab(
            hour=env_int("REUNITE_RETENTION_SWEEP_HOUR", 2), minute=30
        ),  # daily, UTC
    },
}
