"""Issue 25 in a browser: a found child who gives her first name and her mother's name, in
Arabic where the case has them in Latin letters, with a weak face, reaches two reviewers.
Both read the agreement in words and see no name."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from matching.models import Candidate
from tests.matching.evidence.test_weak_face import NAMES_CASE, NAMES_REPORT, WEAK, _pair_at
from tests.support.browser import screenshot, sign_in_with_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_names_in_another_script_carry_a_weak_face_to_two_reviewers_who_see_no_name(
    new_page, caseworker, partner, reviewer, reviewer2
):
    _pair_at(
        caseworker=caseworker,
        partner=partner,
        score=WEAK,
        case_fields=NAMES_CASE,
        report_fields=NAMES_REPORT,
    )
    candidate = Candidate.objects.get()
    for user in (reviewer, reviewer2):
        page = new_page()
        sign_in_with_code(page, user)
        page.goto("/review/")
        expect(page.locator(f"a[href='/review/candidates/{candidate.pk}/']").first).to_be_visible()
        page.goto(f"/review/candidates/{candidate.pk}/")
        evidence = page.get_by_test_id("evidence")
        expect(evidence).to_contain_text("Given name: strong agreement")
        expect(evidence).to_contain_text("Parents' or relatives' names: one agrees")
        expect(page.get_by_test_id("face-weak")).to_be_visible()
        body = page.locator("body").inner_text()
        for name in ("Amina", "Hassan", "Fatima", "أمينة", "فاطمة"):
            assert name not in body
        screenshot(page, f"tracing-evidence-{user.username}")
