"""The second factor (TOTP, via django-otp) for reviewers and org admins.

Reviewers see children's faces across organisations and org admins manage keys and users,
so a stolen password alone must not be enough for either.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.utils import timezone
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from cases.access.http import AuthenticatedHttpRequest
from cases.access.permissions import role_needs_second_factor
from cases.audit.trail import audit_record
from cases.models import User
from reunite.kernel.api.problems import PROBLEM_CONTENT_TYPE, problem_body

SETUP_PATH = "/accounts/2fa/"
# Pages a signed-in user may reach before the second factor: sign-in/out, 2FA, assets.
# /api/problems/ is public documentation, where every problem's `type` points.
EXEMPT_PREFIXES = ("/accounts/", "/static/", "/admin/logout/", "/api/problems/")


def second_factor_required(user: User | AnonymousUser) -> bool:
    return bool(
        settings.REQUIRE_2FA
        and isinstance(user, User)
        and user.is_authenticated
        and role_needs_second_factor(user.role)
    )


def totp_device_confirmed(*, user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def totp_device_pending(*, user: User) -> TOTPDevice:
    """The user's unconfirmed device (a fresh secret), created on first use."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)
    return device


def totp_secret_base32(*, device: TOTPDevice) -> str:
    """The secret as authenticator apps expect it to be typed in."""
    return base64.b32encode(device.bin_key).decode().rstrip("=")


def totp_wait_seconds(*, device: TOTPDevice) -> int:
    """Seconds before django-otp will check another code on this device (0: now).

    After a wrong code django-otp refuses every code, the right one too, for 1, 2, 4, ...
    seconds; the page must say "wait", not "that code is not right".
    """
    allowed, details = device.verify_is_allowed()
    if allowed:
        return 0
    until = (details or {}).get("locked_until")
    if until is None:
        return 1
    return max(1, math.ceil((until - timezone.now()).total_seconds()))


@transaction.atomic
def totp_verify(*, request: AuthenticatedHttpRequest, device: TOTPDevice, token: str) -> bool:
    """Check a code; on success confirm the device and mark the session verified.

    django-otp throttles repeated wrong codes on the device itself. Its counter is read
    and written by the device object, so the row is locked first: concurrent guesses
    queue here, and each sees the failures before it (never more codes checked than
    the counter records).
    """
    user = request.user
    device = TOTPDevice.objects.select_for_update().get(pk=device.pk)
    ok = device.verify_token((token or "").strip().replace(" ", ""))
    if not ok:
        audit_record(actor=user, action="auth.second_factor_failed", obj=user)
        return False
    if not device.confirmed:
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        audit_record(actor=user, action="auth.second_factor_enrolled", obj=user)
    otp_login(request, device)
    audit_record(actor=user, action="auth.second_factor_verified", obj=user)
    return True


class SecondFactorRequiredMiddleware:
    """Send a signed-in reviewer or org admin without a verified second factor to 2FA.

    API requests authenticated by key are not affected (the key is the credential); a
    session-authenticated API call without the second factor gets a 403 problem.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        # OTPMiddleware adds is_verified() to the user at run time; the stubs cannot know.
        if not second_factor_required(user) or user.is_verified():  # type: ignore[union-attr]
            return self.get_response(request)
        path = request.path_info
        if path.startswith(EXEMPT_PREFIXES):
            return self.get_response(request)
        if path.startswith("/api/"):
            body = problem_body(
                code="second_factor_required",
                title="Second factor required",
                status_code=403,
                # Roles with a second factor never hold API keys (Action.APIKEY_HOLD).
                detail="This session has not passed the second factor. Enter the code from "
                f"your authenticator app at {SETUP_PATH} in the same browser session, then "
                "retry the request.",
            )
            return JsonResponse(body, status=403, content_type=PROBLEM_CONTENT_TYPE)
        return HttpResponseRedirect(f"{SETUP_PATH}?{urlencode({'next': request.get_full_path()})}")
