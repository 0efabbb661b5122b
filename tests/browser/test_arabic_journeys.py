"""Issue 28, phase B: the main journeys in Arabic, Python's words included.

A case with photos (one rejected, its reason in Arabic), the candidate page's score words,
two reviewers' decisions (flash messages in Arabic), the case owner's notification written
in her language, the reunification steps, the API key page and the error pages. Labels are
looked up in the Arabic catalogue, so the test follows the translations; a few sentences are
spelt out to show they are Arabic. Kept lean: one page per journey.
"""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext
from playwright.sync_api import expect

from cases.models import User
from matching.models import Candidate
from tests.factories import UserFactory
from tests.support.browser import screenshot
from tests.support.faces import candidate_with_contact, ready_photo_with_embedding
from tests.support.otp import force_login_verified

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def ar(message: str) -> str:
    with translation.override("ar"):
        return gettext(message)


def _arabic_page(new_page, live_server, user: User):
    """A page signed in as `user` (second factor passed), whose profile language is Arabic."""
    user.language = "ar"
    user.save(update_fields=["language"])
    client = Client()
    force_login_verified(client, user)
    page = new_page()
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    return page


def _rtl(page) -> None:
    expect(page.locator("html")).to_have_attribute("lang", "ar")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")


def test_the_main_journeys_in_arabic(
    new_page, live_server, caseworker, partner, org_ngo, reviewer, reviewer2
):
    candidate: Candidate = candidate_with_contact(
        caseworker=caseworker, partner=partner, partner_org=org_ngo
    )
    case = candidate.case
    caseworker.language = "ar"
    caseworker.save(update_fields=["language"])
    # A second photo of the case, which no detector could read: its reason, in Arabic.
    rejected = ready_photo_with_embedding(user=caseworker, seed=5, side="case").photo
    rejected.case, rejected.status = case, rejected.Status.REJECTED
    rejected.rejection_code, rejected.rejection_reason = "no_face", "No face found: (English)"
    rejected.save()

    # Two reviewers decide, in Arabic.
    for person in (reviewer, reviewer2):
        page = _arabic_page(new_page, live_server, person)
        page.goto(f"/review/candidates/{candidate.pk}/")
        _rtl(page)
        # The score words are whole Arabic sentences.
        expect(page.get_by_text(ar("Strong similarity")).first).to_be_visible()
        page.get_by_label(ar("Same child"), exact=True).check()
        page.get_by_label(ar("Your reasons")).fill("الأذنان والندبة متطابقتان.")
        page.get_by_role("button", name=ar("Record decision")).click()
        expect(page.get_by_text(re.compile("^سُجّل قرارك"))).to_be_visible()
        if person == reviewer2:
            screenshot(page, "i18n-ar-candidate-decided")
        page.close()

    # The case owner: the notification was written in Arabic, the case page reads right to
    # left with both photos, the rejected one's reason in Arabic.
    page = _arabic_page(new_page, live_server, caseworker)
    page.goto("/")
    _rtl(page)
    expect(page.get_by_test_id("notifications")).to_contain_text(
        "تحقّق شخصيًا قبل إخبار الأسرة بأي شيء"
    )
    page.goto(f"/cases/{case.pk}/")
    _rtl(page)
    expect(page.get_by_test_id("rejection-reason").first).to_contain_text("لم يُعثر على وجه")
    # The reunification steps, with the flash message in Arabic.
    page.get_by_label(ar("Contact made with the found child's organisation"), exact=True).check()
    page.get_by_label(ar("Note")).fill("اتصلنا بالمنظمة.")
    page.get_by_role("button", name=ar("Record step")).click()
    expect(page.get_by_text("سُجّلت الخطوة.")).to_be_visible()
    steps = page.get_by_test_id("reunification-steps")
    expect(steps).to_contain_text(ar("Contact made with the found child's organisation"))
    screenshot(page, "i18n-ar-reunification")

    # An error page: a caseworker may not open the review queue.
    response = page.goto("/review/")
    assert response is not None and response.status == 403
    _rtl(page)
    page.goto("/no-such-page/")
    _rtl(page)

    # The API key page, as the organisation's admin.
    admin = UserFactory(role=User.Role.ORG_ADMIN, organisation=caseworker.organisation)
    page = _arabic_page(new_page, live_server, admin)
    page.goto("/org/api-keys/")
    _rtl(page)
    expect(page.get_by_role("heading", level=1)).not_to_contain_text("API keys")
    screenshot(page, "i18n-ar-api-keys")
