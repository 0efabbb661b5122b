"""Issue 26 in a browser, at 1366 px and 390 px: who decided, the senior's photos, closed
and erased records, and the two faces side by side on a phone."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from cases.models import MissingCase, User
from cases.records.services import PhotoUpload, photo_add
from cases.safeguards.erasure import case_consent_withdraw
from cases.safeguards.retention import case_close
from matching.candidates.pairs import candidate_pair_record
from matching.models import Candidate
from matching.review.decisions import candidate_decide, candidate_resolve
from tests.factories import MissingCaseFactory, UserFactory
from tests.support.browser import screenshot, sign_in, sign_in_with_code
from tests.support.data import image_bytes
from tests.support.faces import ready_photo_with_embedding

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
SENIOR_WORDS = "Reviewers disagreed; a senior reviewer confirmed"


@pytest.fixture
def senior(org_review) -> User:
    return UserFactory(username="senior", organisation=org_review, role=User.Role.SENIOR_REVIEWER)


def _candidate(caseworker, partner, seed: int) -> Candidate:
    case_face = ready_photo_with_embedding(user=caseworker, seed=seed, side="case")
    candidate_pair_record(
        case_face=case_face,
        report_face=ready_photo_with_embedding(user=partner, seed=seed + 1, side="report"),
        score=0.95,
    )
    return Candidate.objects.get(case=case_face.photo.case)


def _in_first_screen(page, locator) -> dict:
    box = locator.bounding_box()
    viewport = page.viewport_size
    assert box is not None
    assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"] + 1
    assert box["y"] >= 0 and box["y"] + box["height"] <= viewport["height"], box
    return box


def test_on_a_phone_both_faces_are_in_the_first_screen_on_the_page_and_in_the_dialog(
    new_page, caseworker, partner, reviewer
):
    candidate = _candidate(caseworker, partner, seed=1)
    page = new_page(**PHONE)
    sign_in_with_code(page, reviewer)
    page.goto(f"/review/candidates/{candidate.pk}/")
    faces = page.locator("#faces img")
    expect(faces).to_have_count(2)
    left = _in_first_screen(page, faces.nth(0))
    right = _in_first_screen(page, faces.nth(1))
    assert right["x"] > left["x"] + left["width"] - 1  # side by side, not stacked
    assert left["width"] >= 140  # large enough to compare
    screenshot(page, "issue26-phone-candidate-faces")

    page.get_by_role("link", name=re.compile(r"Open side by side")).first.click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    for name in ("Missing child's face", "Found child's face"):
        image = dialog.get_by_role("img", name=re.compile(name))
        expect(image).to_be_visible()
        _in_first_screen(page, image)
    screenshot(page, "issue26-phone-pair-dialog")


@pytest.mark.parametrize("size", [{"width": 1366, "height": 768}, PHONE], ids=["desktop", "phone"])
def test_who_decided_is_said_and_the_senior_decides_with_the_photos(
    new_page, caseworker, partner, reviewer, reviewer2, senior, size
):
    resolved = _candidate(caseworker, partner, seed=3)
    candidate_decide(user=reviewer, candidate=resolved, decision="confirm", note="Same ears.")
    candidate_decide(user=reviewer2, candidate=resolved, decision="reject", note="Chin differs.")
    candidate_resolve(user=senior, candidate=resolved, decision="confirm", reason="The scar.")
    disputed = _candidate(caseworker, partner, seed=5)
    candidate_decide(user=reviewer, candidate=disputed, decision="confirm", note="Same ears.")
    candidate_decide(user=reviewer2, candidate=disputed, decision="unsure", note="Blurry.")
    tag = "phone" if size["width"] < 500 else "desktop"

    desk = new_page(**size)
    sign_in(desk, "caseworker")
    desk.goto(f"/cases/{resolved.case_id}/")
    expect(desk.get_by_test_id("decided")).to_have_text(SENIOR_WORDS)
    expect(desk.get_by_test_id("senior-decision")).to_contain_text("The scar.")
    expect(desk.get_by_text("Two reviewers think")).to_have_count(0)
    screenshot(desk, f"issue26-{tag}-case-senior-confirmed")

    bench = new_page(**size)
    sign_in_with_code(bench, senior)
    bench.goto(f"/review/disputed/{disputed.pk}/")
    expect(bench.locator("#faces img")).to_have_count(2)
    expect(bench.get_by_test_id("pairs").locator("tbody tr")).to_have_count(disputed.pairs.count())
    bench.get_by_role("link", name=re.compile(r"Open side by side")).first.click()
    expect(
        bench.get_by_role("dialog").get_by_role("img", name=re.compile("Found child"))
    ).to_be_visible()
    screenshot(bench, f"issue26-{tag}-senior-decides-with-photos")


@pytest.mark.parametrize("size", [{"width": 1366, "height": 768}, PHONE], ids=["desktop", "phone"])
def test_closed_and_erased_cases_say_so(new_page, caseworker, partner, reviewer, size):
    waiting = _candidate(caseworker, partner, seed=7)
    case_close(user=caseworker, case=waiting.case, outcome=MissingCase.Status.REUNITED)
    erased = MissingCaseFactory(created_by=caseworker)
    photo_add(user=caseworker, owner=erased, upload=PhotoUpload(data=image_bytes(size=(200, 200))))
    case_consent_withdraw(user=caseworker, case=erased, reason="Mother phoned on 1 July")
    tag = "phone" if size["width"] < 500 else "desktop"

    desk = new_page(**size)
    sign_in(desk, "caseworker")
    desk.goto(f"/cases/{erased.pk}/")
    expect(desk.get_by_test_id("removal")).to_contain_text("The guardian withdrew consent")
    expect(desk.get_by_test_id("timeline")).to_contain_text("Guardian withdrew consent")
    expect(desk.get_by_role("link", name="Edit")).to_have_count(0)
    screenshot(desk, f"issue26-{tag}-case-after-consent-withdrawal")
    desk.goto(f"/cases/{erased.pk}/edit/")
    expect(desk.get_by_test_id("refused")).to_contain_text("cannot be edited")

    review = new_page(**size)
    sign_in_with_code(review, reviewer)
    expect(review.get_by_role("link", name=re.compile(f"#{waiting.pk}:"))).to_have_count(0)
    review.goto(f"/review/candidates/{waiting.pk}/")
    expect(review.get_by_test_id("case-closed")).to_contain_text(
        "This child's case was closed as reunited on"
    )
    expect(review.get_by_role("button", name="Record decision")).to_have_count(0)
    screenshot(review, f"issue26-{tag}-candidate-of-reunited-case")


@pytest.mark.parametrize("size", [{"width": 1366, "height": 768}, PHONE], ids=["desktop", "phone"])
def test_the_case_prints_and_its_summary_downloads_as_a_pdf(new_page, caseworker, size):
    case = MissingCaseFactory(created_by=caseworker)
    photo_add(user=caseworker, owner=case, upload=PhotoUpload(data=image_bytes(size=(200, 200))))
    tag = "phone" if size["width"] < 500 else "desktop"
    page = new_page(**size)
    sign_in(page, "caseworker")
    page.goto(f"/cases/{case.pk}/")
    with page.expect_download() as download:
        page.get_by_test_id("summary-pdf").click()
    pdf = download.value
    assert pdf.suggested_filename == f"{case.reference}-summary.pdf"
    with open(pdf.path(), "rb") as file:
        assert file.read(5) == b"%PDF-"

    # On paper the page is the record: no header, navigation, buttons or forms.
    page.emulate_media(media="print")
    expect(page.locator("header.topbar")).to_be_hidden()
    expect(page.get_by_test_id("summary-pdf")).to_be_hidden()
    expect(page.get_by_role("heading", name="Details")).to_be_visible()
    screenshot(page, f"issue26-{tag}-case-page-printed")


@pytest.mark.parametrize("size", [{"width": 1366, "height": 768}, PHONE], ids=["desktop", "phone"])
def test_a_wrong_photo_is_removed_and_a_box_around_nothing_asks_why(new_page, caseworker, size):
    face = ready_photo_with_embedding(user=caseworker, seed=9, side="case")
    case = face.photo.case
    spare = ready_photo_with_embedding(user=caseworker, seed=11, side="case").photo
    tag = "phone" if size["width"] < 500 else "desktop"
    page = new_page(**size)
    sign_in(page, "caseworker")

    page.goto(f"/cases/{case.pk}/")
    page.get_by_role("link", name=re.compile("Wrong photo\\? Remove it")).first.click()
    page.get_by_label("Why is this photo wrong?").fill("A photo of her brother.")
    screenshot(page, f"issue26-{tag}-remove-photo")
    page.get_by_role("button", name="Remove this photo for good").click()
    expect(page).to_have_url(re.compile(rf"/cases/{case.pk}/$"))
    expect(page.get_by_role("status")).to_contain_text("The photo is removed")
    expect(page.get_by_test_id("timeline")).to_contain_text("A wrong photo removed")

    # A box drawn on a photo where no detector finds a face: told, and asked why.
    page.goto(f"/photos/{spare.pk}/select-face/")
    page.get_by_label("Draw a box around the child's face").check()
    for name, value in {"x": "40", "y": "40", "w": "100", "h": "100"}.items():
        page.locator(f"#face-picker-form input[name={name}]").fill(value)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_test_id("no-face-found")).to_be_visible()
    page.get_by_label("Why is this the child's face?").fill("Side view; the scarf hides it.")
    screenshot(page, f"issue26-{tag}-drawn-box-no-face")
    page.get_by_role("button", name="Save this choice").click()
    expect(page.get_by_role("status")).to_contain_text("the face you outlined")
