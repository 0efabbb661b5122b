"""The portal's photo upload: several files at once, the API's words, every error listed."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from cases.models import MissingCase, Photo
from tests.factories import MissingCaseFactory
from tests.support.data import CASE_FORM, image_bytes, textured_photo

pytestmark = pytest.mark.django_db

CASE_POST = {**CASE_FORM, "consent_given_at": "2025-01-11T09:00"}


def _file(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data)


def test_several_photos_in_one_field_each_with_its_own_details(client, caseworker):
    client.force_login(caseworker)
    response = client.post(
        "/cases/new/",
        {
            **CASE_POST,
            "photos": [
                _file("a.png", textured_photo(seed=1)),
                _file("b.png", textured_photo(seed=3)),
            ],
            "photo_taken_on": ["2020-05-01", ""],
            "photo_age_in_photo": ["", "8"],
            "photo_kind": ["photo", "age_progressed"],
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    photos = MissingCase.objects.get().photos.order_by("id")
    assert [(p.original_filename, p.taken_on, p.age_in_photo, p.kind) for p in photos] == [
        ("a.png", dt.date(2020, 5, 1), None, "photo"),
        ("b.png", None, 8, "age_progressed"),
    ]


def test_without_the_script_one_set_of_details_applies_to_every_file(client, caseworker):
    case = MissingCaseFactory(created_by=caseworker)
    client.force_login(caseworker)
    response = client.post(
        f"/cases/{case.pk}/photos/add/",
        {
            "photos": [
                _file("a.png", textured_photo(seed=1)),
                _file("b.png", textured_photo(seed=3)),
            ],
            "all-age_in_photo": "6",
            "all-kind": "photo",
        },
    )
    assert response.status_code == 302
    assert list(case.photos.values_list("age_in_photo", flat=True)) == [6, 6]


def test_a_text_file_named_jpg_gets_the_apis_words_not_djangos(client, caseworker):
    case = MissingCaseFactory(created_by=caseworker)
    client.force_login(caseworker)
    response = client.post(
        f"/cases/{case.pk}/photos/add/",
        {"photos": [_file("notes.jpg", b"just some text, not a photo at all\n" * 20)]},
    )
    assert response.status_code == 400
    text = response.content.decode()
    assert "This file is not a photo we can read. Send a JPEG, PNG or WebP photo." in text
    assert "Upload a valid image" not in text
    assert case.photos.count() == 0


def test_every_error_is_listed_and_linked_in_a_summary_that_takes_focus(client, caseworker):
    client.force_login(caseworker)
    fields = {k: v for k, v in CASE_POST.items() if k != "given_name"}
    response = client.post(
        "/cases/new/",
        {
            **fields,
            "photos": [
                _file("good.png", textured_photo(seed=1)),
                _file("tiny.png", image_bytes(size=(32, 32))),
                _file("text.jpg", b"not an image" * 10),
            ],
            "photo_age_in_photo": ["7", "99", ""],
        },
    )
    assert response.status_code == 400
    summary = response.context["errors"]
    texts = [e["text"] for e in summary]
    assert texts[0] == "Given name: This field is required."
    assert summary[0]["href"] == "#id_given_name"
    # The form was invalid, yet every photo was checked: each one's error is listed.
    assert any(t.startswith("Photo 2 (tiny.png): Child's age in the photo:") for t in texts)
    assert "Photo 2 (tiny.png): The photo is 32x32 pixels" in " | ".join(texts)
    assert any(t.startswith("Photo 3 (text.jpg): This file is not a photo") for t in texts)
    assert not any("good.png" in t for t in texts)
    html = response.content.decode()
    assert "data-error-summary" in html and 'tabindex="-1"' in html
    assert 'href="#photo-2"' in html and 'id="photo-2"' in html
    # Without the script the files cannot be kept: the page says which to choose again.
    assert "choose these 3 photos, in this order, again" in html.lower()
    assert MissingCase.objects.count() == 0


def test_the_help_and_the_rejection_use_the_one_minimum_face_size(client, caseworker, settings):
    settings.MIN_FACE_PIXELS = 57
    client.force_login(caseworker)
    page = client.get("/cases/new/").content.decode()
    assert "at least 57 pixels wide" in page
    assert "80 pixels" not in page

    from matching.faces.processing import _reason

    assert "at least 57 pixels wide" in _reason("face_too_small")


def test_more_files_than_allowed_are_refused_in_words(client, caseworker):
    case = MissingCaseFactory(created_by=caseworker)
    client.force_login(caseworker)
    many = [_file(f"p{i}.png", image_bytes()) for i in range(settings.PHOTOS_PER_REQUEST + 1)]
    response = client.post(f"/cases/{case.pk}/photos/add/", {"photos": many})
    assert response.status_code == 400
    assert f"Send at most {settings.PHOTOS_PER_REQUEST} photos" in response.content.decode()
    assert case.photos.count() == 0


def test_adding_no_photo_says_so(client, caseworker):
    case = MissingCaseFactory(created_by=caseworker)
    client.force_login(caseworker)
    response = client.post(f"/cases/{case.pk}/photos/add/", {})
    assert response.status_code == 400
    assert response.context["errors"] == [
        {"text": "Choose at least one photo.", "href": "#id_photos"}
    ]
    assert Photo.objects.count() == 0


def test_the_pages_script_is_told_where_to_go_instead_of_being_redirected(client, caseworker):
    case = MissingCaseFactory(created_by=caseworker)
    client.force_login(caseworker)
    response = client.post(
        f"/cases/{case.pk}/photos/add/",
        {"photos": [_file("a.png", textured_photo(seed=1))]},
        headers={"X-Requested-With": "XMLHttpRequest"},
    )
    # Following a redirect would fetch the case page once more, as a second audited view.
    assert response.status_code == 200
    assert response["X-Reunite-Location"] == f"/cases/{case.pk}/"
    assert case.photos.count() == 1
