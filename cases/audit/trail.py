"""The audit trail: append-only records, each MAC'd by its writer, sealed into an HMAC chain.

Who it protects against: someone who can read and write the database (SQL, a backup, a
stolen database password) but does not hold `REUNITE_AUDIT_CHAIN_KEY`, which is never stored
in the database. Three keyed things make the record:

- Each row carries a MAC over its own content, made by `audit_record` in the INSERT itself.
  A row inserted or edited in SQL has no valid MAC, so it is never sealed and `audit_verify`
  names it.
- `audit_seal`, the only code that writes `sequence`, `prev_hash` and `hash`, links rows
  whose MAC verifies into a chain of HMAC links, in the order it seals them.
- After each seal the head (count and hash) is appended, signed, to a checkpoint file outside
  the database (cases/audit/checkpoints.py). `audit_verify` compares every checkpoint, so
  rows deleted, truncated or re-sealed after a checkpoint covered them are caught.

`audit_verify` only reads: a record left unsealed longer than `AUDIT_SEAL_GRACE_SECONDS` is
reported, never sealed by the check that is meant to catch it.

Why two steps. An action appends its record inside its own transaction with a plain INSERT and
takes no lock for it. Sealing happens afterwards, in `audit_seal`, in a transaction of its own
that holds only the chain lock and touches only audit rows. Transparency logs work the same way
(append, then sequence). So the chain lock is never held while an action waits for a row lock
(e.g. the organisation row that the daily limits take), and no cycle between them can form.

Lock order for every write path (docs/architecture.md, "Lock order"):
  1. the organisation row (daily limits, `select_for_update`), taken first when taken at all;
  2. the rows the action writes (case, report, photo, candidate) in the order the action runs;
  3. the chain lock, only ever taken alone, by `audit_seal`, after the action committed.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import hashlib
import hmac
import ipaddress
import json
import logging
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import islice
from typing import Any

from django.conf import settings
from django.db import connection, models, transaction
from django.db.models import Count
from django.utils import timezone

from cases.audit.checkpoints import Checkpoint, CheckpointStatus, checkpoint_write, checkpoints_read
from cases.audit.events import audit_event_get
from cases.audit.keys import audit_key, audit_key_for
from cases.audit.tasks import audit_seal_task
from cases.models import AuditEvent, Organisation, User

logger = logging.getLogger(__name__)

GENESIS_HASH = "0" * 64
# Any constant works; it only has to be the same for every writer.
_PG_AUDIT_LOCK = 0x52455541
# A verification names at most this many problems of each kind, then counts the rest.
_PROBLEMS_SHOWN = 10
# Rows the seal refused (id and MAC), so each is logged once per process.
_refused: set[tuple[int, str | None]] = set()

# Set per request by `AuditContextMiddleware`, so services need not pass the client IP.
client_ip: contextvars.ContextVar[str | None] = contextvars.ContextVar("client_ip", default=None)


def _canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str).encode()


def _ip(value: str | None) -> str | None:
    # The database may spell an address its own way (PostgreSQL's inet); MACs use one spelling.
    if not value:
        return None
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return value  # only SQL can put this here (SQLite stores any text); its MAC fails


def _row_mac(event: AuditEvent) -> str:
    """The MAC over a row's own content, made when it is inserted and checked ever after."""
    content = {
        "nonce": event.nonce,
        "created_at": event.created_at.astimezone(dt.UTC).isoformat(),
        "actor_id": event.actor_id,
        "actor_label": event.actor_label,
        "organisation_id": event.organisation_id,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "ip_address": _ip(event.ip_address),
        "data": event.data,
    }
    return hmac.new(audit_key_for(purpose="row"), _canonical(content), hashlib.sha256).hexdigest()


def _row_mac_valid(event: AuditEvent) -> bool:
    return bool(event.mac) and hmac.compare_digest(event.mac or "", _row_mac(event))


def _payload(event: AuditEvent) -> dict[str, Any]:
    payload = {
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
    # Rows sealed before rows had MACs (migration 0012) keep the link they were sealed with;
    # a newer link covers the MAC too, so stripping it breaks the link.
    if event.mac:
        payload["mac"] = event.mac
    return payload


def _link(*, prev_hash: str, event: AuditEvent) -> str:
    body = _canonical(_payload(event)).decode()
    return hmac.new(audit_key(), f"{prev_hash}|{body}".encode(), hashlib.sha256).hexdigest()


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
    """Append one audit record, with its MAC. Call it inside the transaction of the action.

    `action` must be registered in cases/audit/events.py. `ip_address` defaults to the
    current request's client address.
    """
    audit_event_get(action)
    if organisation is None and actor is not None:
        organisation = actor.organisation
    event = AuditEvent(
        # A random nonce makes every row's MAC unique (a database constraint), so a copy of
        # a genuine row is refused and never sealed.
        nonce=secrets.token_hex(16),
        created_at=timezone.now(),
        actor=actor,
        actor_label=actor.username if actor else "system",
        organisation=organisation,
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        ip_address=ip_address or client_ip.get(),
        # Round-tripped through JSON so the MAC matches what the database gives back later.
        data=json.loads(json.dumps(data or {}, default=str)),
    )
    event.mac = _row_mac(event)
    # No lock here: see the module docstring. Sealed once this transaction has committed.
    event.save(force_insert=True)
    transaction.on_commit(_seal_soon, robust=True)
    return event


def _seal_soon() -> None:
    # With a broker the seal runs on the `default` worker, the one process that keeps the
    # checkpoint file, whichever host committed the record. Without one it runs here, once
    # (an eager task would retry a locked SQLite at once, five times, inside the request):
    # the embedded default is a single process, and the next commit seals what this left.
    if settings.CELERY_TASK_ALWAYS_EAGER:
        audit_seal()
    else:
        audit_seal_task.delay()


def _sealable(events: list[AuditEvent]) -> list[AuditEvent]:
    """The rows audit_record wrote: a valid MAC, carried by no other row (not a copy)."""
    copied = set(
        AuditEvent.objects.filter(mac__in=[e.mac for e in events if e.mac])
        .values("mac")
        .annotate(rows=Count("id"))
        .filter(rows__gt=1)
        .values_list("mac", flat=True)
    )
    sealable = []
    for event in events:
        if _row_mac_valid(event) and event.mac not in copied:
            sealable.append(event)
        elif (event.pk, event.mac) not in _refused:
            # Left unsealed on purpose: audit_verify names it. Logged once per process, since
            # every seal meets it again.
            if len(_refused) > 10_000:
                _refused.clear()
            _refused.add((event.pk, event.mac))
            logger.error(
                "audit record id=%s (%s) was not written by audit_record (no valid MAC of its "
                "own, or a copy): not sealed",
                event.pk,
                event.action,
            )
    return sealable


def audit_seal(*, batch: int = 500) -> int:
    """Seal the committed records that audit_record wrote into the chain, in the order of id.

    The one place that writes `sequence`, `prev_hash` and `hash`, and the one place the chain
    lock is taken, in a transaction of its own. Run by `audit_seal_task` on the `default`
    worker, queued after each audited commit and every minute by beat (a record whose process
    died before its on-commit hook is sealed by the next run); without a broker, in-process
    after each audited commit. A row without a valid MAC of its own is never sealed. Returns
    how many it sealed.
    """
    sealed = 0
    after_id = 0
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
            # Walk on by id, so rows that are never sealed cannot hold up the ones behind them.
            pending = list(
                AuditEvent.objects.filter(sequence__isnull=True, id__gt=after_id).order_by("id")[
                    :batch
                ]
            )
            sealable = _sealable(pending)
            for event in sealable:
                sequence += 1
                event.sequence = sequence
                event.prev_hash = prev_hash
                event.hash = _link(prev_hash=prev_hash, event=event)
                prev_hash = event.hash
            AuditEvent.objects.bulk_update(sealable, ["sequence", "prev_hash", "hash"])
        sealed += len(sealable)
        if sealable:
            head = (sequence, prev_hash)
        if len(pending) < batch:
            break
        after_id = pending[-1].pk
    if head is not None:
        # After the commit: a checkpoint always names a record that exists.
        checkpoint_write(count=head[0], head=head[1])
    return sealed


def audit_verify() -> tuple[int, AuditEvent | None]:
    """Walk the sealed chain, writing nothing.

    Every record must have the next sequence, link to the one before, carry its own MAC and
    have the link the key gives. Returns (records checked, first broken record or None).
    """
    prev_hash = GENESIS_HASH
    checked = 0
    expected_sequence = 1
    # Rows sealed before rows had MACs (migration 0012) come first; none may follow a MAC'd one.
    before_macs = True
    chain = AuditEvent.objects.filter(sequence__isnull=False).order_by("sequence")
    for event in chain.iterator(chunk_size=2000):
        if event.mac:
            before_macs = False
        mac_ok = _row_mac_valid(event) if event.mac else before_macs
        if (
            event.sequence != expected_sequence
            or event.prev_hash != prev_hash
            or not mac_ok
            or event.hash != _link(prev_hash=prev_hash, event=event)
        ):
            return checked, event
        prev_hash = event.hash
        expected_sequence += 1
        checked += 1
    return checked, None


def _problems_capped(problems: Iterable[str]) -> list[str]:
    problems = list(problems)
    if len(problems) > _PROBLEMS_SHOWN:
        rest = len(problems) - _PROBLEMS_SHOWN
        return [*problems[:_PROBLEMS_SHOWN], f"... and {rest} more like these"]
    return problems


def _describe(event: AuditEvent) -> str:
    target = f"{event.object_type}:{event.object_id}" if event.object_type else "-"
    return f"record id={event.pk} ({event.action}, object {target}, dated {event.created_at})"


def audit_pending_check(*, now: dt.datetime | None = None) -> tuple[int, list[str]]:
    """Check the records not sealed yet, writing nothing. Returns (how many, problems).

    A record may wait for its seal up to `AUDIT_SEAL_GRACE_SECONDS`. Older, or without a MAC
    of its own, or carrying another row's MAC, it is tampering: a row inserted in SQL, or a
    sealed row whose sequence was removed.
    """
    now = now or timezone.now()
    cutoff = now - dt.timedelta(seconds=settings.AUDIT_SEAL_GRACE_SECONDS)
    pending = AuditEvent.objects.filter(sequence__isnull=True).order_by("id")
    copied = set(
        AuditEvent.objects.filter(mac__in=pending.exclude(mac=None).values("mac"))
        .values("mac")
        .annotate(rows=Count("id"))
        .filter(rows__gt=1)
        .values_list("mac", flat=True)
    )
    count = 0
    problems: list[str] = []
    for event in pending.iterator(chunk_size=2000):
        count += 1
        if not _row_mac_valid(event):
            problems.append(f"{_describe(event)} was not written by audit_record (no valid MAC)")
        elif event.mac in copied:
            problems.append(f"{_describe(event)} is a copy of another record (the same MAC)")
        elif event.created_at < cutoff:
            problems.append(
                f"{_describe(event)} is unsealed after more than "
                f"{settings.AUDIT_SEAL_GRACE_SECONDS} s: its sequence was removed, "
                "or sealing is not running"
            )
    return count, _problems_capped(problems)


def _checkpoint_problem(checkpoint: Checkpoint, found: str | None, newest: int) -> str | None:
    where = f"the checkpoint of {checkpoint.at or 'unknown time'} (line {checkpoint.line})"
    if found is None and checkpoint.count > newest:
        return (
            f"{where} names record #{checkpoint.count}, but the chain ends at #{newest}: "
            "newest records were deleted"
        )
    if found is None:
        return f"record #{checkpoint.count}, named by {where}, is missing: records were deleted"
    if not hmac.compare_digest(found, checkpoint.head):
        return (
            f"record #{checkpoint.count} no longer has the hash {where} recorded: "
            "the chain was rewritten"
        )
    return None


def audit_checkpoints_check(*, batch: int = 2000) -> tuple[int, list[str]]:
    """Compare every checkpoint with the chain, writing nothing. Returns (compared, problems).

    Each checkpoint names a record by its sequence and the hash it had; the record must still
    be there with that hash. A line signed without the key means the file was edited.
    """
    newest = (
        AuditEvent.objects.filter(sequence__isnull=False)
        .order_by("-sequence")
        .values_list("sequence", flat=True)
        .first()
    ) or 0
    compared = 0
    problems: list[str] = []
    lines = checkpoints_read()
    while chunk := list(islice(lines, batch)):
        comparable = []
        for checkpoint in chunk:
            if checkpoint.status == CheckpointStatus.FORGED:
                problems.append(
                    f"checkpoint line {checkpoint.line} is not signed with the audit key: "
                    "the checkpoint file was edited"
                )
            elif checkpoint.status != CheckpointStatus.UNREADABLE:
                comparable.append(checkpoint)
        hashes = dict(
            AuditEvent.objects.filter(sequence__in={c.count for c in comparable}).values_list(
                "sequence", "hash"
            )
        )
        for checkpoint in comparable:
            compared += 1
            problem = _checkpoint_problem(checkpoint, hashes.get(checkpoint.count), newest)
            if problem is not None:
                problems.append(problem)
    return compared, _problems_capped(problems)


@dataclass(frozen=True)
class AuditCheck:
    checked: int
    pending: int
    compared: int
    problems: list[str]


def audit_check() -> AuditCheck:
    """Everything `audit_verify` proves, in one read-only pass: the sealed chain, the records
    waiting for their seal, and every signed checkpoint. `problems` names what is wrong."""
    checked, broken = audit_verify()
    pending, pending_problems = audit_pending_check()
    compared, checkpoint_problems = audit_checkpoints_check()
    problems = []
    if broken is not None:
        target = f"{broken.object_type}:{broken.object_id}" if broken.object_type else "-"
        problems.append(
            f"Audit chain broken at record #{broken.sequence} "
            f"(action {broken.action}, object {target}, at {broken.created_at.isoformat()}); "
            f"{checked} records before it verify."
        )
    if pending_problems:
        problems.append("Records inserted around the audit trail or unsealed too long:")
        problems.extend(f"  - {problem}" for problem in pending_problems)
    if checkpoint_problems:
        problems.append("Audit chain shortened or rewritten since a checkpoint:")
        problems.extend(f"  - {problem}" for problem in checkpoint_problems)
    return AuditCheck(checked=checked, pending=pending, compared=compared, problems=problems)
