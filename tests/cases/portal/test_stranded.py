"""Nobody stranded: branded error pages, the partner page, ignored filters, the TOTP wait."""

from __future__ import annotations

import json

import pytest
from django.test import RequestFactory
from django_otp.oath import totp

from cases.models import User
from reunite.kernel.api.views import server_error
from tests.factories import UserFactory
from tests.support.otp import current_code, force_login_verified, totp_device_for

pytestmark = pytest.mark.django_db


def test_an_unknown_page_is_the_branded_404_not_the_url_list(client, caseworker):
    client.force_login(caseworker)
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    body = response.content.decode()
    assert "We could not find this page" in body
    assert "Sign out" in body  # signed in: the way out is on the page
    assert "URLconf" not in body and "review/candidates" not in body


def test_the_404_for_a_visitor_offers_sign_in(client):
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    assert 'href="/accounts/login/"' in response.content.decode()


def test_api_paths_keep_problem_json_for_404(client):
    response = client.get("/api/nowhere/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert json.loads(response.content)["code"] == "not_found"


def test_a_forbidden_page_is_the_branded_403_with_sign_out(client, caseworker):
    client.force_login(caseworker)
    response = client.get("/review/")
    assert response.status_code == 403
    body = response.content.decode()
    assert "You cannot open this page" in body
    assert "Sign out" in body
    assert "ask your organisation" in body


def test_the_500_page_renders_without_the_database(django_db_blocker):
    request = RequestFactory().get("/cases/")
    # Any database access raises here: the page must not need it (it may be what failed).
    with django_db_blocker.block():
        response = server_error(request)
    assert response.status_code == 500
    body = response.content.decode()
    assert "Something went wrong on our side" in body
    assert "Try again" in body or "try again" in body


def test_the_500_under_api_stays_a_problem():
    request = RequestFactory().get("/api/v1/cases/")
    response = server_error(request)
    assert response["Content-Type"] == "application/problem+json"


def test_a_partner_who_signs_in_is_told_the_portal_is_for_caseworkers(client, partner):
    client.force_login(partner)
    for url in ("/", "/cases/", "/reports/"):
        response = client.get(url)
        assert response.status_code == 403
        body = response.content.decode()
        assert "The portal is for caseworkers and reviewers" in body
        assert 'href="/api/docs/"' in body
        assert "Sign out" in body


def test_sign_in_lockout_is_the_branded_429(client, settings, caseworker):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 2
    for _ in range(2):
        client.post("/accounts/login/", {"username": caseworker.username, "password": "wrong"})
    response = client.post(
        "/accounts/login/", {"username": caseworker.username, "password": "wrong"}
    )
    assert response.status_code == 429
    body = response.content.decode()
    assert "Sign-in is paused for this account" in body
    assert "minutes" in body
    assert response["Retry-After"]


def test_a_right_code_right_after_a_typo_is_told_to_wait_not_refused(client, reviewer):
    device = totp_device_for(reviewer)
    client.force_login(reviewer)
    wrong = f"{(int(current_code(device)) + 1) % 1_000_000:06d}"
    first = client.post("/accounts/2fa/verify/", {"token": wrong})
    assert "not right" in first.content.decode()
    second = client.post("/accounts/2fa/verify/", {"token": current_code(device)})
    body = second.content.decode()
    assert "not right" not in body
    assert "wait" in body and "second" in body
    device.refresh_from_db()
    # Once the pause is over the right code is accepted.
    device.throttling_failure_timestamp = None
    device.save()
    third = client.post("/accounts/2fa/verify/", {"token": f"{totp(device.bin_key):06d}"})
    assert third.status_code == 302


@pytest.mark.parametrize(
    "url",
    [
        "/review/?organisation=abc",
        "/review/?organisation=99999999999999999999999",
        "/review/?age_band=old",
        "/review/held-back/?organisation=x&page=zz",
    ],
)
def test_bad_review_filters_are_ignored_with_a_message(client, reviewer, url):
    force_login_verified(client, reviewer)
    response = client.get(url)
    assert response.status_code == 200
    assert "was not understood, so it was ignored" in response.content.decode()


def test_the_disputed_list_has_no_filters_to_get_wrong(client, reviewer):
    force_login_verified(client, reviewer)
    assert client.get("/review/disputed/?organisation=1.5&page=zz").status_code == 200


@pytest.mark.parametrize(
    "query",
    [
        "status=bogus",
        "last_seen_from=abc",
        "last_seen_to=2025-13-45",
        "age=abc",
        "sort=nonsense",
        "page=-1&age=1e999",
    ],
)
def test_bad_case_list_filters_are_ignored_with_a_message(client, caseworker, query):
    client.force_login(caseworker)
    response = client.get(f"/cases/?{query}")
    assert response.status_code == 200
    assert "was not understood, so it was ignored" in response.content.decode()


def test_bad_audit_filters_are_ignored_and_the_others_still_apply(client, caseworker):
    admin = UserFactory(organisation=caseworker.organisation, role=User.Role.ORG_ADMIN)
    force_login_verified(client, admin)
    response = client.get("/audit/?since=yesterday&action=photo")
    assert response.status_code == 200
    assert "was not understood, so it was ignored" in response.content.decode()


@pytest.mark.parametrize("url", ["/reports/?q=%00&page=abc", "/cases/?q=a%00b"])
def test_a_search_with_a_nul_byte_is_ignored_not_a_500(client, caseworker, url):
    client.force_login(caseworker)
    response = client.get(url)
    assert response.status_code == 200
    assert "was not understood, so it was ignored" in response.content.decode()


def test_an_expired_form_is_the_branded_csrf_page(caseworker):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(caseworker)
    response = client.post("/cases/new/", {"given_name": "A"})
    assert response.status_code == 403
    assert "This form has expired" in response.content.decode()
