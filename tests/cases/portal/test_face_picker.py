"""The face picker page: nothing is saved before "Save", the current choice is shown, and
"the child is not outlined" offers a box or setting the photo aside."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cases.models import Photo
from cases.records.services import PhotoUpload, case_create
from tests.support.data import CASE_FIELDS

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def group(caseworker, group_photo, client) -> Photo:
    case = case_create(
        user=caseworker, photos=[PhotoUpload(data=group_photo.read_bytes())], **CASE_FIELDS
    )
    client.force_login(caseworker)
    return case.photos.get()


def test_a_drawn_box_is_shown_back_then_saved(client, group):
    url = reverse("photo-select-face", args=[group.pk])
    box = {"x": "10", "y": "20", "w": "90", "h": "100"}
    check = client.post(url, {"choice": "draw", **box})
    assert check.status_code == 200
    body = check.content.decode()
    assert "Check your choice" in body and "The box you drew" in body
    assert group.faces.count() == 2  # nothing saved yet
    saved = client.post(url, {"choice": "draw", "confirm": "on", **box}, follow=True)
    assert "Saved: the face you outlined will be compared." in saved.content.decode()
    group.refresh_from_db()
    assert group.status == Photo.Status.READY
    assert group.faces.get(is_selected=True).w == 90


def test_a_box_that_is_too_small_is_refused_on_the_page(client, group):
    url = reverse("photo-select-face", args=[group.pk])
    response = client.post(url, {"choice": "draw", "x": "1", "y": "1", "w": "5", "h": "5"})
    assert response.status_code == 400
    assert "too small" in response.content.decode()
    assert 'value="5"' in response.content.decode()  # what was typed is kept


def test_the_child_not_in_the_photo_sets_it_aside(client, group):
    url = reverse("photo-select-face", args=[group.pk])
    check = client.post(url, {"choice": "reject"})
    assert "Save: the child is not in this photo" in check.content.decode()
    client.post(url, {"choice": "reject", "confirm": "on"})
    group.refresh_from_db()
    assert group.status == Photo.Status.REJECTED
    assert group.rejection_code == "child_not_outlined"


def test_the_current_choice_is_shown_and_can_be_changed(client, group):
    url = reverse("photo-select-face", args=[group.pk])
    first, second = group.faces.order_by("ordinal")
    client.post(url, {"choice": f"face-{first.pk}", "confirm": "on"})
    page = client.get(url).content.decode()
    assert "Current choice: <strong>face 1</strong>" in page
    assert f'value="face-{first.pk}" checked' in page
    check = client.post(url, {"choice": f"face-{second.pk}"}).content.decode()
    assert "instead of face 1" in check
    client.post(url, {"choice": f"face-{second.pk}", "confirm": "on"})
    group.refresh_from_db()
    assert group.faces.get(is_selected=True) == second
    assert group.status == Photo.Status.READY


def test_a_box_typed_wrongly_says_so(client, group):
    url = reverse("photo-select-face", args=[group.pk])
    response = client.post(url, {"choice": "draw", "x": "-4", "y": "a", "w": "90", "h": "90"})
    assert response.status_code == 400
    assert "whole pixels inside the photo" in response.content.decode()
