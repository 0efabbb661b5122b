"""Sign-ins and failed sign-ins go to the audit trail, with the client's address."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

from cases.audit.trail import audit_record
from cases.models import User


def _ip(request: HttpRequest | None) -> str | None:
    return request.META.get("REMOTE_ADDR") if request is not None else None


@receiver(user_logged_in, dispatch_uid="reunite_audit_login")
def _audit_login(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    audit_record(actor=user, action="auth.login", obj=user, ip_address=_ip(request))


@receiver(user_logged_out, dispatch_uid="reunite_audit_logout")
def _audit_logout(
    sender: Any, request: HttpRequest | None, user: User | None, **kwargs: Any
) -> None:
    if user is not None:
        audit_record(actor=user, action="auth.logout", obj=user, ip_address=_ip(request))


@receiver(user_login_failed, dispatch_uid="reunite_audit_login_failed")
def _audit_login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    # Django has already masked the password; keep only the username that was tried.
    username = str(credentials.get("username", ""))[:150]
    known = User.objects.filter(username=username).select_related("organisation").first()
    audit_record(
        actor=None,
        action="auth.login_failed",
        obj=known,
        organisation=known.organisation if known else None,
        data={"username": username},
        ip_address=_ip(request),
    )
