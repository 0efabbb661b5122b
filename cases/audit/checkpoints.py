"""Signed checkpoints of the audit chain, kept outside the database.

After each seal the chain's head is appended to `AUDIT_CHECKPOINT_FILE` (and to the log) as
one JSON line: how many records the chain holds (`count`, the head's sequence), the head's
hash, when, and an HMAC over the three made with a key derived from `REUNITE_AUDIT_CHAIN_KEY`.
Because each link covers everything before it, a checkpoint vouches for the whole chain up
to its count; `audit_verify` compares every checkpoint, so deleting or rewriting records
that any checkpoint covered is caught, however many records are added afterwards.

The file must live where the database's users cannot write (docs/safeguards.md).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum

from django.conf import settings
from django.utils import timezone

from cases.audit.keys import audit_key_for

logger = logging.getLogger(__name__)


class CheckpointStatus(StrEnum):
    SIGNED = "signed"
    # Written before checkpoints were signed (migration 0012): still compared, since a
    # forged one can only raise a false alarm, never hide a change.
    UNSIGNED = "unsigned"
    # Signed, but not with the key: someone edited the file.
    FORGED = "forged"
    # Not JSON: a line torn by a crash while it was written.
    UNREADABLE = "unreadable"


@dataclass(frozen=True)
class Checkpoint:
    line: int
    status: CheckpointStatus
    count: int = 0
    head: str = ""
    at: str = ""


def _checkpoint_mac(*, count: int, head: str, at: str) -> str:
    key = audit_key_for(purpose="checkpoint")
    return hmac.new(key, f"{count}|{head}|{at}".encode(), hashlib.sha256).hexdigest()


def checkpoint_write(*, count: int, head: str) -> None:
    """Append a signed checkpoint of the head (and log it, for whoever ships logs)."""
    at = timezone.now().isoformat()
    line = json.dumps(
        {
            "count": count,
            "hash": head,
            "at": at,
            "mac": _checkpoint_mac(count=count, head=head, at=at),
        }
    )
    logger.info("audit checkpoint %s", line)
    path = settings.AUDIT_CHECKPOINT_FILE
    if not path:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    data = (line + "\n").encode()
    with open(path, "a+b") as handle:
        # A crash may have torn the last line: start on a line of our own.
        if handle.seek(0, os.SEEK_END):
            handle.seek(-1, os.SEEK_END)
            if handle.read(1) != b"\n":
                data = b"\n" + data
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def _parse(number: int, text: str) -> Checkpoint:
    try:
        raw = json.loads(text)
        if "mac" not in raw:
            return Checkpoint(
                line=number,
                status=CheckpointStatus.UNSIGNED,
                count=int(raw["sequence"]),
                head=str(raw["hash"]),
                at=str(raw.get("at", "")),
            )
        count, head, at = int(raw["count"]), str(raw["hash"]), str(raw["at"])
        mac = str(raw["mac"])
    except (ValueError, TypeError, KeyError):
        return Checkpoint(line=number, status=CheckpointStatus.UNREADABLE)
    signed = hmac.compare_digest(mac, _checkpoint_mac(count=count, head=head, at=at))
    return Checkpoint(
        line=number,
        status=CheckpointStatus.SIGNED if signed else CheckpointStatus.FORGED,
        count=count,
        head=head,
        at=at,
    )


def checkpoints_read() -> Iterator[Checkpoint]:
    """Every line of the checkpoint file, in file order, read as it streams by."""
    path = settings.AUDIT_CHECKPOINT_FILE
    if not path or not path.is_file():
        return
    with open(path, encoding="utf-8", errors="replace") as handle:
        for number, text in enumerate(handle, start=1):
            if text.strip():
                yield _parse(number, text)
