from reunite.env import env_bool, env_int, env_str
from reunite.settings.base import *  # noqa: F403
from reunite.settings.operations import LOG_LEVEL, logging_config

DEBUG = False
SECRET_KEY = env_str("DJANGO_SECRET_KEY")  # must be set
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True

PHOTO_ENCRYPTION_KEY = env_str("REUNITE_PHOTO_ENCRYPTION_KEY")  # must be set
if not SECRET_KEY or not PHOTO_ENCRYPTION_KEY:
    raise RuntimeError("DJANGO_SECRET_KEY and REUNITE_PHOTO_ENCRYPTION_KEY must be set.")

# One JSON object per line (with the request or task id) unless REUNITE_LOG_FORMAT=text.
LOG_FORMAT = env_str("REUNITE_LOG_FORMAT", "json")
LOGGING = logging_config(log_format=LOG_FORMAT, level=LOG_LEVEL)
