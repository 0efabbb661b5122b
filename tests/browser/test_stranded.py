"""Nobody stranded, in a browser: a partner's page, the branded 404, ignored filters, the
sign-in lockout."""

import re

import pytest
from playwright.sync_api import expect

from tests.support.browser import screenshot, sign_in
from tests.support.otp import current_code, totp_device_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_partner_is_told_where_the_api_docs_are_and_can_sign_out(new_page, partner):
    page = new_page()
    sign_in(page, partner.username)
    heading = page.get_by_role("heading", name="The portal is for caseworkers and reviewers")
    expect(heading).to_be_visible()
    screenshot(page, "30-partner-page")
    page.get_by_role("link", name="the API documentation").click()
    expect(page).to_have_url(re.compile("/api/docs/$"))
    page.go_back()
    page.get_by_test_id("partner-page").get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()


def test_a_missing_page_is_the_branded_404_with_a_way_on(new_page, caseworker):
    page = new_page()
    sign_in(page, caseworker.username)
    response = page.goto("/cases/999999/")
    assert response.status == 404
    expect(page.get_by_role("heading", name="We could not find this page")).to_be_visible()
    screenshot(page, "31-not-found")
    page.get_by_role("link", name="Go to your start page").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()


def test_a_bad_filter_value_is_ignored_with_a_message(new_page, reviewer):
    page = new_page()
    device = totp_device_for(reviewer)
    sign_in(page, reviewer.username)
    page.get_by_label("Code").fill(current_code(device))
    page.get_by_role("button", name="Verify").click()
    response = page.goto("/review/?organisation=abc")
    assert response.status == 200
    expect(page.get_by_role("status")).to_contain_text("was not understood, so it was ignored")
    screenshot(page, "32-filter-ignored")


def test_the_sign_in_lockout_is_the_branded_429(new_page, caseworker, settings):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 2
    page = new_page()
    for _ in range(3):
        sign_in(page, caseworker.username, password="not-the-password")
    expect(page.get_by_role("heading", name="Sign-in is paused for this account")).to_be_visible()
    screenshot(page, "33-lockout")
