"""A generated corpus of input that must be refused (issue 11, item 9).

Each entry: where it is sent, what is wrong, the expected status and problem `type`, and the
field named. Every refusal is problem+json, names no database constraint, and stores nothing
(no case, report or photo row, no file).
"""

from __future__ import annotations

import io
import zlib
from pathlib import Path

import pytest
from django.conf import settings
from PIL import Image

from cases.models import FoundReport, MissingCase, Photo
from cases.models.validators import TEXT_MAX_LENGTH
from tests.support.data import CASE_FORM, REPORT_FORM

pytestmark = pytest.mark.django_db

FUTURE = "2099-01-01"
TOO_EARLY = "1899-12-31"


def _huge_png() -> bytes:
    out = io.BytesIO()
    Image.new("L", (1, 1)).save(out, format="PNG")
    raw = bytearray(out.getvalue())
    raw[16:24] = (20000).to_bytes(4, "big") * 2
    raw[29:33] = zlib.crc32(bytes(raw[12:29])).to_bytes(4, "big")
    return bytes(raw)


# (id, who, url, changes to the valid form, photo or None, photo date, status, type, field)
CORPUS = [
    (
        "report found in the future",
        "partner",
        "report",
        {"found_on": FUTURE},
        None,
        None,
        400,
        "validation_error",
        "found_on",
    ),
    (
        "report found before 1900",
        "partner",
        "report",
        {"found_on": TOO_EARLY},
        None,
        None,
        400,
        "validation_error",
        "found_on",
    ),
    (
        "report found in 1800",
        "partner",
        "report",
        {"found_on": "1800-01-01"},
        None,
        None,
        400,
        "validation_error",
        "found_on",
    ),
    (
        "report ages reversed",
        "partner",
        "report",
        {"estimated_age_min": "12", "estimated_age_max": "7"},
        None,
        None,
        400,
        "validation_error",
        None,
    ),
    (
        "report notes too long",
        "partner",
        "report",
        {"notes": "x" * (TEXT_MAX_LENGTH + 1)},
        None,
        None,
        400,
        "validation_error",
        "notes",
    ),
    (
        "report place too long",
        "partner",
        "report",
        {"found_place": "x" * 201},
        None,
        None,
        400,
        "validation_error",
        "found_place",
    ),
    (
        "photo taken in 1800",
        "partner",
        "report",
        {},
        "face",
        "1800-01-01",
        400,
        "validation_error",
        None,
    ),
    (
        "photo taken in the future",
        "partner",
        "report",
        {},
        "face",
        FUTURE,
        400,
        "validation_error",
        None,
    ),
    (
        "photo declaring 20000x20000",
        "partner",
        "report",
        {},
        "huge",
        None,
        413,
        "photo_too_many_pixels",
        None,
    ),
    (
        "case last seen in the future",
        "caseworker",
        "case",
        {"last_seen_on": FUTURE},
        None,
        None,
        400,
        "validation_error",
        "last_seen_on",
    ),
    (
        "case last seen before 1900",
        "caseworker",
        "case",
        {"last_seen_on": TOO_EARLY},
        None,
        None,
        400,
        "validation_error",
        "last_seen_on",
    ),
    (
        "case born after last seen",
        "caseworker",
        "case",
        {"date_of_birth": "2025-02-01", "last_seen_on": "2025-01-10"},
        None,
        None,
        400,
        "validation_error",
        "last_seen_on",
    ),
    (
        "case born in the future",
        "caseworker",
        "case",
        {"date_of_birth": FUTURE},
        None,
        None,
        400,
        "validation_error",
        "date_of_birth",
    ),
    (
        "consent given in the future",
        "caseworker",
        "case",
        {"consent_given_at": "2099-01-01T09:00:00Z"},
        None,
        None,
        400,
        "validation_error",
        "consent_given_at",
    ),
    (
        "case ages reversed",
        "caseworker",
        "case",
        {"date_of_birth": "", "age_min": "10", "age_max": "5"},
        None,
        None,
        400,
        "validation_error",
        None,
    ),
    (
        "case description too long",
        "caseworker",
        "case",
        {"description": "x" * (TEXT_MAX_LENGTH + 1)},
        None,
        None,
        400,
        "validation_error",
        "description",
    ),
    (
        "case photo taken before birth",
        "caseworker",
        "case",
        {},
        "face",
        "2010-01-01",
        400,
        "validation_error",
        None,
    ),
]


def _stored(media: Path) -> tuple[int, int, int, int]:
    files = sum(1 for p in media.rglob("*") if p.is_file()) if media.exists() else 0
    return MissingCase.objects.count(), FoundReport.objects.count(), Photo.objects.count(), files


@pytest.mark.parametrize(
    ("who", "kind", "changes", "photo", "taken_on", "status", "code", "field"),
    [entry[1:] for entry in CORPUS],
    ids=[entry[0] for entry in CORPUS],
)
def test_bad_input_is_refused_with_its_reason_and_nothing_is_stored(
    request, api_for, same_person_pair, who, kind, changes, photo, taken_on, status, code, field
):
    user = request.getfixturevalue(who)
    form = {**(REPORT_FORM if kind == "report" else CASE_FORM), **changes}
    form = {k: v for k, v in form.items() if v != ""}
    if photo is not None:
        data = same_person_pair[0].read_bytes() if photo == "face" else _huge_png()
        from django.core.files.uploadedfile import SimpleUploadedFile

        form["photos"] = [SimpleUploadedFile("p.png", data, content_type="image/png")]
        if taken_on:
            form["photo_taken_on"] = [taken_on]
    before = _stored(Path(settings.MEDIA_ROOT))
    url = "/api/v1/found-reports/" if kind == "report" else "/api/v1/cases/"
    response = api_for(user).post(url, form, format="multipart")

    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == code
    text = response.content.decode()
    assert "constraint" not in text.lower() and "_ordered" not in text
    if field is not None:
        assert field in body["errors"], body
    if "too long" in request.node.callspec.id:
        limit = 200 if field == "found_place" else TEXT_MAX_LENGTH
        assert f" {limit} characters" in text  # the limit, in words
    assert _stored(Path(settings.MEDIA_ROOT)) == before
