"""The audit chain and the daily limits' organisation lock cannot deadlock (issue 11).

Two transactions interleave the way two uploads did under load: one takes the organisation row
lock (daily limits) and then audits; the other audits and then takes the organisation lock.
With a chain lock taken inside the action's transaction (the old design, reproduced here with
the same advisory lock) PostgreSQL detects a deadlock; with append-then-seal both commit.
Not timed: the barrier's timeout is only a liveness bound.
"""

from __future__ import annotations

import threading

import pytest
from django.db import OperationalError, connection, transaction

from cases.audit import trail
from cases.audit.trail import audit_record, audit_verify
from cases.models import AuditEvent
from cases.records.limits import daily_limit_check
from tests.factories import OrganisationFactory, UserFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row and advisory locks need PostgreSQL"
    ),
]


def _audit_holding_the_chain_lock(**kwargs):
    """The old audit_record: the global chain lock, held until the action commits."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [trail._PG_AUDIT_LOCK])
    return audit_record(**kwargs)


def _interleave(audit) -> list[BaseException | None]:
    organisation = OrganisationFactory()
    user = UserFactory(organisation=organisation)
    both_hold_their_first_lock = threading.Barrier(2, timeout=30)
    errors: list[BaseException | None] = [None, None]

    def limits_then_audit() -> None:
        try:
            with transaction.atomic():
                daily_limit_check(organisation=organisation, kind="report")
                both_hold_their_first_lock.wait()
                audit(actor=user, action="report.created", obj=organisation)
        except BaseException as exc:  # reported to the test
            errors[0] = exc
        finally:
            connection.close()

    def audit_then_limits() -> None:
        try:
            with transaction.atomic():
                audit(actor=user, action="report.created", obj=organisation)
                both_hold_their_first_lock.wait()
                daily_limit_check(organisation=organisation, kind="report")
        except BaseException as exc:
            errors[1] = exc
        finally:
            connection.close()

    threads = [
        threading.Thread(target=limits_then_audit),
        threading.Thread(target=audit_then_limits),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    return errors


def test_a_chain_lock_inside_the_action_deadlocks_with_the_organisation_lock():
    errors = _interleave(_audit_holding_the_chain_lock)
    failures = [e for e in errors if e is not None]
    assert len(failures) == 1
    assert isinstance(failures[0], OperationalError)
    assert "deadlock detected" in str(failures[0])


def test_append_then_seal_commits_both_and_seals_them_in_order():
    errors = _interleave(audit_record)
    assert errors == [None, None]
    assert AuditEvent.objects.filter(action="report.created", sequence__isnull=True).count() == 0
    checked, broken = audit_verify()
    assert broken is None
    assert checked == AuditEvent.objects.count()
