import tempfile
from pathlib import Path

from reunite.settings.base import *  # noqa: F403

# Each test session writes photos and indexes to its own scratch folder.
_SCRATCH = Path(tempfile.mkdtemp(prefix="reunite-test-"))
MEDIA_ROOT = _SCRATCH / "media"
FACE_INDEX_DIR = _SCRATCH / "index"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
