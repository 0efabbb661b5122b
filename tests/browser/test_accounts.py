"""Organisations run their own accounts, and /admin/ is no path to power, in a browser.

An agency's admin invites a reviewer; the reviewer sets a password and a second factor from
the e-mailed link (Django's locmem backend stands in for the console one); the admin
deactivates them; the audit log says each step in words. An operator in /admin/ finds their
own account and a child's case read-only.
"""

from __future__ import annotations

import base64
import re

import pytest
from django.core import mail
from django_otp.oath import totp
from playwright.sync_api import expect

from cases.models import AuditEvent, User
from tests.factories import MissingCaseFactory, UserFactory
from tests.support.browser import screenshot, sign_in, sign_in_with_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _code_from_secret(secret: str) -> str:
    """What an authenticator app shows for the secret typed in from the setup page."""
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    return f"{totp(key):06d}"


def test_org_admin_invites_a_reviewer_who_sets_up_then_is_deactivated(new_page, org_review):
    admin = UserFactory(username="agencyadmin", organisation=org_review, role="org_admin")
    page = new_page()
    sign_in_with_code(page, admin)
    page.get_by_role("link", name="Users").click()
    page.get_by_label("First name").fill("Nia")
    page.get_by_label("Last name").fill("Reviewer")
    page.get_by_label("E-mail").fill("nia@agency.example")
    page.get_by_label("Username").fill("nia")
    page.get_by_label("Role").select_option(label="Reviewer")
    screenshot(page, "accounts-01-invite")
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_text("Invitation sent to nia@agency.example")).to_be_visible()
    expect(page.get_by_test_id("user-nia")).to_contain_text("Invited: no password yet")

    (message,) = mail.outbox
    assert message.to == ["nia@agency.example"]
    path = re.search(r"https?://[^/\s]+(/accounts/reset/\S+/)", message.body)[1]

    invitee = new_page()
    invitee.goto(path)
    expect(invitee.get_by_role("heading", name="Welcome to Reunite")).to_be_visible()
    invitee.get_by_label(re.compile(r"^New password(?! confirmation)")).fill("a-fine-long-secret-9")
    invitee.get_by_label("New password confirmation").fill("a-fine-long-secret-9")
    invitee.get_by_role("button", name="Save password").click()
    expect(invitee.get_by_role("heading", name="Set up your second factor")).to_be_visible()
    screenshot(invitee, "accounts-02-second-factor")
    secret = invitee.get_by_test_id("otp-secret").inner_text()
    invitee.get_by_role("textbox", name="Code").fill(_code_from_secret(secret))
    invitee.get_by_role("button", name="Confirm").click()
    expect(invitee.get_by_role("link", name="Review queue")).to_be_visible()
    # The link worked once.
    invitee.goto(path)
    expect(invitee.get_by_role("heading", name="This link no longer works")).to_be_visible()

    page.reload()
    row = page.get_by_test_id("user-nia")
    expect(row).to_contain_text("Active")
    expect(row).to_contain_text("Set up")
    row.get_by_role("button", name="Deactivate nia").click()
    expect(page.get_by_text("nia is deactivated")).to_be_visible()
    assert not User.objects.get(username="nia").is_active

    page.goto("/audit/?object_type=cases.user")
    log = page.locator("table")
    expect(log).to_contain_text("agencyadmin invited nia as Reviewer.")
    expect(log).to_contain_text("nia accepted the invitation and set a password.")
    expect(log).to_contain_text("agencyadmin deactivated nia: active → deactivated.")
    page.goto("/audit/?action=auth.second_factor_enrolled")
    expect(page.locator("table")).to_contain_text("Second factor set up")
    screenshot(page, "accounts-03-audit-log")
    assert AuditEvent.objects.filter(action="auth.second_factor_enrolled").count() == 1


def test_operator_finds_their_account_and_a_case_read_only_in_admin(new_page, caseworker):
    operator = UserFactory(username="operator", organisation=None, role="operator", is_staff=True)
    case = MissingCaseFactory(created_by=caseworker)
    page = new_page()
    sign_in_with_code(page, operator)
    page.goto(f"/admin/cases/user/{operator.pk}/change/")
    expect(page.get_by_role("heading", name="View user")).to_be_visible()
    expect(page.get_by_role("button", name="Save")).to_have_count(0)
    expect(page.locator("select[name=role]")).to_have_count(0)
    screenshot(page, "accounts-04-admin-own-account")
    page.goto(f"/admin/cases/missingcase/{case.pk}/change/")
    expect(page.get_by_role("heading", name=re.compile("^View"))).to_be_visible()
    expect(page.locator("input[name=given_name]")).to_have_count(0)
    page.goto("/admin/cases/user/add/")
    expect(page.get_by_role("heading", name="You cannot open this page")).to_be_visible()


def test_a_partner_sees_no_portal_links_that_lead_to_403(new_page, partner):
    page = new_page()
    sign_in(page, "partner")
    expect(page.get_by_role("link", name="Found reports")).to_have_count(0)
    expect(page.get_by_role("link", name=re.compile("Notifications"))).to_have_count(0)
    expect(page.get_by_role("banner").get_by_role("button", name="Sign out")).to_be_visible()
