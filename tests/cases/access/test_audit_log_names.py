"""The audit log names people as they are today: live accounts by name, deactivated and
erased ones as "a former account", the service's own steps as "Reunite"."""

import pytest

from cases.access.audit_log import audit_event_list, audit_event_rows
from cases.audit.trail import audit_record
from cases.models import User
from cases.records.selectors import case_timeline
from tests.factories import MissingCaseFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def orgadmin(org_family) -> User:
    return UserFactory(username="orgadmin", organisation=org_family, role=User.Role.ORG_ADMIN)


def _rows(user: User) -> list[dict]:
    return audit_event_rows(user=user, events=audit_event_list(user=user))


def test_a_live_account_is_named_not_said_to_be_no_longer_held(orgadmin, caseworker):
    audit_record(actor=caseworker, action="auth.login", obj=caseworker)
    (row,) = _rows(orgadmin)
    assert row["who"] == "caseworker"
    assert row["record"]["label"] == "caseworker"
    assert row["record"]["url"] == "/org/users/"


def test_deactivated_and_erased_accounts_read_a_former_account(orgadmin, caseworker, org_family):
    gone = UserFactory(username="gone", organisation=org_family)
    audit_record(actor=caseworker, action="auth.login", obj=caseworker)
    audit_record(actor=gone, action="auth.login", obj=gone)
    caseworker.is_active = False
    caseworker.save()
    gone.delete()
    rows = _rows(orgadmin)
    assert [r["who"] for r in rows] == ["a former account", "a former account"]
    assert [r["record"]["label"] for r in rows] == ["a former account", "a former account"]
    assert all("no longer held" not in r["record"]["label"] for r in rows)


def test_the_services_own_steps_are_credited_to_reunite(orgadmin):
    audit_record(actor=None, action="storage.orphans_removed", organisation=orgadmin.organisation)
    (row,) = _rows(orgadmin)
    assert row["who"] == "Reunite"


def test_a_case_timeline_names_a_deactivated_author_as_a_former_account(caseworker):
    case = MissingCaseFactory(created_by=caseworker)
    audit_record(actor=caseworker, action="case.created", obj=case)
    caseworker.is_active = False
    caseworker.save()
    (entry,) = case_timeline(case=case)
    assert entry["who"] == "a former account"
