"""Signed checkpoints outside the database: written after each seal, every one compared."""

from __future__ import annotations

import json

import pytest

from cases.audit.checkpoints import CheckpointStatus, checkpoint_write, checkpoints_read
from cases.audit.trail import audit_checkpoints_check, audit_record, audit_seal
from cases.models import AuditEvent, User

pytestmark = pytest.mark.django_db


def _sealed(user: User, records: int) -> None:
    for _ in range(records):
        audit_record(actor=user, action="case.viewed", obj=user)
        audit_seal()


def _lines(settings) -> list[dict]:
    return [json.loads(line) for line in settings.AUDIT_CHECKPOINT_FILE.read_text().splitlines()]


def test_each_seal_appends_the_count_and_head_signed(caseworker, settings):
    _sealed(caseworker, 3)

    lines = _lines(settings)
    head = AuditEvent.objects.get(sequence=3)
    assert [line["count"] for line in lines] == [1, 2, 3]
    assert lines[-1]["hash"] == head.hash and len(lines[-1]["mac"]) == 64
    assert [c.status for c in checkpoints_read()] == [CheckpointStatus.SIGNED] * 3
    assert audit_checkpoints_check() == (3, [])


def test_a_checkpoint_signed_without_the_key_is_reported(caseworker, settings):
    _sealed(caseworker, 2)
    forged = _lines(settings)[-1] | {"count": 1}  # claims the head is #1: a shorter chain
    with open(settings.AUDIT_CHECKPOINT_FILE, "a") as handle:
        handle.write(json.dumps(forged) + "\n")

    compared, problems = audit_checkpoints_check()
    assert compared == 2
    assert problems == [
        "checkpoint line 3 is not signed with the audit key: the checkpoint file was edited"
    ]


def test_a_checkpoint_from_before_signing_is_still_compared(caseworker, settings):
    _sealed(caseworker, 2)
    with open(settings.AUDIT_CHECKPOINT_FILE, "a") as handle:
        handle.write(json.dumps({"sequence": 2, "hash": "f" * 64, "at": "2026-01-01"}) + "\n")

    compared, problems = audit_checkpoints_check()
    assert compared == 3
    assert problems[0].startswith("record #2 no longer has the hash the checkpoint of 2026-01-01")


def test_a_line_torn_by_a_crash_is_skipped_and_the_next_starts_on_its_own(caseworker, settings):
    _sealed(caseworker, 1)
    with open(settings.AUDIT_CHECKPOINT_FILE, "a") as handle:
        handle.write('{"count": 2, "ha')  # the process died here
    _sealed(caseworker, 1)

    statuses = [c.status for c in checkpoints_read()]
    assert statuses == [
        CheckpointStatus.SIGNED,
        CheckpointStatus.UNREADABLE,
        CheckpointStatus.SIGNED,
    ]
    assert audit_checkpoints_check() == (2, [])


def test_no_checkpoint_file_writes_nothing_and_compares_nothing(caseworker, settings):
    settings.AUDIT_CHECKPOINT_FILE = None
    checkpoint_write(count=1, head="0" * 64)
    assert list(checkpoints_read()) == []
    _sealed(caseworker, 1)
    assert audit_checkpoints_check() == (0, [])
