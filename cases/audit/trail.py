"""The audit trail: append-only records, sealed into an HMAC chain in one place.

The chain is keyed (HMAC-SHA256 with `AUDIT_CHAIN_KEY`, never stored in the database), so
someone who can write SQL cannot recompute it after an edit. After each seal the head
(sequence and hash) is appended to a checkpoint file outside the database, so deleting the
newest records is caught too: `audit_verify` finds the last checkpoint's record missing or
different.

Why two steps. An action appends its record inside its own transaction with a plain INSERT and
takes no lock for it. Sealing (giving each record its `sequence`, `prev_hash` and `hash`) happens
afterwards, in `audit_seal`, in a transaction of its own that holds only the chain lock and
touches only audit rows. Transparency logs work the same way (append, then sequence). So the
chain lock is never held while an action waits for a row lock (e.g. the organisation row that
the daily limits take), and no cycle between them can form.

Lock order for every write path (docs/architecture.md, "Lock order"):
  1. the organisation row (daily limits, `select_for_update`), taken first when taken at all;
  2. the rows the action writes (case, report, photo, candidate) in the order the action runs;
  3. the chain lock, only ever taken alone, by `audit_seal`, after the action committed.
"""

from __future__ import annotations

import contextvars
import hashlib
import hmac
import json
import logging
import os
from typing import Any

from django.conf import settings
from django.db import connection, models, transaction
from django.utils import timezone

from cases.audit.events import audit_event_get
from cases.models import AuditEvent, Organisation, User

logger = logging.getLogger(__name__)

GENESIS_HASH = "0" * 64
# Any constant works; it only has to be the same for every writer.
_PG_AUDIT_LOCK = 0x52455541

# Set per request by `AuditContextMiddleware`, so services need not pass the client IP.
client_ip: contextvars.ContextVar[str | None] = contextvars.ContextVar("client_ip", default=None)


def _chain_key() -> bytes:
    if settings.AUDIT_CHAIN_KEY:
        return settings.AUDIT_CHAIN_KEY.encode()
    return hashlib.sha256(f"reunite-audit-chain|{settings.SECRET_KEY}".encode()).digest()


def _event_hash(*, prev_hash: str, payload: dict[str, Any]) -> str:
    body = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hmac.new(_chain_key(), f"{prev_hash}|{body}".encode(), hashlib.sha256).hexdigest()


def _checkpoint_write(*, sequence: int, head: str) -> None:
    """Append the head outside the database (and to the log, for whoever ships logs)."""
    line = json.dumps({"sequence": sequence, "hash": head, "at": timezone.now().isoformat()})
    logger.info("audit checkpoint %s", line)
    path = settings.AUDIT_CHECKPOINT_FILE
    if not path:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as handle:
        handle.write(line + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def audit_checkpoint_last() -> dict[str, Any] | None:
    """The checkpoint with the highest sequence among the last ones written, or None."""
    path = settings.AUDIT_CHECKPOINT_FILE
    if not path or not path.is_file():
        return None
    with open(path, "rb") as handle:
        start = max(0, handle.seek(0, os.SEEK_END) - 64 * 1024)
        handle.seek(start)
        tail = handle.read().decode(errors="replace").splitlines()
    if start:
        tail = tail[1:]  # the first line read may be cut
    checkpoints = []
    for line in tail:
        try:
            checkpoints.append(json.loads(line))
        except ValueError:
            continue  # a torn last line after a crash
    return max(checkpoints, key=lambda c: c["sequence"], default=None)


def _payload(event: AuditEvent) -> dict[str, Any]:
    return {
        "sequence": event.sequence,
        "created_at": event.created_at.isoformat(),
        "actor_id": event.actor_id,
        "actor_label": event.actor_label,
        "organisation_id": event.organisation_id,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "ip_address": event.ip_address,
        "data": event.data,
    }


def _lock_chain() -> None:
    # Taken only by audit_seal, in a transaction that holds no other lock (lock order, above).
    # SQLite runs write transactions one at a time already (IMMEDIATE mode).
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_PG_AUDIT_LOCK])


@transaction.atomic
def audit_record(
    *,
    actor: User | None,
    action: str,
    obj: models.Model | None = None,
    organisation: Organisation | None = None,
    data: dict[str, Any] | None = None,
    ip_address: str | None = None,
) -> AuditEvent:
    """Append one audit record. Call it inside the transaction of the action it records.

    `action` must be registered in cases/audit/events.py. `ip_address` defaults to the
    current request's client address.
    """
    audit_event_get(action)
    if organisation is None and actor is not None:
        organisation = actor.organisation
    event = AuditEvent(
        created_at=timezone.now(),
        actor=actor,
        actor_label=actor.username if actor else "system",
        organisation=organisation,
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        ip_address=ip_address or client_ip.get(),
        data=data or {},
    )
    # Round-trip through JSON so the hash matches what the database gives back later.
    event.data = json.loads(json.dumps(event.data, default=str))
    # No lock here: see the module docstring. Sealed once this transaction has committed.
    event.save(force_insert=True)
    transaction.on_commit(audit_seal, robust=True)
    return event


def audit_seal(*, batch: int = 500) -> int:
    """Seal every committed, unsealed record into the chain, in the order they were appended.

    The only place the chain lock is taken, in a transaction of its own. Runs after each
    audited commit and every minute from beat (a record whose process died before its
    on-commit hook is sealed by the next run). Returns how many records it sealed.
    """
    sealed = 0
    head: tuple[int, str] | None = None
    while True:
        with transaction.atomic():
            _lock_chain()
            last = (
                AuditEvent.objects.filter(sequence__isnull=False)
                .order_by("-sequence")
                .only("sequence", "hash")
                .first()
            )
            sequence: int = (last.sequence or 0) if last else 0
            prev_hash: str = (last.hash or GENESIS_HASH) if last else GENESIS_HASH
            pending = list(AuditEvent.objects.filter(sequence__isnull=True).order_by("id")[:batch])
            for event in pending:
                sequence += 1
                event.sequence = sequence
                event.prev_hash = prev_hash
                event.hash = _event_hash(prev_hash=prev_hash, payload=_payload(event))
                prev_hash = event.hash
            AuditEvent.objects.bulk_update(pending, ["sequence", "prev_hash", "hash"])
        sealed += len(pending)
        if pending:
            head = (sequence, prev_hash)
        if len(pending) < batch:
            break
    if head is not None:
        # After the commit: a checkpoint always names a record that exists.
        _checkpoint_write(sequence=head[0], head=head[1])
    return sealed


def audit_checkpoint_check() -> str | None:
    """Compare the chain with the last checkpoint. None when it holds, else what is wrong."""
    checkpoint = audit_checkpoint_last()
    if checkpoint is None:
        return None
    event = AuditEvent.objects.filter(sequence=checkpoint["sequence"]).first()
    if event is None:
        newest = AuditEvent.objects.filter(sequence__isnull=False).order_by("-sequence").first()
        return (
            f"the last checkpoint names record #{checkpoint['sequence']} "
            f"(written {checkpoint['at']}), but the chain ends at "
            f"#{newest.sequence if newest else 0}: newest records were deleted"
        )
    if event.hash != checkpoint["hash"]:
        return (
            f"record #{checkpoint['sequence']} no longer has the hash its checkpoint "
            f"recorded at {checkpoint['at']}: the chain was rewritten"
        )
    return None


def audit_verify() -> tuple[int, AuditEvent | None]:
    """Seal what is pending, then walk the chain.

    Returns (records checked, first broken record or None).
    """
    audit_seal()
    prev_hash = GENESIS_HASH
    checked = 0
    expected_sequence = 1
    chain = AuditEvent.objects.filter(sequence__isnull=False).order_by("sequence")
    for event in chain.iterator(chunk_size=2000):
        if (
            event.sequence != expected_sequence
            or event.prev_hash != prev_hash
            or event.hash != _event_hash(prev_hash=prev_hash, payload=_payload(event))
        ):
            return checked, event
        prev_hash = event.hash
        expected_sequence += 1
        checked += 1
    return checked, None
