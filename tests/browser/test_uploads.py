"""Uploading photos as a caseworker would: several at once, by drag-and-drop, errors that
keep the chosen files, and photo states changing live on the case page."""

from __future__ import annotations

import base64
import re
import threading

import pytest
from playwright.sync_api import expect

from cases.models import MissingCase, Photo
from tests.factories import MissingCaseFactory
from tests.support.browser import screenshot, sign_in
from tests.support.data import textured_photo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def gate(monkeypatch):
    """Photo processing waits until the test has seen the photo waiting."""
    from matching.faces import processing

    opened = threading.Event()
    real = processing.photo_process

    def held(*, photo_id: int) -> None:
        opened.wait(60)
        real(photo_id=photo_id)

    monkeypatch.setattr(processing, "photo_process", held)
    yield opened
    opened.set()


def _files(tmp_path, **named: bytes) -> list[str]:
    paths = []
    for name, data in named.items():
        path = tmp_path / name.replace("_", ".")
        path.write_bytes(data)
        paths.append(str(path))
    return paths


def test_several_photos_an_error_keeps_them_and_states_change_live(
    new_page, caseworker, tmp_path, background_tasks, gate
):
    case = MissingCaseFactory(created_by=caseworker)
    page = new_page()
    sign_in(page, "caseworker")
    page.goto(f"/cases/{case.pk}/photos/add/")
    files = _files(
        tmp_path,
        first_png=textured_photo(seed=1),
        notes_jpg=b"a text file renamed to look like a photo\n" * 30,
        second_png=textured_photo(seed=3),
    )
    page.get_by_label("Choose photos").set_input_files(files)
    rows = page.locator(".photo-item")
    expect(rows).to_have_count(3)
    expect(rows.nth(0).locator(".preview img")).to_be_visible()
    page.get_by_label("Child's age in the photo").nth(0).fill("7")
    page.get_by_label("Date taken").nth(2).fill("2024-05-01")
    screenshot(page, "upload-01-three-chosen")
    # The text file is refused on its row at once, in the API's words, and never shown as
    # "uploaded, being checked"; Upload sends nothing until it is removed.
    refusal = rows.nth(1).locator("[data-client-refusal]")
    expect(refusal).to_contain_text("notes.jpg is not a photo we can read")
    page.get_by_role("button", name="Upload").click()
    expect(refusal).to_be_focused()
    expect(rows.nth(1).locator("[data-file-state]")).not_to_contain_text("being checked")
    expect(rows).to_have_count(3)
    expect(page.get_by_label("Child's age in the photo").nth(0)).to_have_value("7")
    assert case.photos.count() == 0
    screenshot(page, "upload-02-error-files-kept")

    page.get_by_role("button", name="Remove notes.jpg").click()
    expect(rows).to_have_count(2)
    page.get_by_role("button", name="Upload").click()

    # The request answered at once; processing goes on behind it and the page follows it.
    expect(page).to_have_url(re.compile(rf"/cases/{case.pk}/$"))
    states = page.locator("[data-photo-status]")
    expect(states).to_have_count(2)
    expect(states.first).to_have_attribute("data-photo-status", "pending")
    screenshot(page, "upload-03-waiting")
    gate.set()
    expect(states.nth(0)).to_have_text("Ready: being compared", timeout=60_000)
    expect(states.nth(1)).to_have_text("Ready: being compared", timeout=60_000)
    photos = list(case.photos.order_by("id"))
    assert [(p.original_filename, p.age_in_photo, str(p.taken_on)) for p in photos] == [
        ("first.png", 7, "None"),
        ("second.png", None, "2024-05-01"),
    ]
    assert all(p.status == Photo.Status.READY for p in photos)
    screenshot(page, "upload-04-ready")


def test_drag_and_drop_with_a_form_error_keeps_the_dropped_photo(new_page, caseworker):
    page = new_page()
    sign_in(page, "caseworker")
    page.goto("/cases/new/")
    data = base64.b64encode(textured_photo(seed=5)).decode()
    drop = page.evaluate_handle(
        """(data) => {
            const bytes = Uint8Array.from(atob(data), c => c.charCodeAt(0));
            const transfer = new DataTransfer();
            transfer.items.add(new File([bytes], "dropped.png", {type: "image/png"}));
            return transfer;
        }""",
        data,
    )
    page.dispatch_event("[data-dropzone]", "drop", {"dataTransfer": drop})
    expect(page.locator(".photo-item [data-file-name]")).to_have_text(["dropped.png"])
    # Most of the form is left empty: the errors come back, the photo stays chosen.
    page.get_by_label("Given name").fill("Amina")
    page.get_by_role("button", name="Register case").click()
    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link").first).to_contain_text("Last seen on")
    expect(page.locator(".photo-item [data-file-name]")).to_have_text(["dropped.png"])
    expect(page.locator(".photo-item .preview img")).to_be_visible()
    screenshot(page, "upload-05-dropped-kept")

    page.get_by_label("Sex").select_option("female")
    page.get_by_label("Youngest possible age when last seen").fill("7")
    page.get_by_label("Oldest possible age when last seen").fill("9")
    page.get_by_label("Last seen on").fill("2025-01-10")
    page.get_by_label("Last seen place").fill("Market square")
    page.get_by_label("Consent given by").fill("Fatima")
    page.get_by_label("Their relationship to the child").fill("Mother")
    page.get_by_label("Consent given on").fill("2025-01-11T09:30")
    page.get_by_label("How consent was given").select_option("in_person")
    page.get_by_role("button", name="Register case").click()
    expect(page).to_have_url(re.compile(r"/cases/\d+/$"))
    case = MissingCase.objects.get(given_name="Amina")
    assert list(case.photos.values_list("original_filename", flat=True)) == ["dropped.png"]


def test_without_javascript_the_page_says_which_photos_to_choose_again(
    browser, live_server, caseworker, tmp_path
):
    from tests.support.browser import screenshot as shot

    context = browser.new_context(java_script_enabled=False, base_url=live_server.url)
    page = context.new_page()
    sign_in(page, "caseworker")
    case = MissingCaseFactory(created_by=caseworker)
    page.goto(f"/cases/{case.pk}/photos/add/")
    files = _files(tmp_path, good_png=textured_photo(seed=1), bad_jpg=b"nope" * 100)
    page.get_by_label("Choose photos").set_input_files(files)
    page.get_by_label("Child's age in the photo").fill("6")  # one set of details for all
    page.get_by_role("button", name="Upload").click()
    # Each photo stands alone: the good one is added, the case page names the refused one.
    expect(page.get_by_role("status")).to_contain_text("Photo 2 (bad.jpg) was not added")
    assert case.photos.count() == 1
    shot(page, "upload-06-no-js-one-refused")

    # When every photo fails the form comes back, naming the photos to choose again.
    page.goto(f"/cases/{case.pk}/photos/add/")
    files = _files(tmp_path, bad_jpg=b"nope" * 100, worse_jpg=b"nope" * 50)
    page.get_by_label("Choose photos").set_input_files(files)
    page.get_by_role("button", name="Upload").click()
    expect(page.locator("[data-error-summary]")).to_contain_text("Photo 2 (worse.jpg)")
    # Without the script, `autofocus` still puts the focus on the summary.
    expect(page.locator("[data-error-summary]")).to_be_focused()
    expect(page.locator("[data-refile-note]")).to_contain_text("bad.jpg")
    shot(page, "upload-06-no-js")
    context.close()


def test_each_file_shows_its_own_upload_progress(new_page, caseworker, tmp_path):
    case = MissingCaseFactory(created_by=caseworker)
    page = new_page()
    sign_in(page, "caseworker")
    page.goto(f"/cases/{case.pk}/photos/add/")
    files = _files(
        tmp_path,
        a_png=textured_photo(seed=1),
        b_png=textured_photo(seed=3),
        c_png=textured_photo(seed=6),
    )
    page.get_by_label("Choose photos").set_input_files(files)
    # A slow connection (about 0.5 MB in all at 100 kB/s), so the progress can be watched.
    cdp = page.context.new_cdp_session(page)
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": 100_000},
    )
    page.get_by_role("button", name="Upload").click()
    rows = page.locator(".photo-item")
    # Files go in order: the first is done while the last is still on its way.
    expect(rows.nth(0).locator("[data-file-state]")).to_have_text(
        "uploaded, being checked", timeout=30_000
    )
    expect(rows.nth(2).locator("[data-file-state]")).to_contain_text("uploading")
    screenshot(page, "upload-07-per-file-progress")
    expect(page).to_have_url(re.compile(rf"/cases/{case.pk}/$"), timeout=60_000)
    assert case.photos.count() == 3
