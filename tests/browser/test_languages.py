"""Issue 28: a caseworker switches to Arabic with the switcher and reads the case page right
to left; the case and candidate pages in Arabic and French are saved to test-artifacts/."""

from __future__ import annotations

import pytest
from django.test import Client
from playwright.sync_api import expect

from matching.candidates.pairs import candidate_pair_record
from matching.models import Candidate
from tests.support.browser import screenshot, sign_in
from tests.support.faces import ready_photo_with_embedding
from tests.support.otp import force_login_verified

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _candidate(caseworker, partner) -> Candidate:
    case_face = ready_photo_with_embedding(user=caseworker, seed=1, side="case")
    report_face = ready_photo_with_embedding(user=partner, seed=2, side="report")
    candidate_pair_record(case_face=case_face, report_face=report_face, score=0.95)
    return Candidate.objects.get()


def _reviewer_page(new_page, live_server, reviewer, *, language: str):
    client = Client()
    force_login_verified(client, reviewer)
    page = new_page()
    page.context.add_cookies(
        [
            {
                "name": "sessionid",
                "value": client.cookies["sessionid"].value,
                "url": live_server.url,
            },
            {"name": "django_language", "value": language, "url": live_server.url},
        ]
    )
    return page


def test_switch_to_arabic_and_read_the_case_right_to_left(
    new_page, live_server, caseworker, partner, reviewer
):
    candidate = _candidate(caseworker, partner)
    case = candidate.case
    page = new_page()
    sign_in(page, "caseworker")
    page.goto(f"/cases/{case.pk}/")
    expect(page.locator("html")).to_have_attribute("dir", "ltr")

    # The switcher is a plain form: choose, then send.
    page.get_by_label("Language").select_option("ar")
    page.get_by_role("button", name="Change").click()
    expect(page.locator("html")).to_have_attribute("lang", "ar")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page).to_have_url(f"{live_server.url}/cases/{case.pk}/")
    expect(page.get_by_role("heading", name="التطابقات المحتملة")).to_be_visible()
    expect(page.get_by_role("heading", name="الصور")).to_be_visible()
    # The reference reads as one unit inside the Arabic heading.
    expect(page.locator("h1 bdi")).to_have_text(case.reference)

    # Laid out right to left: the brand on the right, the account box to its left.
    brand = page.locator(".brand").bounding_box()
    who = page.locator(".who").bounding_box()
    assert brand["x"] > who["x"]
    # A photo is never mirrored.
    transform = page.locator(".photo-card img").first.evaluate(
        "img => getComputedStyle(img).transform"
    )
    assert transform == "none"
    screenshot(page, "i18n-case-page-ar")

    # The choice is the caseworker's profile language now: it follows them.
    caseworker.refresh_from_db()
    assert caseworker.language == "ar"

    # French, through the same switcher.
    page.get_by_label("اللغة").select_option("fr")
    page.get_by_role("button", name="تغيير").click()
    expect(page.locator("html")).to_have_attribute("dir", "ltr")
    expect(page.get_by_role("heading", name="Correspondances possibles")).to_be_visible()
    screenshot(page, "i18n-case-page-fr")

    # The candidate page, where the two faces keep their labels side by side.
    for language, missing, found in [
        ("ar", "الطفل المفقود", "الطفل الذي عُثر عليه"),
        ("fr", "Enfant disparu", "Enfant trouvé"),
    ]:
        review = _reviewer_page(new_page, live_server, reviewer, language=language)
        review.goto(f"/review/candidates/{candidate.pk}/")
        figures = review.locator(".faces figure")
        expect(figures).to_have_count(2)
        expect(figures.nth(0).locator("figcaption")).to_contain_text(missing)
        expect(figures.nth(1).locator("figcaption")).to_contain_text(found)
        for index in range(2):
            assert (
                figures.nth(index).locator("img").evaluate("img => getComputedStyle(img).transform")
                == "none"
            )
        screenshot(review, f"i18n-candidate-page-{language}")
