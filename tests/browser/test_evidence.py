"""The reviewer's evidence in a browser: every pair side by side in a dialog that stays on
the page (Esc closes it, focus returns), zoom, and the next candidate after a decision."""

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from cases.models import Photo
from cases.records.services import PhotoUpload, case_create, photo_add, report_create
from matching.models import Candidate
from tests.support.browser import screenshot, sign_in_with_code
from tests.support.data import CASE_FIELDS, REPORT_FIELDS

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("real_engine"),
]


def _sign_in_with_code(page, user) -> None:
    sign_in_with_code(page, user)
    expect(page.get_by_role("heading", name=re.compile("Review"))).to_be_visible()


def test_every_pair_opens_side_by_side_and_the_next_candidate_follows(
    new_page, caseworker, partner, reviewer, lfw_people
):
    people = [photos for photos in lfw_people.values() if len(photos) >= 3][:2]
    candidates = []
    for n, photos in enumerate(people):
        case = case_create(
            user=caseworker,
            **CASE_FIELDS,
            photos=[PhotoUpload(data=photos[0].read_bytes(), age_in_photo=8)],
        )
        report, _ = report_create(
            user=partner,
            external_ref=f"EV-{n}",
            **REPORT_FIELDS,
            photos=[PhotoUpload(data=photos[1].read_bytes())],
        )
        photo_add(
            user=partner,
            owner=report,
            upload=PhotoUpload(data=photos[2].read_bytes(), taken_on=dt.date(2025, 5, 1)),
        )
        assert all(p.status == Photo.Status.READY for p in report.photos.all())
        candidates.append(Candidate.objects.get(case=case))
    first = candidates[0]
    assert first.pairs.count() == 2

    page = new_page()
    _sign_in_with_code(page, reviewer)
    page.goto(f"/review/candidates/{first.pk}/")
    expect(page.get_by_test_id("case-photo-age")).to_have_text("8 (as given)")

    opener = page.get_by_role("link", name=re.compile(r"Open side by side\W+pair 2"))
    opener.click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("img", name=re.compile("Missing child's face"))).to_be_visible()
    expect(dialog.get_by_role("img", name=re.compile("Found child's face"))).to_be_visible()
    expect(dialog).to_contain_text("Age in this photo")
    assert page.url.endswith(f"/review/candidates/{first.pk}/")  # still on the page
    screenshot(page, "20-pair-side-by-side")
    dialog.get_by_role("button", name="Zoom in or out").first.click()
    expect(dialog.locator(".zoom-toggle[aria-pressed=true]")).to_have_count(1)
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(opener).to_be_focused()

    full_photo = page.get_by_role("link", name="Full photo").first
    full_photo.click()
    expect(page.get_by_role("dialog")).to_be_visible()
    page.get_by_role("button", name="Close").click()
    expect(page.get_by_role("dialog")).to_be_hidden()
    # Closing hands focus back to the link after the dialog's close event: wait for it, or
    # that hand-back can land after the shortcut below and take its focus away.
    expect(full_photo).to_be_focused()

    # The shortcut: "1" picks the first answer and moves to the reasons box.
    page.locator("body").press("1")
    expect(page.get_by_label("Same child", exact=True)).to_be_checked()
    expect(page.get_by_label("Your reasons")).to_be_focused()
    page.get_by_label("Your reasons").fill("Same ears and hairline in both pairs.")
    page.get_by_role("button", name="Record decision").click()
    expect(page.get_by_role("status")).to_contain_text("Your decision is recorded")
    screenshot(page, "21-decision-recorded")
    page.get_by_test_id("next-candidate").click()
    expect(page).to_have_url(re.compile(f"/review/candidates/{candidates[1].pk}/$"))
