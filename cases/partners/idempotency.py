"""Create requests that are safe to retry: `Idempotency-Key` and `external_ref`.

A retry returns what the first request created. Two concurrent twins are settled by unique
constraints (IdempotencyKey per organisation and key; external_ref per organisation): the
loser's transaction fails and it answers with the winner's record.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy

from cases.access.permissions import Action, action_require, user_organisation
from cases.models import FoundReport, IdempotencyKey, MissingCase, User
from cases.records import services
from reunite.kernel.errors import InvalidInput, ReuniteError

KEY_MAX_LENGTH = 200


class IdempotencyKeyReused(ReuniteError):
    """The key was already used for a different request body."""

    code = "idempotency_key_reused"
    status = 422
    title = gettext_lazy("Idempotency-Key already used")

    def __init__(self, key: str) -> None:
        self.key = key
        super().__init__(
            f"The Idempotency-Key {key[:40]!r} was already used with a different request. "
            "Use a new key for a new request."
        )


def request_fingerprint(*, fields: dict[str, Any], photos: list[services.PhotoUpload]) -> str:
    """SHA-256 of the fields and the photos' bytes, independent of field order."""
    digest = hashlib.sha256()
    digest.update(json.dumps(fields, sort_keys=True, default=str).encode())
    for photo in photos:
        digest.update(hashlib.sha256(photo.data).digest())
        digest.update(json.dumps([photo.taken_on, photo.age_in_photo], default=str).encode())
    return digest.hexdigest()


def _replay(*, user: User, scope: str, key: str, fingerprint: str) -> IdempotencyKey | None:
    record = (
        IdempotencyKey.objects.select_related("found_report", "case")
        .filter(organisation=user.organisation, scope=scope, key=key)
        .first()
    )
    if record is not None and record.fingerprint != fingerprint:
        raise IdempotencyKeyReused(key)
    return record


def _replayed_report(known: IdempotencyKey) -> FoundReport:
    # A report-scoped key always points at its report (the key row is written with it).
    assert known.found_report is not None
    return known.found_report


def report_create_idempotent(
    *,
    user: User,
    idempotency_key: str,
    photos: list[services.PhotoUpload],
    external_ref: str,
    **fields: Any,
) -> tuple[FoundReport, bool]:
    """Like `report_create`, and a repeated `idempotency_key` returns the first result.

    Returns (report, created).
    """
    action_require(user=user, action=Action.REPORT_CREATE)
    if not idempotency_key:
        return services.report_create(user=user, photos=photos, external_ref=external_ref, **fields)
    scope = IdempotencyKey.Scope.REPORT
    fingerprint = request_fingerprint(
        fields={"external_ref": external_ref, **fields}, photos=photos
    )
    known = _replay(user=user, scope=scope, key=idempotency_key, fingerprint=fingerprint)
    if known is not None:
        return _replayed_report(known), False
    # The same body has the same external_ref, which the database keeps unique per
    # organisation: concurrent twins get one report. Photos are checked before any
    # transaction opens (report_create's own rule), so the key is recorded after it.
    report, created = services.report_create(
        user=user, photos=photos, external_ref=external_ref, **fields
    )
    try:
        with transaction.atomic():
            IdempotencyKey.objects.create(
                organisation=user_organisation(user=user),
                scope=scope,
                key=idempotency_key,
                fingerprint=fingerprint,
                found_report=report,
            )
    except IntegrityError:
        # A concurrent twin recorded the key first; a different body is refused.
        known = _replay(user=user, scope=scope, key=idempotency_key, fingerprint=fingerprint)
        if known is None:
            raise
        # The twin may have recorded the key for the report this request created.
        return _replayed_report(known), created and known.found_report_id == report.pk
    return report, created


def case_create_idempotent(
    *,
    user: User,
    idempotency_key: str,
    photos: list[services.PhotoUpload],
    external_ref: str = "",
    **fields: Any,
) -> tuple[MissingCase, bool]:
    """Like `case_create`; a repeated key or non-empty `external_ref` returns the first case.

    external_ref is optional on cases, so the key is recorded in the case's transaction:
    of two concurrent twins, the one that fails on the key constraint rolls its case back.
    """
    action_require(user=user, action=Action.CASE_CREATE)
    scope = IdempotencyKey.Scope.CASE
    fingerprint = request_fingerprint(
        fields={"external_ref": external_ref, **fields}, photos=photos
    )

    def existing() -> MissingCase | None:
        if idempotency_key:
            known = _replay(user=user, scope=scope, key=idempotency_key, fingerprint=fingerprint)
            if known is not None:
                return known.case
        if external_ref:
            return MissingCase.objects.filter(
                organisation=user.organisation, external_ref=external_ref
            ).first()
        return None

    found = existing()
    if found is not None:
        return found, False

    def key_record(case: MissingCase) -> None:
        if idempotency_key:
            IdempotencyKey.objects.create(
                organisation=user_organisation(user=user),
                scope=scope,
                key=idempotency_key,
                fingerprint=fingerprint,
                case=case,
            )

    try:
        # The key is recorded inside case_create's own transaction: photos are normalised
        # and stored before it opens, and no transaction here may hold locks meanwhile.
        case = services.case_create(
            user=user,
            photos=photos,
            external_ref=external_ref,
            on_created=key_record,
            **fields,
        )
    except (IntegrityError, InvalidInput):
        # A concurrent twin won (full_clean may see its external_ref first); else re-raise.
        found = existing()
        if found is None:
            raise
        return found, False
    return case, True


def idempotency_keys_expire(*, batch_size: int = 1000) -> tuple[int, bool]:
    """Delete one batch of keys older than IDEMPOTENCY_KEY_HOURS. Returns (deleted, more)."""
    cutoff = timezone.now() - dt.timedelta(hours=settings.IDEMPOTENCY_KEY_HOURS)
    ids = list(
        IdempotencyKey.objects.filter(created_at__lt=cutoff)
        .order_by("id")
        .values_list("pk", flat=True)[: batch_size + 1]
    )
    more = len(ids) > batch_size
    deleted, _ = IdempotencyKey.objects.filter(pk__in=ids[:batch_size]).delete()
    return deleted, more
