import io

import pytest
from django.core.management import CommandError, call_command

from cases.access.accounts import organisation_approve, organisation_pause, user_role_set
from cases.access.permissions import Action, user_can
from cases.audit.trail import audit_verify
from cases.models import AuditEvent, User
from reunite.kernel.errors import NotAllowed as PermissionDenied
from tests.factories import OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator() -> User:
    return UserFactory(username="operator", organisation=None, role=User.Role.OPERATOR)


def test_org_admin_changes_a_role_in_their_own_organisation_and_it_is_audited(caseworker):
    admin = UserFactory(organisation=caseworker.organisation, role=User.Role.ORG_ADMIN)

    user_role_set(actor=admin, user=caseworker, role=User.Role.ORG_ADMIN)

    caseworker.refresh_from_db()
    assert caseworker.role == User.Role.ORG_ADMIN
    event = AuditEvent.objects.get(action="user.role_changed")
    assert event.actor == admin
    assert event.data == {"username": "caseworker", "from": "caseworker", "to": "org_admin"}


def test_org_admin_may_not_change_another_organisations_user(caseworker, partner):
    admin = UserFactory(organisation=caseworker.organisation, role=User.Role.ORG_ADMIN)
    with pytest.raises(PermissionDenied):
        user_role_set(actor=admin, user=partner, role=User.Role.CASEWORKER)


def test_org_admin_may_not_grant_the_operator_role(caseworker):
    admin = UserFactory(organisation=caseworker.organisation, role=User.Role.ORG_ADMIN)
    with pytest.raises(PermissionDenied):
        user_role_set(actor=admin, user=caseworker, role=User.Role.OPERATOR)


def test_caseworker_may_not_change_roles(caseworker):
    other = UserFactory(organisation=caseworker.organisation)
    with pytest.raises(PermissionDenied):
        user_role_set(actor=caseworker, user=other, role=User.Role.ORG_ADMIN)


def test_paused_organisation_is_refused_until_approved_again(caseworker, operator):
    assert user_can(caseworker, Action.CASE_CREATE)

    organisation_pause(actor=operator, organisation=caseworker.organisation, reason="Surge")
    caseworker.refresh_from_db()
    assert not user_can(caseworker, Action.CASE_CREATE)

    organisation_approve(actor=operator, organisation=caseworker.organisation)
    caseworker.refresh_from_db()
    assert user_can(caseworker, Action.CASE_CREATE)
    actions = list(
        AuditEvent.objects.filter(action__startswith="organisation.").values_list(
            "action", flat=True
        )
    )
    assert actions == ["organisation.paused", "organisation.resumed"]


def test_paused_organisations_api_key_gets_403(api_for, partner, operator):
    client = api_for(partner)
    organisation_pause(actor=operator, organisation=partner.organisation, reason="Review")
    assert client.get("/api/v1/found-reports/").status_code == 403


def test_only_an_operator_may_pause(caseworker):
    with pytest.raises(PermissionDenied):
        organisation_pause(actor=caseworker, organisation=caseworker.organisation, reason="x")


def test_approve_and_pause_commands_change_state_and_audit():
    organisation = OrganisationFactory(name="New NGO", approved_at=None)

    call_command("organisation_approve", "New NGO", stdout=io.StringIO())
    organisation.refresh_from_db()
    assert organisation.is_active

    call_command(
        "organisation_pause", "New NGO", "--reason", "Unusual volume", stdout=io.StringIO()
    )
    organisation.refresh_from_db()
    assert not organisation.is_active and organisation.paused_reason == "Unusual volume"
    assert AuditEvent.objects.filter(action="organisation.approved").exists()
    assert audit_verify()[1] is None


def test_pause_command_requires_a_known_organisation():
    with pytest.raises(CommandError, match="No organisation"):
        call_command("organisation_pause", "Nobody", "--reason", "x", stdout=io.StringIO())
