"""The programme page in a browser: charts drawn on the server, a table under each, at
desktop and phone width, with no JavaScript needed to read it."""

import pytest
from playwright.sync_api import expect

from cases.models import User
from matching.candidates.pairs import candidate_pair_record
from matching.models import Candidate
from matching.review.decisions import candidate_decide
from tests.factories import UserFactory
from tests.support.browser import screenshot
from tests.support.faces import ready_photo_with_embedding
from tests.support.otp import force_login_verified

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _charts_drawn(page) -> None:
    page.wait_for_function(
        "() => [...document.querySelectorAll('.chart img')]"
        ".every(img => img.complete && img.naturalWidth > 0)"
    )


def test_org_admin_reads_the_programme_at_desktop_and_phone_width(
    new_page, live_server, caseworker, partner, reviewer, reviewer2
):
    from django.test import Client

    for seed in (1, 3):
        case_face = ready_photo_with_embedding(user=caseworker, seed=seed, side="case")
        report_face = ready_photo_with_embedding(user=partner, seed=seed + 1, side="report")
        candidate_pair_record(case_face=case_face, report_face=report_face, score=0.95)
    confirmed = Candidate.objects.first()
    assert confirmed is not None
    for person in (reviewer, reviewer2):
        candidate_decide(user=person, candidate=confirmed, decision="confirm", note="Same.")
    admin = UserFactory(organisation=caseworker.organisation, role=User.Role.ORG_ADMIN)
    session = force_login_verified(Client(), admin).cookies["sessionid"].value

    for width in (1366, 390):
        page = new_page(width=width, height=844)
        page.context.add_cookies([{"name": "sessionid", "value": session, "url": live_server.url}])
        page.goto("/programme/")
        expect(page.get_by_role("heading", name="Programme", level=1)).to_be_visible()
        expect(page.get_by_role("navigation", name="Main")).to_contain_text("Programme")
        figure = page.get_by_test_id("figure-now")
        expect(figure.locator('a[href="/cases/?status=open"]')).to_have_text("1")
        expect(figure.locator('a[href="/cases/?status=possible_match"]')).to_have_text("1")
        expect(page.get_by_test_id("figure-fairness-sex")).to_contain_text("fewer than 5")
        _charts_drawn(page)
        assert page.locator(".chart img").count() == 10
        # Nothing wider than the screen at phone width.
        assert page.evaluate("() => document.documentElement.scrollWidth") <= width
        screenshot(page, f"30-programme-{width}")
