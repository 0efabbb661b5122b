"""The journeys after a match: the case owner's reunification steps, and a dispute resolved."""

import re

import pytest
from playwright.sync_api import expect

from cases.models import MissingCase, User
from matching.models import Candidate
from matching.review.decisions import candidate_decide
from tests.factories import UserFactory
from tests.support.browser import screenshot, sign_in, sign_in_with_code
from tests.support.faces import candidate_with_contact

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def candidate(caseworker, partner, org_ngo) -> Candidate:
    return candidate_with_contact(caseworker=caseworker, partner=partner, partner_org=org_ngo)


def _images_loaded(page) -> None:
    # A liveness bound on the found child's photo loading (thumbnails further down load
    # lazily, so they are not waited for).
    page.wait_for_function(
        "() => [...document.querySelectorAll('.reunification img')]"
        ".every(img => img.complete && img.naturalWidth > 0)"
    )


def _record(page, step: str, note: str) -> None:
    page.get_by_label(step, exact=True).check()
    page.get_by_label("Note").fill(note)
    page.get_by_role("button", name="Record step").click()
    expect(page.get_by_text("Step recorded.")).to_be_visible()


def test_case_owner_sees_the_found_child_and_contact_and_records_the_reunion(
    new_page, caseworker, candidate, reviewer, reviewer2
):
    for person in (reviewer, reviewer2):
        candidate_decide(user=person, candidate=candidate, decision="confirm", note="Same.")
    page = new_page()
    sign_in(page, "caseworker")
    expect(page.get_by_test_id("notifications")).to_contain_text("verify in person")
    page.get_by_role("link", name="Open").first.click()

    expect(page.get_by_text("Possible match: verify in person").first).to_be_visible()
    section = page.get_by_test_id("reunification")
    expect(section.get_by_test_id("contact")).to_contain_text("Ada Mensah")
    expect(section.get_by_test_id("contact")).to_contain_text("+44 20 7946 0202")
    photo = section.get_by_role("img", name=re.compile("Found child, report"))
    expect(photo).to_be_visible()
    _images_loaded(page)
    screenshot(page, "20-reunification-confirmed")

    _record(page, "Contact made with the found child's organisation", "Called Ada.")
    _record(page, "Verified in person: the same child", "School records and birthmark agree.")
    _record(page, "Reunited with the family", "Back with her mother on 3 March.")
    steps = page.get_by_test_id("reunification-steps")
    expect(steps.get_by_role("listitem")).to_have_count(3)
    expect(steps).to_contain_text("Back with her mother")
    expect(page.get_by_text("Reunited", exact=True).first).to_be_visible()
    expect(page.get_by_role("button", name="Record step")).to_have_count(0)
    # The found child's photo stays with the case after the reunion.
    _images_loaded(page)
    screenshot(page, "21-reunification-reunited")
    assert MissingCase.objects.get(pk=candidate.case_id).status == "reunited"


def test_not_the_same_child_reopens_the_case_and_tells_the_reviewers(
    new_page, caseworker, candidate, reviewer, reviewer2
):
    for person in (reviewer, reviewer2):
        candidate_decide(user=person, candidate=candidate, decision="confirm", note="Same.")
    desk = new_page()
    sign_in(desk, "caseworker")
    desk.goto(f"/cases/{candidate.case_id}/")
    # The note is required: the error is said next to the form, and nothing is recorded.
    desk.get_by_label("Verified in person: not the same child", exact=True).check()
    desk.get_by_role("button", name="Record step").click()
    expect(desk.get_by_role("alert")).to_contain_text("A note is required")
    desk.get_by_label("Verified in person: not the same child", exact=True).check()
    desk.get_by_label("Note").fill("Different birth date; the scar is on the other arm.")
    desk.get_by_role("button", name="Record step").click()
    expect(desk.get_by_test_id("reunification-ended")).to_contain_text("back in matching")
    expect(desk.get_by_text("Open", exact=True).first).to_be_visible()
    screenshot(desk, "22-reunification-not-same-child")

    review = new_page()
    sign_in_with_code(review, reviewer)
    notes = review.get_by_test_id("notifications")
    expect(notes).to_contain_text(f"Candidate #{candidate.pk}, which you confirmed")
    notes.get_by_role("link", name="Open").first.click()
    expect(review.get_by_text("Verified in person: not the same child").first).to_be_visible()
    screenshot(review, "23-reviewer-learns")


def test_a_senior_reviewer_resolves_a_dispute_with_a_reason(
    new_page, candidate, reviewer, reviewer2, org_review
):
    candidate_decide(user=reviewer, candidate=candidate, decision="confirm", note="Same ears.")
    candidate_decide(user=reviewer2, candidate=candidate, decision="reject", note="Eyes differ.")
    senior = UserFactory(username="senior", organisation=org_review, role=User.Role.SENIOR_REVIEWER)

    page = new_page()
    sign_in_with_code(page, senior)
    page.get_by_role("link", name="Disputed").click()
    expect(page.get_by_test_id("waiting")).to_contain_text("1 disputed candidate waiting")
    dispute = page.get_by_test_id("dispute")
    expect(dispute).to_contain_text("Same ears.")
    expect(dispute).to_contain_text("Eyes differ.")
    screenshot(page, "24-disputes")
    dispute.get_by_role("link", name=f"Record the final decision on #{candidate.pk}").click()

    page.get_by_label("Not the same child", exact=True).check()
    page.get_by_role("button", name="Record final decision").click()
    expect(page.get_by_role("alert")).to_contain_text("A reason is required")
    page.get_by_label("Not the same child", exact=True).check()
    page.get_by_label("Reason").fill("The eye shape differs in both photo pairs.")
    screenshot(page, "25-final-decision")
    page.get_by_role("button", name="Record final decision").click()
    recorded = f"Final decision recorded on candidate #{candidate.pk}"
    expect(page.get_by_text(recorded)).to_be_visible()
    expect(page.get_by_test_id("waiting")).to_contain_text("0 disputed candidates waiting")

    other = new_page()
    sign_in_with_code(other, reviewer)
    other.goto(f"/review/candidates/{candidate.pk}/")
    expect(other.get_by_text("Rejected: not the same child").first).to_be_visible()
    expect(other.get_by_test_id("final-decision")).to_contain_text("The eye shape differs")
