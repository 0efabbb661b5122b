"""API keys: shown once, stored as SHA-256 only, rotated and revoked, last use recorded."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cases.access.permissions import Action, action_require, role_allows, user_can
from cases.audit.trail import audit_record
from cases.models import ApiKey, User
from reunite.kernel.errors import InvalidInput, NotAllowed

# Only roles that file cases and reports (partner, caseworker) may hold keys. Reviewers, org
# admins and operators act only in a session that passed the second factor: a key would let
# them skip it (issue 11). Refused here for every path, the console included, and again when
# a key is used (a key made before this rule).
SECOND_FACTOR_MESSAGE = gettext_lazy(
    "Reviewers, organisation admins and operators cannot hold API keys: they act only after "
    "signing in with their second factor. Only partner and caseworker accounts hold API keys."
)


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _manager_check(*, manager: User | None, user: User) -> None:
    """None is the command line (an operator at the console). An org admin manages only
    their own organisation's keys."""
    if manager is None:
        return
    action_require(user=manager, action=Action.APIKEY_MANAGE)
    if (
        not user_can(manager, Action.ALL_ORGANISATIONS)
        and manager.organisation_id != user.organisation_id
    ):
        raise NotAllowed(_("You may manage keys only for your own organisation."))


@transaction.atomic
def apikey_create(*, user: User, created_by: User | None, name: str = "") -> tuple[ApiKey, str]:
    """Returns the stored key and the only copy of its secret."""
    _manager_check(manager=created_by, user=user)
    if not role_allows(user.role, Action.APIKEY_HOLD):
        raise InvalidInput({"user": SECOND_FACTOR_MESSAGE})
    prefix = secrets.token_hex(4)
    key = f"rk_{prefix}_{secrets.token_urlsafe(32)}"
    api_key = ApiKey.objects.create(user=user, name=name[:100], prefix=prefix, key_hash=_hash(key))
    audit_record(
        actor=created_by,
        action="apikey.created",
        obj=api_key,
        organisation=user.organisation,
        data={"for_user": user.username, "prefix": prefix},
    )
    return api_key, key


@transaction.atomic
def apikey_revoke(*, api_key: ApiKey, revoked_by: User | None) -> ApiKey:
    _manager_check(manager=revoked_by, user=api_key.user)
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at"])
        audit_record(
            actor=revoked_by,
            action="apikey.revoked",
            obj=api_key,
            organisation=api_key.user.organisation,
            data={"prefix": api_key.prefix},
        )
    return api_key


@transaction.atomic
def apikey_rotate(
    *, api_key: ApiKey, rotated_by: User | None, grace_hours: int = 24
) -> tuple[ApiKey, str]:
    """A new key for the same user and name; the old one keeps working for `grace_hours`
    (0: stops now), so an integration can switch without downtime."""
    _manager_check(manager=rotated_by, user=api_key.user)
    api_key = ApiKey.objects.select_for_update().get(pk=api_key.pk)
    if api_key.revoked_at is not None:
        raise InvalidInput(_("This key is revoked; create a new one instead."))
    # The new key is credited to whoever rotated (None only at the console).
    new_key, secret = apikey_create(user=api_key.user, created_by=rotated_by, name=api_key.name)
    ends = timezone.now() + dt.timedelta(hours=max(grace_hours, 0))
    if api_key.expires_at is None or ends < api_key.expires_at:
        api_key.expires_at = ends
        api_key.save(update_fields=["expires_at"])
    audit_record(
        actor=rotated_by,
        action="apikey.rotated",
        obj=api_key,
        organisation=api_key.user.organisation,
        data={"prefix": api_key.prefix, "new_prefix": new_key.prefix, "expires_at": ends},
    )
    return new_key, secret


def apikey_list(*, user: User) -> QuerySet[ApiKey]:
    """Keys the user may manage: their organisation's (an operator: all)."""
    action_require(user=user, action=Action.APIKEY_MANAGE)
    keys = ApiKey.objects.select_related("user").order_by("-created_at")
    if not user_can(user, Action.ALL_ORGANISATIONS):
        keys = keys.filter(user__organisation=user.organisation)
    return keys


def apikey_authenticate(*, key: str) -> ApiKey | None:
    """The live key matching `key`, or None. Touches last_used_at at most once a minute."""
    now = timezone.now()
    api_key = (
        ApiKey.objects.select_related("user__organisation")
        .filter(key_hash=_hash(key), revoked_at__isnull=True)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .first()
    )
    if api_key is None:
        return None
    if api_key.last_used_at is None or (now - api_key.last_used_at).total_seconds() > 60:
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
    return api_key
