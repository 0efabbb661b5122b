"""What users of good case systems expect: search, timeline, dates, notifications, empty
states and confirmations."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from cases.models import Notification
from cases.records.services import PhotoUpload, case_create
from tests.factories import MissingCaseFactory
from tests.support.data import CASE_FIELDS, textured_photo

pytestmark = pytest.mark.django_db


def test_full_name_and_reference_search_find_the_case(client, caseworker):
    amina = MissingCaseFactory(created_by=caseworker, given_name="Amina", family_name="Testcase")
    MissingCaseFactory(created_by=caseworker, given_name="Amina", family_name="Other")
    client.force_login(caseworker)
    page = client.get("/cases/", {"q": "amina testcase"}).content.decode()
    assert amina.reference in page and "Other" not in page
    assert amina.reference in client.get("/cases/", {"q": amina.reference.lower()}).content.decode()
    assert "No cases match these filters" in client.get("/cases/", {"q": "nobody"}).content.decode()


def test_timeline_names_who_did_what_and_shows_the_photo(client, caseworker):
    caseworker.first_name, caseworker.last_name = "Mariam", "Sesay"
    caseworker.save()
    case = case_create(
        user=caseworker,
        photos=[PhotoUpload(data=textured_photo(seed=s)) for s in (1, 3)],
        **CASE_FIELDS,
    )
    client.force_login(caseworker)
    html = client.get(f"/cases/{case.pk}/").content.decode()
    timeline = html[html.index('data-testid="timeline"') :]
    assert "Case registered" in timeline and "by Mariam Sesay" in timeline
    assert "Photo added: photo 1" in timeline and "Photo added: photo 2" in timeline
    for photo in case.photos.all():
        assert f"/photos/{photo.pk}/thumb/" in timeline


def test_one_date_format_on_a_page(client, caseworker):
    case = case_create(user=caseworker, photos=[], **CASE_FIELDS)
    client.force_login(caseworker)
    html = client.get(f"/cases/{case.pk}/").content.decode()
    assert "10 Jan 2025" in html  # last seen
    assert not re.search(r"\b2025-01-1\d\b(?![^<]*>)", html.split("<main")[1])
    assert not re.search(r"Jan\. |January ", html)


def test_read_notifications_stay_in_the_history_and_the_badge_counts_unread(client, caseworker):
    note = Notification.objects.create(user=caseworker, message="Possible match for C-1", link="/")
    Notification.objects.create(user=caseworker, message="Older news")
    client.force_login(caseworker)
    badge = re.compile(r'data-testid="notification-badge">Notifications <span class="count">(\d+)')
    assert badge.search(client.get("/").content.decode())[1] == "2"

    response = client.post(f"/notifications/{note.pk}/read/", {"next": "notifications"})
    assert response["Location"] == "/notifications/"
    note.refresh_from_db()
    assert note.read_at is not None
    history = client.get("/notifications/").content.decode()
    assert "Possible match for C-1" in history and "Read " in history
    assert badge.search(history)[1] == "1"
    # The dashboard lists only what is new.
    assert "Possible match for C-1" not in client.get("/").content.decode()


def test_empty_lists_say_what_to_do_next(client, caseworker):
    client.force_login(caseworker)
    assert (
        "Register a missing child</a> with the guardian" in client.get("/cases/").content.decode()
    )
    assert "File a found-child report</a> when" in client.get("/reports/").content.decode()
    assert "You will be told here" in client.get("/notifications/").content.decode()


def test_photo_rows_are_one_multi_file_field(client, caseworker):
    client.force_login(caseworker)
    html = client.get("/cases/new/").content.decode()
    assert re.search(r'<input type="file" name="photos" id="id_photos" multiple', html)
    assert "photos-0-image" not in html
    case = MissingCaseFactory(created_by=caseworker)
    response = client.post(
        f"/cases/{case.pk}/photos/add/",
        {"photos": [SimpleUploadedFile("a.png", textured_photo(seed=1))]},
    )
    assert response.status_code == 302
