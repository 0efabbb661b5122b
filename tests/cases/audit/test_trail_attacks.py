"""Issue 23's rewrites of the audit trail, done in SQL by someone without the key: each is caught.

The attacker has the database (a raw cursor here) but not `REUNITE_AUDIT_CHAIN_KEY` nor
write access to the checkpoint file. After each attack the seal runs, as beat would run it
a minute later, and `audit_verify` must still fail, naming what was done.
"""

from __future__ import annotations

import datetime as dt
import io
import secrets

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases.audit.trail import (
    audit_checkpoints_check,
    audit_pending_check,
    audit_record,
    audit_seal,
    audit_verify,
)
from cases.models import AuditEvent, User

pytestmark = pytest.mark.django_db

CHAIN = 160


def _chain(user: User, records: int = CHAIN, seal_every: int = 10) -> None:
    """A chain as the service builds it: records appended, sealed (and checkpointed) as it goes.

    The test's transaction never commits, so the seal the on-commit hook would run is run here.
    """
    for number in range(1, records + 1):
        audit_record(actor=user, action="case.viewed", obj=user, data={"n": number})
        if number % seal_every == 0:
            audit_seal()
    audit_seal()


def _insert(*, actor: User, action: str, created_at: dt.datetime, **columns) -> None:
    """An INSERT as an attacker writes it: plausible values, and a MAC they must guess."""
    row = {
        "created_at": connection.ops.adapt_datetimefield_value(created_at),
        "actor_id": actor.pk,
        "actor_label": actor.username,
        "organisation_id": actor.organisation_id,
        "action": action,
        "object_type": "matching.candidate",
        "object_id": "1",
        "ip_address": "203.0.113.9",
        "data": '{"note": "same child"}',
        "prev_hash": "",
        "nonce": secrets.token_hex(16),
        "mac": secrets.token_hex(32),
        **columns,
    }
    names = ", ".join(row)
    marks = ", ".join(["%s"] * len(row))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO cases_auditevent ({names}) VALUES ({marks})",  # noqa: S608
            list(row.values()),
        )


def _sql(statement: str, params: list | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params or [])


def _ddl(statement: str) -> None:
    """DDL inside the test's transaction: foreign-key checks run now, not at its end."""
    _sql("SET CONSTRAINTS ALL IMMEDIATE")
    _sql(statement)


def _verify_fails() -> str:
    with pytest.raises(CommandError) as excinfo:
        call_command("audit_verify", stdout=io.StringIO())
    return str(excinfo.value)


def _rows() -> list[tuple]:
    return list(AuditEvent.objects.order_by("id").values_list())


def test_a_built_chain_verifies_with_every_checkpoint(caseworker):
    _chain(caseworker)
    out = io.StringIO()
    call_command("audit_verify", stdout=out)
    assert f"{CHAIN} records verified" in out.getvalue()
    assert "16 checkpoints compared" in out.getvalue()


def test_verification_never_writes(caseworker):
    _chain(caseworker, records=20)
    audit_record(actor=caseworker, action="case.viewed", obj=caseworker)  # waiting for its seal
    _insert(actor=caseworker, action="case.viewed", created_at=timezone.now())  # and a forgery
    before = _rows()

    with CaptureQueriesContext(connection) as queries, pytest.raises(CommandError):
        call_command("audit_verify", stdout=io.StringIO())

    assert _rows() == before
    assert AuditEvent.objects.filter(sequence__isnull=True).count() == 2
    verbs = {q["sql"].split(None, 1)[0].upper() for q in queries.captured_queries}
    assert "SELECT" in verbs or "DECLARE" in verbs
    assert verbs <= {"SELECT", "DECLARE", "FETCH", "CLOSE", "SAVEPOINT", "RELEASE"}


def test_changing_a_row_and_unsealing_the_rest_is_caught(caseworker):
    """Issue 23: change row 80, empty sequence and hashes from 80 on, insert one more row."""
    _chain(caseworker)
    row_80 = AuditEvent.objects.get(sequence=80)
    _sql("UPDATE cases_auditevent SET data = %s WHERE id = %s", ['{"n": 8000}', row_80.pk])
    _sql(
        "UPDATE cases_auditevent SET sequence = NULL, hash = NULL, prev_hash = '' "
        "WHERE sequence >= 80"
    )
    _insert(actor=caseworker, action="case.viewed", created_at=timezone.now())

    # Verification alone seals nothing: the unsealed rows are reported as they are.
    message = _verify_fails()
    assert "#80" in message and "newest records were deleted" in message
    assert f"record id={row_80.pk}" in message and "no valid MAC" in message
    assert AuditEvent.objects.filter(sequence__isnull=True).count() == CHAIN - 79 + 1

    # Beat's seal then re-links only the rows audit_record wrote...
    assert audit_seal() == CHAIN - 80
    assert AuditEvent.objects.get(pk=row_80.pk).sequence is None
    # ...and the check still fails: the changed row, the inserted one, the checkpoints.
    message = _verify_fails()
    assert f"record id={row_80.pk}" in message
    assert "no longer has the hash" in message and "the chain was rewritten" in message
    count, problems = audit_pending_check()
    assert count == 2 and all("no valid MAC" in p for p in problems)


def test_a_backdated_decision_inserted_in_sql_is_never_sealed(caseworker, reviewer):
    _chain(caseworker, records=40)
    yesterday = timezone.now() - dt.timedelta(days=1)
    _insert(actor=reviewer, action="candidate.decision.confirm", created_at=yesterday)

    assert audit_seal() == 0
    forged = AuditEvent.objects.get(action="candidate.decision.confirm")
    assert forged.sequence is None
    message = _verify_fails()
    assert f"record id={forged.pk} (candidate.decision.confirm" in message
    assert "not written by audit_record" in message


def test_a_copy_of_a_genuine_row_is_refused_by_the_database(caseworker):
    _chain(caseworker, records=5)
    genuine = AuditEvent.objects.get(sequence=3)
    with pytest.raises(IntegrityError), transaction.atomic():
        _insert(
            actor=caseworker,
            action=genuine.action,
            created_at=genuine.created_at,
            object_type=genuine.object_type,
            object_id=genuine.object_id,
            ip_address=None,
            data='{"n": 3}',
            nonce=genuine.nonce,
            mac=genuine.mac,
        )


@pytest.mark.skipif(connection.vendor != "postgresql", reason="drops a constraint")
def test_a_copy_is_never_sealed_even_without_the_unique_constraint(caseworker):
    _chain(caseworker, records=5)
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, "cases_auditevent")
    name = next(n for n, c in constraints.items() if c["unique"] and c["columns"] == ["mac"])
    _ddl(f'ALTER TABLE cases_auditevent DROP CONSTRAINT "{name}"')
    _sql(
        "INSERT INTO cases_auditevent (created_at, actor_id, actor_label, organisation_id, "
        "action, object_type, object_id, ip_address, data, prev_hash, nonce, mac) "
        "SELECT created_at, actor_id, actor_label, organisation_id, action, object_type, "
        "object_id, ip_address, data, '', nonce, mac FROM cases_auditevent WHERE sequence = 3"
    )

    assert audit_seal() == 0
    count, problems = audit_pending_check()
    assert count == 1 and "a copy of another record" in problems[0]


def test_deleting_the_newest_rows_and_inserting_more_is_caught(caseworker):
    """Issue 23: delete the newest 5 rows, insert 6 unsealed ones."""
    _chain(caseworker)
    _sql("DELETE FROM cases_auditevent WHERE sequence > %s", [CHAIN - 5])
    for minutes in range(6):
        _insert(
            actor=caseworker,
            action="case.viewed",
            created_at=timezone.now() - dt.timedelta(minutes=minutes),
        )

    assert audit_seal() == 0
    message = _verify_fails()
    assert f"names record #{CHAIN}, but the chain ends at #{CHAIN - 5}" in message
    assert "newest records were deleted" in message
    assert message.count("not written by audit_record") == 6


def test_truncating_the_chain_then_adding_more_records_is_caught(caseworker):
    """Issue 23: TRUNCATE a 160-record chain; 161 genuine records later, still caught."""
    _chain(caseworker)
    if connection.vendor == "postgresql":
        _ddl("TRUNCATE cases_auditevent")
    else:
        _sql("DELETE FROM cases_auditevent")
    # The service carries on: real records, MAC'd and sealed, checkpointed up to #161...
    _chain(caseworker, records=CHAIN + 1)
    checked, broken = audit_verify()
    assert (checked, broken) == (CHAIN + 1, None)

    # ...but every checkpoint of the old chain names a record that is now different.
    compared, problems = audit_checkpoints_check()
    assert compared == 16 + 17
    assert problems[0].startswith("record #10 no longer has the hash")
    assert "the chain was rewritten" in _verify_fails()


def test_a_genuine_row_left_unsealed_past_the_grace_window_is_reported(caseworker, settings):
    settings.AUDIT_SEAL_GRACE_SECONDS = 300
    _chain(caseworker, records=3)
    _sql("UPDATE cases_auditevent SET sequence = NULL, hash = NULL WHERE sequence = 3")

    assert audit_pending_check() == (1, [])  # written moments ago: waiting for its seal
    later = timezone.now() + dt.timedelta(seconds=301)
    count, problems = audit_pending_check(now=later)
    assert count == 1 and "unsealed after more than 300 s" in problems[0]


def test_removing_a_rows_mac_breaks_its_link(caseworker):
    _chain(caseworker, records=5)
    _sql("UPDATE cases_auditevent SET mac = NULL WHERE sequence = 4")
    checked, broken = audit_verify()
    assert checked == 3 and broken is not None and broken.sequence == 4


def test_rows_without_a_mac_do_not_hold_up_the_seal(caseworker):
    for _ in range(3):
        _insert(actor=caseworker, action="case.viewed", created_at=timezone.now())
    genuine = audit_record(actor=caseworker, action="case.viewed", obj=caseworker)

    assert audit_seal(batch=2) == 1
    genuine.refresh_from_db()
    assert genuine.sequence == 1


def test_without_the_key_no_row_verifies(caseworker, settings):
    _chain(caseworker, records=3)
    audit_record(actor=caseworker, action="case.viewed", obj=caseworker)
    settings.AUDIT_CHAIN_KEY = "the-forger-does-not-know-this"

    assert audit_verify() == (0, AuditEvent.objects.get(sequence=1))
    assert audit_seal() == 0
    count, problems = audit_pending_check()
    assert count == 1 and "no valid MAC" in problems[0]


@pytest.mark.skipif(connection.vendor != "sqlite", reason="PostgreSQL's inet refuses the text")
def test_a_row_with_an_impossible_address_neither_stops_the_seal_nor_the_check(caseworker):
    _insert(actor=caseworker, action="case.viewed", created_at=timezone.now(), ip_address="x")
    genuine = audit_record(actor=caseworker, action="case.viewed", obj=caseworker)

    assert audit_seal() == 1
    genuine.refresh_from_db()
    assert genuine.sequence == 1
    count, problems = audit_pending_check()
    assert count == 1 and "no valid MAC" in problems[0]


def test_a_refused_row_is_logged_once_however_often_the_seal_runs(caseworker, caplog):
    _insert(actor=caseworker, action="case.viewed", created_at=timezone.now())
    forged = AuditEvent.objects.get()
    for _ in range(3):
        audit_seal()
    refusals = [r for r in caplog.records if f"id={forged.pk} " in r.getMessage()]
    assert len(refusals) == 1 and refusals[0].levelname == "ERROR"
