"""The small things, in a browser: search, notifications, confirmations, phone width."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from cases.models import ApiKey, Notification, User
from tests.factories import MissingCaseFactory, UserFactory
from tests.support.browser import screenshot, sign_in
from tests.support.otp import current_code, totp_device_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_search_by_full_name_and_the_status_column_fits_a_phone(new_page, caseworker):
    case = MissingCaseFactory(created_by=caseworker, given_name="Amina", family_name="Testcase")
    MissingCaseFactory(created_by=caseworker, given_name="Amina", family_name="Kamara")
    page = new_page(width=390, height=844)
    sign_in(page, "caseworker")
    page.goto("/cases/")
    page.get_by_label("Name or reference").fill("amina testcase")
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_role("link", name=case.reference)).to_be_visible()
    expect(page.get_by_text("Kamara")).to_have_count(0)
    status = page.locator("td[data-label=Status]").first
    expect(status).to_be_visible()
    box = status.bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "polish-01-case-list-phone")


def test_notifications_stay_after_reading_and_the_badge_counts_down(new_page, caseworker):
    Notification.objects.create(user=caseworker, message="Possible match for case C-1", link="/")
    page = new_page()
    sign_in(page, "caseworker")
    badge = page.get_by_test_id("notification-badge")
    expect(badge).to_have_text(re.compile(r"Notifications 1\s*unread"))
    badge.click()
    page.get_by_role("button", name="Mark as read").click()
    expect(page).to_have_url(re.compile("/notifications/$"))
    expect(page.get_by_test_id("notification-history")).to_contain_text(
        "Possible match for case C-1"
    )
    expect(page.get_by_test_id("notification-history")).to_contain_text("Read ")
    expect(badge).to_have_text("Notifications")
    screenshot(page, "polish-02-notification-history")


def test_revoke_asks_first_and_a_new_key_can_be_copied(new_page, caseworker):
    admin = UserFactory(
        username="orgadmin", organisation=caseworker.organisation, role=User.Role.ORG_ADMIN
    )
    UserFactory(username="sync", organisation=caseworker.organisation, role=User.Role.PARTNER)
    device = totp_device_for(admin)
    page = new_page()
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    sign_in(page, "orgadmin")
    page.get_by_role("textbox", name="Code").fill(current_code(device))
    page.get_by_role("button", name="Verify").click()
    page.goto("/org/api-keys/")
    page.get_by_label("Account").select_option(label="sync")
    page.get_by_role("button", name="Create key").click()
    secret = page.get_by_test_id("new-secret").input_value()
    page.get_by_role("button", name="Copy key").click()
    expect(page.locator("#new-secret-copied")).to_have_text("Copied.")
    assert page.evaluate("navigator.clipboard.readText()") == secret
    screenshot(page, "polish-03-new-key")

    # Revoke is a link to a page that asks; Rotate stays a plain button.
    key = ApiKey.objects.get()
    page.get_by_role("link", name=re.compile(r"Revoke key")).click()
    expect(page.get_by_text("This cannot be undone.")).to_be_visible()
    screenshot(page, "polish-04-revoke-asks")
    page.get_by_role("link", name="Cancel, keep the key").click()
    key.refresh_from_db()
    assert key.revoked_at is None
    page.get_by_role("link", name=re.compile(r"Revoke key")).click()
    page.get_by_role("button", name="Revoke this key for good").click()
    expect(page.get_by_text(f"Key {key.prefix}… is revoked")).to_be_visible()
    key.refresh_from_db()
    assert key.revoked_at is not None
