"""The demo has a senior reviewer and a named contact at every organisation."""

import pytest
from django.core.management import call_command
from django_otp.plugins.otp_totp.models import TOTPDevice

from cases.models import Organisation, User

pytestmark = pytest.mark.django_db


def test_demo_has_a_senior_reviewer_with_a_second_factor_and_contacts():
    call_command("load_demo")
    senior = User.objects.get(username="senior")
    assert senior.role == User.Role.SENIOR_REVIEWER
    assert TOTPDevice.objects.filter(user=senior, confirmed=True).exists()
    for organisation in Organisation.objects.all():
        assert organisation.contact_name and organisation.contact_email
        assert organisation.contact_phone.startswith("+44 20 7946")


def test_running_it_again_keeps_an_org_admins_edits():
    call_command("load_demo")
    Organisation.objects.filter(name="Hope Street NGO (demo)").update(contact_name="Kofi")
    call_command("load_demo")
    assert Organisation.objects.get(name="Hope Street NGO (demo)").contact_name == "Kofi"
    assert User.objects.filter(username="senior").count() == 1


def test_every_demo_organisation_has_an_org_admin_with_a_second_factor():
    call_command("load_demo")
    for organisation in Organisation.objects.all():
        admins = User.objects.filter(organisation=organisation, role=User.Role.ORG_ADMIN)
        assert admins.exists(), organisation.name
        assert all(TOTPDevice.objects.filter(user=a, confirmed=True).exists() for a in admins)


def test_a_first_org_admin_is_invited_from_the_console(django_capture_on_commit_callbacks):
    from django.core import mail

    call_command("load_demo")
    organisation = Organisation.objects.create(
        name="New NGO", kind="ngo", purpose="reunite_missing"
    )
    with django_capture_on_commit_callbacks(execute=True):
        call_command("user_invite", "New NGO", "newadmin", "admin@new-ngo.example")
    user = User.objects.get(username="newadmin")
    assert user.organisation == organisation and user.role == User.Role.ORG_ADMIN
    assert mail.outbox[-1].to == ["admin@new-ngo.example"]
