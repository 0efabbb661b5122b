"""Rotating the photo encryption key: re-encrypt every stored file in the background.

Procedure (docs/safeguards.md): make a new key current and keep the old one in
`PHOTO_ENCRYPTION_OLD_KEYS` on every process, restart them, then queue the rotation. Batches
of photo files (in id order) are re-encrypted with the current key, each batch audited with
the last id it reached; a batch re-queues the next. A stopped rotation resumes after the
last audited batch, and any file already under the current key is skipped, so running it
again changes nothing. Webhook signing secrets, encrypted with the same key, go first.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.db import transaction

from cases.audit.trail import audit_record
from cases.models import AuditEvent, Photo, WebhookEndpoint
from cases.records.storage import (
    encryption_keys,
    photo_file_is_current,
    photo_file_rotate,
    secret_rotate,
)


@dataclass(frozen=True)
class KeyRotationStatus:
    current: int
    old: int
    missing: int


def key_id() -> str:
    """A short, one-way name for the current key, so audit records say which key a batch
    moved to without holding the key."""
    return hashlib.sha256(b"reunite-photo-key:" + encryption_keys()[0]).hexdigest()[:12]


def photo_key_rotation_status() -> KeyRotationStatus:
    """Count photo files under the current key, under an old key, and missing (reads all)."""
    counts = {True: 0, False: 0, None: 0}
    for path in Photo.objects.exclude(file="").values_list("file", flat=True).iterator():
        counts[photo_file_is_current(path=path)] += 1
    return KeyRotationStatus(current=counts[True], old=counts[False], missing=counts[None])


def photo_key_rotation_resume_point() -> int:
    """The last photo id an audited batch reached for the current key (0: start)."""
    last = (
        AuditEvent.objects.filter(action="storage.key_rotated", data__key_id=key_id())
        .order_by("-pk")
        .values_list("data", flat=True)
        .first()
    )
    return int(last["last_id"]) if last else 0


@transaction.atomic
def webhook_secrets_rotate() -> int:
    """Re-encrypt webhook signing secrets with the current key. Returns how many changed."""
    changed = 0
    for endpoint in WebhookEndpoint.objects.select_for_update().only("pk", "secret"):
        rotated = secret_rotate(token=endpoint.secret)
        if rotated is not None:
            WebhookEndpoint.objects.filter(pk=endpoint.pk).update(secret=rotated)
            changed += 1
    return changed


@transaction.atomic
def photo_key_rotation_start() -> int:
    """Audit the start of a rotation and rotate the webhook secrets. Returns the resume id."""
    secrets = webhook_secrets_rotate()
    after_id = photo_key_rotation_resume_point()
    audit_record(
        actor=None,
        action="storage.key_rotation_started",
        data={"key_id": key_id(), "after_id": after_id, "webhook_secrets": secrets},
    )
    return after_id


def photo_key_rotate_batch(*, after_id: int, batch_size: int) -> tuple[int, int | None]:
    """Re-encrypt the next `batch_size` photo files after `after_id` with the current key.

    Returns (files re-encrypted, the last id reached, or None when there are no more). Each
    file is replaced atomically, so readers always see a file the configured keys decrypt.
    """
    batch = list(
        Photo.objects.filter(pk__gt=after_id)
        .exclude(file="")
        .order_by("pk")
        .values_list("pk", "file")[:batch_size]
    )
    if not batch:
        with transaction.atomic():
            audit_record(
                actor=None, action="storage.key_rotation_finished", data={"key_id": key_id()}
            )
        return 0, None
    rotated = sum(photo_file_rotate(path=path) for _, path in batch)
    last_id = batch[-1][0]
    with transaction.atomic():
        audit_record(
            actor=None,
            action="storage.key_rotated",
            data={
                "key_id": key_id(),
                "first_id": batch[0][0],
                "last_id": last_id,
                "checked": len(batch),
                "rotated": rotated,
            },
        )
    return rotated, last_id
