"""The audit trail: append-only records, sealed into a hash chain in one place.

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
import json
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone

from cases.audit.events import audit_event_get
from cases.models import AuditEvent, Organisation, User

GENESIS_HASH = "0" * 64
# Any constant works; it only has to be the same for every writer.
_PG_AUDIT_LOCK = 0x52455541

# Set per request by `AuditContextMiddleware`, so services need not pass the client IP.
client_ip: contextvars.ContextVar[str | None] = contextvars.ContextVar("client_ip", default=None)


def _event_hash(*, prev_hash: str, payload: dict[str, Any]) -> str:
    body = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{prev_hash}|{body}".encode()).hexdigest()


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
        if len(pending) < batch:
            return sealed


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
