"""Organisations run their own accounts: invitations, roles, deactivation, second factors,
password resets by e-mail, and each change in the audit log in words."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from cases.access.apikeys import apikey_create
from cases.models import AuditEvent, User
from tests.factories import OrganisationFactory, UserFactory
from tests.support.otp import force_login_verified, totp_device_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def orgadmin(org_family) -> User:
    return UserFactory(username="orgadmin", organisation=org_family, role=User.Role.ORG_ADMIN)


@pytest.fixture
def admin_client(orgadmin) -> Client:
    return force_login_verified(Client(), orgadmin)


def _link(message) -> str:
    return re.search(r"https?://[^/\s]+(/accounts/reset/\S+/)", message.body)[1]


def _invite(client: Client, **overrides) -> object:
    data = {
        "first_name": "Jo",
        "last_name": "Doe",
        "email": "jo@example.org",
        "username": "jdoe",
        "role": "caseworker",
        **overrides,
    }
    return client.post("/org/users/", data)


def test_org_admin_invites_a_user_who_sets_a_password_from_the_link_once(
    admin_client, orgadmin, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = _invite(admin_client)
    assert response.status_code == 302
    user = User.objects.get(username="jdoe")
    assert user.organisation == orgadmin.organisation and user.role == "caseworker"
    assert not user.has_usable_password()
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["jo@example.org"]
    link = _link(mail.outbox[0])

    invitee = Client()
    page = invitee.get(link, follow=True)
    assert b"Welcome to Reunite" in page.content
    set_url = page.redirect_chain[-1][0]
    response = invitee.post(
        set_url, {"new_password1": "a-fine-long-secret-9", "new_password2": "a-fine-long-secret-9"}
    )
    assert response.status_code == 302
    assert invitee.get("/cases/").status_code == 200  # signed in
    user.refresh_from_db()
    assert user.check_password("a-fine-long-secret-9")
    # Used once: the same link no longer works.
    again = Client().get(link, follow=True)
    assert b"This link no longer works" in again.content

    actions = list(
        AuditEvent.objects.filter(object_type="cases.user", object_id=str(user.pk))
        .order_by("id")
        .values_list("action", "actor_id")
    )
    assert actions[:2] == [
        ("user.invited", orgadmin.pk),
        ("user.invitation_accepted", user.pk),
    ]


def test_roles_offered_are_those_the_organisation_kind_may_give(client, org_review):
    agency_admin = UserFactory(organisation=org_review, role=User.Role.ORG_ADMIN)
    force_login_verified(client, agency_admin)
    page = client.get("/org/users/")
    options = re.findall(
        r'<option value="([a-z_]+)"',
        page.content.decode().split('name="role"')[1].split("</select>")[0],
    )
    assert set(options) == {"reviewer", "senior_reviewer", "org_admin"}
    response = _invite(client, role="caseworker")
    assert response.status_code == 400
    assert not User.objects.filter(username="jdoe").exists()
    assert _invite(client, role="reviewer").status_code == 302


def test_nobody_changes_their_own_role_or_deactivates_themselves(admin_client, orgadmin):
    response = admin_client.post(
        f"/org/users/{orgadmin.pk}/", {"change": "role", "role": "caseworker"}, follow=True
    )
    assert b"Nobody changes their own" in response.content
    admin_client.post(f"/org/users/{orgadmin.pk}/", {"change": "deactivate"})
    orgadmin.refresh_from_db()
    assert orgadmin.role == "org_admin" and orgadmin.is_active
    assert not AuditEvent.objects.filter(action__startswith="user.").exists()


def test_role_change_deactivation_and_second_factor_reset_are_audited_in_words(
    admin_client, orgadmin, caseworker
):
    totp_device_for(caseworker)
    admin_client.post(f"/org/users/{caseworker.pk}/", {"change": "role", "role": "partner"})
    admin_client.post(f"/org/users/{caseworker.pk}/", {"change": "second_factor"})
    admin_client.post(f"/org/users/{caseworker.pk}/", {"change": "deactivate"})
    caseworker.refresh_from_db()
    assert caseworker.role == "partner" and not caseworker.is_active
    assert not TOTPDevice.objects.filter(user=caseworker).exists()

    log = admin_client.get("/audit/?object_type=cases.user").content.decode()
    assert "orgadmin changed caseworker&#x27;s role from Caseworker to Partner (API)." in log
    assert "orgadmin reset caseworker&#x27;s second factor" in log
    assert "orgadmin deactivated caseworker: active → deactivated." in log
    # The account is deactivated now: the record column calls it a former account.
    assert "a former account" in log

    admin_client.post(f"/org/users/{caseworker.pk}/", {"change": "reactivate"})
    caseworker.refresh_from_db()
    assert caseworker.is_active


def test_the_users_page_shows_last_sign_in_and_only_the_own_organisation(admin_client, caseworker):
    import datetime as dt

    caseworker.last_login = dt.datetime(2026, 3, 4, 14, 5, tzinfo=dt.UTC)
    caseworker.save(update_fields=["last_login"])
    stranger = UserFactory(username="stranger", organisation=OrganisationFactory())
    page = admin_client.get("/org/users/").content.decode()
    assert "caseworker" in page and "stranger" not in page
    assert "4 Mar 2026, 14:05" in page
    response = admin_client.post(f"/org/users/{stranger.pk}/", {"change": "deactivate"})
    assert response.status_code == 404
    stranger.refresh_from_db()
    assert stranger.is_active


def test_deactivated_user_cannot_sign_in_or_use_a_key(admin_client, caseworker):
    _, key = apikey_create(user=caseworker, created_by=None)
    admin_client.post(f"/org/users/{caseworker.pk}/", {"change": "deactivate"})
    response = Client().post(
        "/accounts/login/", {"username": "caseworker", "password": "a-long-test-password"}
    )
    assert response.status_code == 200  # the form again: not signed in
    api = Client(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get("/api/v1/cases/").status_code == 401


def test_caseworkers_and_operators_have_no_users_page(client, caseworker):
    force_login_verified(client, caseworker)
    assert client.get("/org/users/").status_code == 403
    operator = UserFactory(organisation=None, role="operator")
    force_login_verified(client, operator)
    assert client.get("/org/users/").status_code == 403


def test_password_reset_sends_a_link_only_to_a_known_address_and_says_the_same(caseworker):
    client = Client()
    known = client.post("/accounts/password-reset/", {"email": caseworker.email})
    unknown = client.post("/accounts/password-reset/", {"email": "nobody@example.org"})
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [caseworker.email]
    link = _link(mail.outbox[0])
    page = client.get(link, follow=True)
    assert b"Choose a new password" in page.content
    client.post(
        page.redirect_chain[-1][0],
        {"new_password1": "another-long-secret-7", "new_password2": "another-long-secret-7"},
    )
    caseworker.refresh_from_db()
    assert caseworker.check_password("another-long-secret-7")
    assert list(
        AuditEvent.objects.filter(action__startswith="user.password").values_list(
            "action", flat=True
        )
    ) == ["user.password_reset_requested", "user.password_reset"]


def test_password_reset_requests_are_throttled_per_address(caseworker, settings):
    settings.PASSWORD_RESET_PER_HOUR = 2
    client = Client(REMOTE_ADDR="203.0.113.7")
    for _ in range(4):
        response = client.post("/accounts/password-reset/", {"email": caseworker.email})
        assert response.status_code == 302
    assert len(mail.outbox) == 2


def test_partner_sees_no_header_links_that_lead_to_403(client, partner):
    client.force_login(partner)
    page = client.get("/").content.decode()
    assert 'href="/reports/"' not in page
    assert 'href="/notifications/"' not in page
    assert "Sign out" in page


def test_partner_org_admin_issues_rotates_and_revokes_a_key_credited_to_them(
    client, org_ngo, partner
):
    ngoadmin = UserFactory(username="ngoadmin", organisation=org_ngo, role=User.Role.ORG_ADMIN)
    force_login_verified(client, ngoadmin)
    page = client.post("/org/api-keys/", {"user": partner.pk, "name": "shelter app"})
    secret = re.search(
        r'data-testid="new-secret" readonly value="(rk_[^"]+)"', page.content.decode()
    )[1]
    api = Client(HTTP_AUTHORIZATION=f"Token {secret}")
    assert api.get("/api/v1/found-reports/").status_code == 200

    key = partner.api_keys.get()
    rotated = client.post(f"/org/api-keys/{key.pk}/rotate/").content.decode()
    assert re.search(r"which stops working at \d+ \w+ \d{4}, \d\d:\d\d UTC\.", rotated)
    new_key = partner.api_keys.exclude(pk=key.pk).get()
    created = AuditEvent.objects.get(action="apikey.created", object_id=str(new_key.pk))
    assert created.actor == ngoadmin
    assert not AuditEvent.objects.filter(action__startswith="apikey.").exclude(actor=ngoadmin)
    log = client.get("/audit/?object_type=cases.apikey").content.decode()
    assert f"ngoadmin created key {new_key.prefix}… for partner." in log
    assert re.search(r"the old key stops working at \d+ \w+ \d{4}, \d\d:\d\d UTC\.", log)

    client.post(f"/org/api-keys/{new_key.pk}/revoke/", {"confirm": "revoke"})
    new_key.refresh_from_db()
    assert new_key.revoked_at is not None


@pytest.mark.django_db(transaction=True)
def test_the_partner_quick_start_works_with_a_key_its_org_admin_issued_in_the_portal(
    live_server, org_ngo, partner, matching_pair
):
    from tests.cases.api.test_partner_client import _example

    ngoadmin = UserFactory(username="ngoadmin", organisation=org_ngo, role=User.Role.ORG_ADMIN)
    portal = force_login_verified(Client(), ngoadmin)
    page = portal.post("/org/api-keys/", {"user": partner.pk, "name": "shelter app"})
    key = re.search(r'data-testid="new-secret" readonly value="(rk_[^"]+)"', page.content.decode())[
        1
    ]

    client = _example().ReuniteClient(live_server.url, key)
    fields = {
        "external_ref": "HS-2025-0042",
        "found_on": "2025-06-01",
        "found_place": "Riverside shelter",
        "estimated_age_min": 7,
        "estimated_age_max": 11,
    }
    report = client.file_report(fields, [matching_pair[1]])
    assert client.report(report["id"])["external_ref"] == "HS-2025-0042"


def test_a_deactivated_accounts_invitation_link_no_longer_works(
    admin_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _invite(admin_client)
    link = _link(mail.outbox[0])
    user = User.objects.get(username="jdoe")
    admin_client.post(f"/org/users/{user.pk}/", {"change": "deactivate"})
    page = Client().get(link, follow=True)
    assert b"This link no longer works" in page.content


def test_the_operators_key_page_says_who_creates_keys(client):
    operator = UserFactory(organisation=None, role="operator")
    page = force_login_verified(client, operator).get("/org/api-keys/").content.decode()
    assert (
        "each organisation&#x27;s admin creates them" in page or "each organisation's admin" in page
    )
    assert "Create key" not in page
