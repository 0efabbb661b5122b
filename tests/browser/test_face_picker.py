"""The face picker in a browser: confirm before saving, the current choice shown, change it
by drawing a box around the child's face."""

import re

import pytest
from playwright.sync_api import expect

from cases.models import Photo
from cases.records.services import PhotoUpload, case_create
from tests.support.browser import screenshot, sign_in
from tests.support.data import CASE_FIELDS

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("real_engine"),
]


def test_choose_confirm_then_change_by_drawing_a_box(new_page, caseworker, faces_dir):
    case = case_create(
        user=caseworker,
        **CASE_FIELDS,
        photos=[PhotoUpload(data=(faces_dir / "deepface" / "couple.jpg").read_bytes())],
    )
    photo = case.photos.get()
    assert photo.status == Photo.Status.NEEDS_FACE_SELECTION

    page = new_page(height=1800)  # the whole photo in view, for the mouse
    sign_in(page, caseworker.username)
    page.goto(f"/cases/{case.pk}/")
    page.get_by_role("link", name="Choose the child's face").click()
    expect(page.get_by_test_id("current-choice")).to_contain_text("No face chosen yet")
    page.get_by_role("radio", name="Face 2").check()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Check your choice")).to_be_focused()
    screenshot(page, "40-face-confirm")
    photo.refresh_from_db()
    assert photo.status == Photo.Status.NEEDS_FACE_SELECTION  # nothing saved yet
    page.get_by_role("link", name="Choose again").click()
    page.get_by_role("radio", name="Face 1").check()
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Save this choice").click()
    expect(page.get_by_role("status")).to_contain_text("Saved: face 1")
    expect(page.locator("[data-photo-status]").first).to_have_text("Ready: being compared")

    # Later: the outlined face was not the child's; draw the box around the other face.
    page.get_by_role("link", name="Not the child's face? Change it").click()
    expect(page.get_by_test_id("current-choice")).to_contain_text("face 1")
    other = photo.faces.get(ordinal=1)
    page.get_by_role("radio", name="Draw a box around the child's face").check()
    img = page.locator(".face-picker img")
    page.wait_for_function("() => document.querySelector('.face-picker img').complete")
    img.scroll_into_view_if_needed()
    shown = img.bounding_box()
    scale = shown["width"] / photo.width
    x0, y0 = shown["x"] + other.x * scale, shown["y"] + other.y * scale
    page.mouse.move(x0, y0)
    page.mouse.down()
    page.mouse.move(x0 + other.w * scale, y0 + other.h * scale, steps=8)
    page.mouse.up()
    expect(page.locator(".drawn-box")).to_be_visible()
    assert int(page.get_by_label("Width (pixels)").input_value()) >= 40
    screenshot(page, "41-face-drawn")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_text("The box you drew")).to_be_visible()
    page.get_by_role("button", name="Save this choice").click()
    expect(page).to_have_url(re.compile(f"/cases/{case.pk}/$"))
    expect(page.locator("[data-photo-status]").first).to_have_text("Ready: being compared")
    chosen = photo.faces.get(is_selected=True)
    assert chosen.detector_score == 0 and abs(chosen.x - other.x) < 20
