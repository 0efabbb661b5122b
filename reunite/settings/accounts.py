"""Sign-in: sessions, throttling of failed sign-ins, the second factor."""

import datetime as dt

from reunite.env import env_bool, env_int, env_str

SESSION_COOKIE_AGE = env_int("DJANGO_SESSION_COOKIE_AGE", 8 * 60 * 60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = env_bool("DJANGO_SESSION_EXPIRE_AT_BROWSER_CLOSE", True)
AUTHENTICATION_BACKENDS = [
    # Refuses sign-ins for a username + address that failed too often (django-axes).
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_ENABLED = env_bool("REUNITE_SIGNIN_THROTTLE", True)
# Reverse proxies whose X-Forwarded-For is believed (addresses or networks, comma-separated).
# Empty: the client is REMOTE_ADDR, and X-Forwarded-For is ignored.
TRUSTED_PROXIES = [p for p in env_str("REUNITE_TRUSTED_PROXIES", "").split(",") if p.strip()]
AXES_CLIENT_IP_CALLABLE = "cases.access.addresses.client_address"
AXES_FAILURE_LIMIT = env_int("REUNITE_SIGNIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = dt.timedelta(minutes=env_int("REUNITE_SIGNIN_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# The lockout is the branded page (status 429, templates/429.html), not django-axes' text.
AXES_LOCKOUT_CALLABLE = "cases.portal.errors.lockout_response"
# Reviewers and org admins must pass a TOTP second factor before any portal page.
REQUIRE_2FA = env_bool("REUNITE_REQUIRE_2FA", True)
OTP_TOTP_ISSUER = env_str("REUNITE_OTP_ISSUER", "Reunite")
# An invitation's or a password reset's e-mailed link works once, for this many hours.
PASSWORD_RESET_TIMEOUT = env_int("REUNITE_ACCOUNT_LINK_HOURS", 48) * 60 * 60
# Password-reset requests answered per address per hour; more get the same answer, no e-mail.
PASSWORD_RESET_PER_HOUR = env_int("REUNITE_PASSWORD_RESET_PER_HOUR", 5)
# Superusers are break-glass accounts: `check --deploy` warns about an active one unless this
# ISO date-time (e.g. 2026-12-06T18:00Z, the end of an incident) is still in the future.
_BREAK_GLASS = env_str("REUNITE_BREAK_GLASS_UNTIL")
BREAK_GLASS_UNTIL = (
    dt.datetime.fromisoformat(_BREAK_GLASS.replace("Z", "+00:00")) if _BREAK_GLASS else None
)
if BREAK_GLASS_UNTIL is not None and BREAK_GLASS_UNTIL.tzinfo is None:
    BREAK_GLASS_UNTIL = BREAK_GLASS_UNTIL.replace(tzinfo=dt.UTC)
