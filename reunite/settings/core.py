"""The Django project itself: paths, apps, middleware, templates, database, static
files. E-mail and logging are in operations.py. Every other settings module builds on
BASE_DIR and DATA_DIR here.
"""

from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF

from reunite.env import env_bool, env_file_load, env_list, env_path, env_str

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
    # Content-Security-Policy (django-csp): the policy is below.
    "csp",
    "cases",
    "matching",
]

MIDDLEWARE = [
    # An id for every request, in its log lines and its X-Request-ID response header.
    "reunite.kernel.logs.RequestIdMiddleware",
    # /healthz and /readyz: before the host check and HTTPS redirect (see reunite/ops/health.py).
    "reunite.ops.health.HealthMiddleware",
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    # The portal's translation of domain errors (NotAllowed -> the 403 page). Early in the
    # list, so its process_exception runs after the metrics middleware has counted the error.
    "reunite.kernel.middleware.DomainErrorMiddleware",
    "cases.access.middleware.RequestSizeLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The page's language: the language cookie (the switcher), else Accept-Language. After
    # the session, before CommonMiddleware (as Django asks); docs/i18n.md.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # A signed-in user's profile language wins over the cookie and the browser's.
    "cases.portal.language.UserLanguageMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "cases.access.otp.SecondFactorRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "cases.access.middleware.AuditContextMiddleware",
    # RateLimit-* headers from the API's throttles (cases/access/throttling.py).
    "cases.access.throttling.RateLimitHeadersMiddleware",
    # Break-glass accounts leave a trail: every superuser request is an audit record.
    "cases.access.middleware.SuperuserAuditMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into a 429 page.
    "axes.middleware.AxesMiddleware",
]

# Scripts and styles come only from our own static files. A nonce admits the few inline
# blocks that carry per-page data (the face picker's boxes, Swagger UI's start-up); blob:
# images are the upload previews. Nothing may frame the pages or post them elsewhere.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "blob:"],
        "connect-src": [SELF],
        "font-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

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
                "django.template.context_processors.i18n",
                "cases.portal.context_processors.languages",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "cases.portal.context_processors.permissions",
            ],
            # `|day` and `|moment`: the one date format, on every page, in its language; and
            # `{% translate %}` everywhere without a `{% load i18n %}` in each template.
            "builtins": ["cases.templatetags.dates", "django.templatetags.i18n"],
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
            "NAME": str(DATA_DIR / "reunite.sqlite3"),
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
# The languages every page, form and e-mail template is translated into (docs/i18n.md adds
# one). Each is named in its own language: the switcher shows these names.
LANGUAGES = [
    ("en-gb", "English"),
    ("fr", "Français"),
    ("es", "Español"),
    ("ar", "العربية"),
    ("uk", "Українська"),
]
# A pseudo-locale for tests only (reunite/settings/test.py adds it): every message wrapped
# in [[…]], so a page with unmarked English shows it plainly. The code is Android's and
# Chrome's pseudo-locale; `manage.py i18n_pseudo` writes its catalogue.
PSEUDO_LANGUAGE = ("en-xa", "[[Pseudo]]")
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"] if (BASE_DIR / "static").is_dir() else []

# Photos never live under a public media URL; they are read through cases.records.storage.
MEDIA_ROOT = env_path("REUNITE_MEDIA_ROOT", DATA_DIR / "media")

LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"
