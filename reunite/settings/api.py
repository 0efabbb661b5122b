"""The partner API: authentication, throttles, errors, the OpenAPI schema, webhooks."""

from reunite.env import env_bool, env_float, env_int, env_str

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "cases.access.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "reunite.api.problems.problem_exception_handler",
    # Per API key; over the rate: 429 `throttled` with Retry-After.
    "DEFAULT_THROTTLE_CLASSES": ["cases.access.throttling.ApiClientRateThrottle"],
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
    # No deep links: Swagger UI puts each one, a link, inside the operation's button, which
    # screen readers cannot reach (axe-core: nested-interactive).
    "SWAGGER_UI_SETTINGS": {"deepLinking": False},
    "REDOC_DIST": "SIDECAR",
    # `<rid:...>` ids in the URLs (cases/converters.py).
    "PATH_CONVERTER_OVERRIDE": {
        "rid": {"type": "integer", "minimum": 1, "maximum": 999_999_999_999_999_999},
    },
}

# Development and tests only: allow http:// and private addresses as webhook URLs.
WEBHOOK_ALLOW_PRIVATE_URLS = env_bool("REUNITE_WEBHOOK_ALLOW_PRIVATE_URLS", False)
WEBHOOK_TIMEOUT_SECONDS = env_float("REUNITE_WEBHOOK_TIMEOUT_SECONDS", 10.0)
WEBHOOK_MAX_ATTEMPTS = env_int("REUNITE_WEBHOOK_MAX_ATTEMPTS", 10)
# Retry n waits base x 2^(n-1) seconds (at most 6 hours): 30 s, 1 min, 2 min, ...
WEBHOOK_RETRY_BASE_SECONDS = env_int("REUNITE_WEBHOOK_RETRY_BASE_SECONDS", 30)
# Idempotency keys are kept this long (a retry within it returns the first result), then
# deleted by the hourly sweep. A found report's external_ref still dedupes after that.
IDEMPOTENCY_KEY_HOURS = env_int("REUNITE_IDEMPOTENCY_KEY_HOURS", 24)
