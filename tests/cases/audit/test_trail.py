import importlib
import io

import pytest
from django.apps import apps as django_apps
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client

from cases.access.audit_log import audit_event_list, audit_events_csv
from cases.audit import trail
from cases.audit.trail import (
    audit_checkpoints_check,
    audit_pending_check,
    audit_record,
    audit_seal,
    audit_verify,
)
from cases.models import AuditEvent, User
from reunite.kernel.errors import NotAllowed as PermissionDenied
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _three_records(user: User) -> None:
    for action in ("case.created", "photo.added", "case.updated"):
        audit_record(actor=user, action=action, obj=user)
    # The test's transaction never commits, so seal by hand what on-commit would have sealed.
    audit_seal()


def test_audit_verify_passes_on_an_intact_chain(caseworker):
    _three_records(caseworker)
    out = io.StringIO()
    call_command("audit_verify", stdout=out)
    assert "intact" in out.getvalue()


def test_audit_verify_names_the_first_tampered_record(caseworker):
    _three_records(caseworker)
    tampered = AuditEvent.objects.get(action="photo.added")
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE cases_auditevent SET data = %s WHERE id = %s", ['{"forged": 1}', tampered.pk]
        )

    with pytest.raises(CommandError) as excinfo:
        call_command("audit_verify", stdout=io.StringIO())

    message = str(excinfo.value)
    assert f"#{tampered.sequence}" in message
    assert "photo.added" in message
    assert f"cases.user:{caseworker.pk}" in message


def test_audit_verify_catches_a_deleted_record(caseworker):
    _three_records(caseworker)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM cases_auditevent WHERE action = %s", ["photo.added"])
    with pytest.raises(CommandError, match=r"case\.updated"):
        call_command("audit_verify", stdout=io.StringIO())


def test_sign_in_and_failed_sign_in_are_audited_with_the_address(caseworker):
    caseworker.set_password("a-long-test-password")
    caseworker.save()
    client = Client(REMOTE_ADDR="203.0.113.7")
    client.post("/admin/login/", {"username": "caseworker", "password": "wrong"})
    assert client.login(username="caseworker", password="a-long-test-password")

    failed = AuditEvent.objects.get(action="auth.login_failed")
    assert failed.data == {"username": "caseworker"}
    assert failed.ip_address == "203.0.113.7"
    assert failed.organisation == caseworker.organisation
    assert AuditEvent.objects.filter(action="auth.login", actor=caseworker).exists()


def test_org_admin_sees_only_their_organisation_in_the_audit_log(caseworker, partner):
    admin = UserFactory(organisation=caseworker.organisation, role=User.Role.ORG_ADMIN)
    audit_record(actor=caseworker, action="case.created", obj=caseworker)
    audit_record(actor=partner, action="report.created", obj=partner)

    assert list(audit_event_list(user=admin).values_list("action", flat=True)) == ["case.created"]
    operator = UserFactory(organisation=None, role=User.Role.OPERATOR)
    assert audit_event_list(user=operator).count() == 2
    with pytest.raises(PermissionDenied):
        audit_event_list(user=caseworker)


def test_audit_csv_export_writes_rows_and_is_itself_audited(caseworker):
    admin = UserFactory(organisation=caseworker.organisation, role=User.Role.ORG_ADMIN)
    audit_record(actor=caseworker, action="case.created", obj=caseworker)
    out = io.StringIO()

    rows = audit_events_csv(user=admin, out=out, action="case.")

    assert rows == 1
    lines = out.getvalue().strip().splitlines()
    assert lines[0].startswith("sequence,created_at,actor_label")
    assert ",case.created," in lines[1]
    export = AuditEvent.objects.get(action="audit.exported")
    assert export.actor == admin and export.data["rows"] == 1


def test_audit_verify_catches_newest_records_deleted_in_sql(caseworker):
    _three_records(caseworker)
    call_command("audit_verify", stdout=io.StringIO())
    newest = AuditEvent.objects.order_by("-sequence").first()
    with connection.cursor() as cursor:
        # Deleting the tail leaves a chain that is consistent in itself.
        cursor.execute("DELETE FROM cases_auditevent WHERE sequence >= %s", [newest.sequence - 1])
    with pytest.raises(CommandError, match=r"newest records were deleted"):
        call_command("audit_verify", stdout=io.StringIO())


def test_the_chain_cannot_be_recomputed_without_the_key(caseworker, settings):
    """A forger who knows the algorithm but not the key makes a chain that does not verify."""
    _three_records(caseworker)
    settings.AUDIT_CHAIN_KEY = "the-forger-does-not-know-this"
    checked, broken = audit_verify()
    assert checked == 0 and broken is not None


def test_a_records_mac_survives_the_databases_own_spelling(caseworker):
    """PostgreSQL's inet and jsonb give values back their own way; the MAC still verifies."""
    for address in ("2001:0DB8:0000::0001", "::ffff:192.0.2.1", "198.51.100.4", None):
        audit_record(
            actor=caseworker,
            action="case.viewed",
            obj=caseworker,
            ip_address=address,
            data={"score": 0.734, "ratio": 2.0, "tiny": 1e-05, "name": "Zoë", "z": [None, True]},
        )
    assert audit_seal() == 4
    assert audit_verify() == (4, None)


def _legacy_chain(user: User, records: int) -> None:
    """Rows as the code before migration 0012 sealed them: no MAC, a link without one."""
    prev_hash = trail.GENESIS_HASH
    for sequence in range(1, records + 1):
        event = audit_record(actor=user, action="case.viewed", obj=user)
        event.mac, event.nonce, event.sequence, event.prev_hash = None, "", sequence, prev_hash
        event.hash = trail._link(prev_hash=prev_hash, event=event)
        event.save()
        prev_hash = event.hash


def test_migration_0012_covers_the_rows_written_before_it(caseworker, settings):
    _legacy_chain(caseworker, 3)
    waiting = audit_record(actor=caseworker, action="case.updated", obj=caseworker)
    AuditEvent.objects.filter(pk=waiting.pk).update(mac=None, nonce="")  # written before 0012
    assert audit_seal() == 0  # no MAC: never sealed as it is

    migration = importlib.import_module("cases.migrations.0012_audit_row_mac")
    migration.forward(django_apps, None)

    # The head at migration time is a signed checkpoint; the row that waited now has its MAC.
    assert audit_checkpoints_check() == (1, [])
    assert audit_seal() == 1
    audit_record(actor=caseworker, action="case.closed", obj=caseworker)
    audit_seal()
    assert audit_verify() == (5, None)
    assert audit_pending_check() == (0, [])
    assert audit_checkpoints_check() == (3, [])


def test_a_row_without_a_mac_after_one_with_a_mac_breaks_the_chain(caseworker):
    _three_records(caseworker)
    # Even with a valid link (which needs the key), a MAC-less row may only open the chain.
    event = audit_record(actor=caseworker, action="case.viewed", obj=caseworker)
    last = AuditEvent.objects.get(sequence=3)
    event.mac, event.sequence, event.prev_hash = None, 4, last.hash
    event.hash = trail._link(prev_hash=last.hash, event=event)
    event.save()

    checked, broken = audit_verify()
    assert checked == 3 and broken is not None and broken.pk == event.pk


def test_audit_verify_warns_when_there_is_no_checkpoint_file(caseworker, settings):
    settings.AUDIT_CHECKPOINT_FILE = None
    _three_records(caseworker)
    out = io.StringIO()
    call_command("audit_verify", stdout=out)
    assert "3 records verified" in out.getvalue()
    assert "No checkpoints to compare" in out.getvalue()


def test_audit_verify_passes_while_a_fresh_record_waits_for_its_seal(caseworker):
    _three_records(caseworker)
    audit_record(actor=caseworker, action="case.closed", obj=caseworker)
    out = io.StringIO()
    call_command("audit_verify", stdout=out)
    assert "3 records verified, 1 waiting for their seal, 1 checkpoint compared" in out.getvalue()
