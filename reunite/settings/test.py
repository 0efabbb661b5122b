import tempfile
from pathlib import Path

from reunite.env import env_bool, env_path, env_str
from reunite.settings.base import *  # noqa: F403

# Each test session writes photos and indexes to its own scratch folder.
_SCRATCH = Path(tempfile.mkdtemp(prefix="reunite-test-"))
# A test's Celery worker is given the same folders through the environment.
MEDIA_ROOT = env_path("REUNITE_MEDIA_ROOT", _SCRATCH / "media")
FACE_INDEX_DIR = env_path("REUNITE_INDEX_DIR", _SCRATCH / "index")
# Tests not about faces run on the deterministic fake engine; the engine's own tests, the
# end-to-end and browser tests and the accuracy tools ask for the real one (`real_engine`).
FACE_ENGINE = env_str("REUNITE_FACE_ENGINE", "fake")
AUDIT_CHECKPOINT_FILE = env_path("REUNITE_AUDIT_CHECKPOINT_FILE", _SCRATCH / "audit-checkpoints")
# Unit tests run tasks in-process; the end-to-end tests switch to a real worker.
CELERY_TASK_ALWAYS_EAGER = env_bool("REUNITE_TASKS_EAGER", True)
# ...and inside the request, so a test sees a photo processed when the upload returns; the
# `background_tasks` fixture turns the embedded default's background thread on.
TASKS_IN_BACKGROUND = env_bool("REUNITE_TASKS_IN_BACKGROUND", False)
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Serve static files from the apps' folders; tests never run collectstatic.
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
# Django's test client signs in without a request, which django-axes refuses; the
# throttling test switches it back on.
AXES_ENABLED = False
# Portal tests sign reviewers in with force_login; tests of the second factor switch it on
# Throttle counters start from zero in every test run.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# The embedded default's SQLite test database in a file, not in memory: an in-memory one
# shares a cache whose table locks fail at once ("database table is locked") when a browser
# test's page loads two audited photos together; a file waits on the busy timeout, as the
# embedded default does in use.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": str(_SCRATCH / "test.sqlite3")}  # noqa: F405
# /metrics reads the database at every scrape (the cache is kept across tests).
METRICS_CACHE_SECONDS = 0
# The pseudo-locale (every message wrapped in [[…]]) proves every template string is marked.
LANGUAGES = [*LANGUAGES, PSEUDO_LANGUAGE]  # noqa: F405
