"""API keys: shown once, stored as SHA-256 only, revocable."""

from __future__ import annotations

import hashlib
import secrets

from django.db import transaction
from django.utils import timezone

from cases.audit import audit_record
from cases.models import ApiKey, User


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def apikey_create(*, user: User, created_by: User | None, name: str = "") -> tuple[ApiKey, str]:
    """Returns the stored key and the only copy of its secret."""
    prefix = secrets.token_hex(4)
    key = f"rk_{prefix}_{secrets.token_urlsafe(32)}"
    api_key = ApiKey.objects.create(user=user, name=name, prefix=prefix, key_hash=_hash(key))
    audit_record(
        actor=created_by,
        action="apikey.created",
        obj=api_key,
        organisation=user.organisation,
        data={"for_user": user.username},
    )
    return api_key, key


@transaction.atomic
def apikey_revoke(*, api_key: ApiKey, revoked_by: User | None) -> ApiKey:
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at"])
        audit_record(
            actor=revoked_by,
            action="apikey.revoked",
            obj=api_key,
            organisation=api_key.user.organisation,
        )
    return api_key


def apikey_authenticate(*, key: str) -> ApiKey | None:
    """The live key matching `key`, or None. Touches last_used_at at most once a minute."""
    api_key = (
        ApiKey.objects.select_related("user__organisation")
        .filter(key_hash=_hash(key), revoked_at__isnull=True)
        .first()
    )
    if api_key is None:
        return None
    now = timezone.now()
    if api_key.last_used_at is None or (now - api_key.last_used_at).total_seconds() > 60:
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
    return api_key
