import re

import pytest
from playwright.sync_api import expect

from cases.models import MissingCase, Photo
from tests.support.browser import screenshot, sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("real_engine"),
]


def test_sign_in_shows_the_organisation(new_page, caseworker):
    page = new_page()
    page.goto("/accounts/login/")
    screenshot(page, "01-sign-in")
    sign_in(page, "caseworker")
    expect(page.get_by_test_id("organisation")).to_have_text(caseworker.organisation.name)
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    screenshot(page, "02-dashboard")


def test_create_a_case_with_a_photo_and_see_it_ready(
    new_page, caseworker, same_person_pair, background_tasks
):
    page = new_page()
    sign_in(page, "caseworker")
    page.goto("/cases/new/")
    page.get_by_label("Given name").fill("Amina")
    page.get_by_label("Family name").fill("Kamara")
    page.get_by_label("Sex").select_option("female")
    page.get_by_label("Youngest possible age when last seen").fill("7")
    page.get_by_label("Oldest possible age when last seen").fill("9")
    page.get_by_label("Last seen on").fill("2025-01-10")
    page.get_by_label("Last seen place").fill("Market square, Freetown")
    page.get_by_label("Consent given by").fill("Fatima Kamara")
    page.get_by_label("Their relationship to the child").fill("Mother")
    page.get_by_label("Consent given on").fill("2025-01-11T09:30")
    page.get_by_label("How consent was given").select_option("in_person")
    page.get_by_label("Choose photos").set_input_files(str(same_person_pair[0]))
    page.locator("#photo-1-age_in_photo").fill("8")
    expect(page.locator(".photo-item .preview img").first).to_be_visible()  # preview
    screenshot(page, "03-case-form")
    page.get_by_role("button", name="Register case").click()

    expect(page).to_have_url(re.compile(r"/cases/\d+/$"))
    expect(page.locator("[data-photo-status]").first).to_have_text(
        "Ready: being compared", timeout=60_000
    )
    case = MissingCase.objects.get(given_name="Amina")
    assert case.photos.get().status == Photo.Status.READY
    screenshot(page, "04-case-page")
    page.goto("/cases/")
    expect(page.get_by_role("link", name=case.reference)).to_be_visible()
    screenshot(page, "05-case-list")


def test_case_page_at_phone_width(new_page, caseworker):
    page = new_page(width=390, height=844)
    sign_in(page, "caseworker")
    page.goto("/cases/new/")
    expect(page.get_by_label("Given name")).to_be_visible()
    screenshot(page, "06-case-form-phone")


def test_pick_a_face_on_couple_photo(new_page, caseworker, faces_dir):
    page = new_page()
    sign_in(page, "caseworker")
    page.goto("/reports/new/")
    page.get_by_label("Your reference for this report").fill("FR-77")
    page.get_by_label("Found on").fill("2025-06-01")
    page.get_by_label("Found place").fill("Riverside shelter")
    page.get_by_label("Estimated age (from)").fill("6")
    page.get_by_label("Estimated age (to)").fill("10")
    page.get_by_label("Choose photos").set_input_files(str(faces_dir / "deepface" / "couple.jpg"))
    page.get_by_role("button", name="File report").click()

    page.get_by_role("link", name="Choose the child's face").click()
    expect(page.locator(".face-box")).to_have_count(2)
    page.wait_for_function("() => document.querySelector('.face-picker img').complete")
    screenshot(page, "07-choose-face")
    page.get_by_role("radio", name="Face 1").check()
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Save this choice").click()
    expect(page.locator("[data-photo-status]").first).to_have_text("Ready: being compared")
    assert Photo.objects.get().status == Photo.Status.READY
