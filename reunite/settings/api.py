"""The partner API: authentication, throttles, errors, the OpenAPI schema, webhooks."""

from reunite.env import env_bool, env_float, env_int, env_str
from reunite.settings.operations import BASE_URL

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "cases.access.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "reunite.kernel.api.schema.ReuniteAutoSchema",
    "EXCEPTION_HANDLER": "reunite.kernel.api.problems.problem_exception_handler",
    # Per API key; over the rate: 429 `throttled` with Retry-After.
    "DEFAULT_THROTTLE_CLASSES": ["cases.access.throttling.ApiClientRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "api_client": env_str("REUNITE_API_RATE", "300/min"),
        "api_bulk": env_str("REUNITE_API_BULK_RATE", "20/min"),
    },
    "DEFAULT_PARSER_CLASSES": [
        # A body nested 1,000 deep is a 400 problem, not a RecursionError.
        "reunite.kernel.api.parsers.BoundedJSONParser",
        "rest_framework.parsers.MultiPartParser",
        "rest_framework.parsers.FormParser",
    ],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Reunite API",
    "DESCRIPTION": "Missing-child cases, found-child reports and human review of candidates.",
    "VERSION": "1.0.0",
    "SERVERS": [{"url": BASE_URL, "description": "This Reunite service"}],
    "CONTACT": {"name": "The operators of this Reunite service", "url": BASE_URL},
    # Every tag an operation has, described (Spectral: operation-tag-defined).
    "TAGS": [
        {"name": "found-reports", "description": "Found-child reports filed by partners."},
        {"name": "cases", "description": "Missing-child cases filed by caseworkers."},
        {"name": "photos", "description": "A photo's state and faces, on either side."},
        {"name": "review", "description": "Human review of possible matches (reviewers)."},
        {"name": "webhooks", "description": "Report outcome events and their delivery log."},
        {"name": "pfif", "description": "PFIF 1.4 interchange (XML, docs/pfif.md)."},
    ],
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Enums in answers are open (known values or any string): v1 may add values.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "reunite.kernel.api.schema.open_response_enums",
        "reunite.kernel.api.schema.document_rate_limit_headers",
    ],
    # Operation ids start after /api/v1/: `found_reports_create`, not `v1_found_reports_create`.
    "SCHEMA_PATH_PREFIX": r"/api/v[0-9]+",
    # The docs page's assets are served by us, never from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # No deep links: Swagger UI puts each one, a link, inside the operation's button, which
    # screen readers cannot reach (axe-core: nested-interactive).
    "SWAGGER_UI_SETTINGS": {"deepLinking": False},
    "REDOC_DIST": "SIDECAR",
    # `<rid:...>` ids in the URLs (cases/converters.py) are integers. The name is plural:
    # the singular one was silently ignored, and ids were typed as strings.
    "PATH_CONVERTER_OVERRIDES": {
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

# PFIF 1.4 interchange (docs/pfif.md). Exported record ids are "<domain>/<reference>": set it
# to the domain this service answers on.
PFIF_RECORD_DOMAIN = env_str("REUNITE_PFIF_DOMAIN", "reunite.invalid")
PFIF_MAX_BYTES = env_int("REUNITE_PFIF_MAX_BYTES", 20 * 1024 * 1024)
# Person records per imported document, like the bulk API's 50 reports.
PFIF_MAX_RECORDS = env_int("REUNITE_PFIF_MAX_RECORDS", 50)

# Every problem's `type` is this URI and `#<code>`: the code's entry in docs/problems.md, which
# the service serves at /api/problems/. Point it at your own published copy of the docs if you
# have one (a URL without a fragment).
PROBLEM_TYPE_BASE_URI = env_str("REUNITE_PROBLEM_BASE_URI", f"{BASE_URL}/api/problems/")
