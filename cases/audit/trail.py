"""The audit trail: append-only records, each chained to the one before by SHA-256."""

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
    _lock_chain()
    last = AuditEvent.objects.order_by("-sequence").only("sequence", "hash").first()
    if organisation is None and actor is not None:
        organisation = actor.organisation
    event = AuditEvent(
        sequence=(last.sequence + 1) if last else 1,
        created_at=timezone.now(),
        actor=actor,
        actor_label=actor.username if actor else "system",
        organisation=organisation,
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        ip_address=ip_address or client_ip.get(),
        data=data or {},
        prev_hash=last.hash if last else GENESIS_HASH,
    )
    # Round-trip through JSON so the hash matches what the database gives back later.
    event.data = json.loads(json.dumps(event.data, default=str))
    event.hash = _event_hash(prev_hash=event.prev_hash, payload=_payload(event))
    event.save(force_insert=True)
    return event


def audit_verify() -> tuple[int, AuditEvent | None]:
    """Walk the chain. Returns (records checked, first broken record or None)."""
    prev_hash = GENESIS_HASH
    checked = 0
    expected_sequence = 1
    for event in AuditEvent.objects.order_by("sequence").iterator(chunk_size=2000):
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
