import re

import pytest
from playwright.sync_api import expect

from cases.records.services import PhotoUpload, case_create, report_create
from matching.models import Candidate
from tests.support.browser import screenshot, sign_in, sign_in_with_code
from tests.support.data import CASE_FIELDS, REPORT_FIELDS

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("real_engine"),
]


def _decide(page, candidate: Candidate, decision: str, note: str) -> None:
    page.goto("/review/")
    page.get_by_role("link", name=re.compile(f"#{candidate.pk}:")).click()
    page.get_by_label(decision, exact=True).check()
    page.get_by_label("Your reasons").fill(note)
    page.get_by_role("button", name="Record decision").click()


def test_two_reviewers_confirm_and_the_caseworker_is_notified(
    new_page, caseworker, partner, reviewer, reviewer2, same_person_pair
):
    case = case_create(
        user=caseworker,
        **CASE_FIELDS,
        photos=[PhotoUpload(data=same_person_pair[0].read_bytes(), age_in_photo=8)],
    )
    report_create(
        user=partner,
        external_ref="BR-1",
        **REPORT_FIELDS,
        photos=[PhotoUpload(data=same_person_pair[1].read_bytes())],
    )
    candidate = Candidate.objects.get(case=case)

    first = new_page()
    sign_in_with_code(first, reviewer)
    expect(first.get_by_test_id("waiting")).to_contain_text("1 candidate waiting")
    screenshot(first, "08-review-queue")
    first.get_by_role("link", name=re.compile(f"#{candidate.pk}:")).click()
    expect(first.get_by_role("img", name=re.compile("Missing child's face"))).to_be_visible()
    screenshot(first, "09-candidate")
    _decide(first, candidate, "Same child", "Same ear shape and hairline.")
    expect(first.get_by_text("You said “same child”")).to_be_visible()

    second = new_page()
    sign_in_with_code(second, reviewer2)
    _decide(second, candidate, "Same child", "Agree: eyes and chin match.")
    expect(second.get_by_text("Confirmed by two reviewers")).to_be_visible()
    screenshot(second, "10-candidate-confirmed")

    desk = new_page()
    sign_in(desk, "caseworker")
    expect(desk.get_by_test_id("notifications")).to_contain_text(
        f"Possible match for case {case.reference}"
    )
    screenshot(desk, "11-caseworker-notified")
    desk.get_by_role("link", name="Open").first.click()
    expect(desk.get_by_text("Possible match: verify in person").first).to_be_visible()
    screenshot(desk, "12-case-possible-match")
