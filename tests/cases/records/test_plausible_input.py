"""Plausible ages and dates (issue 23, point 5): children under 18, and dates from 1900 to
today where the organisation is, for every date field, in the API and the portal alike."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from cases.models import FoundReport, MissingCase, Photo
from tests.support.data import CASE_FORM, REPORT_FORM, image_bytes

pytestmark = pytest.mark.django_db

# Noon UTC: already tomorrow at UTC+14 (Kiritimati), still today at UTC-10 (Honolulu).
NOON_UTC = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC)
TODAY, TOMORROW = "2026-03-10", "2026-03-11"


@pytest.fixture
def noon_utc(monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: NOON_UTC)


def _photo() -> SimpleUploadedFile:
    return SimpleUploadedFile("p.png", image_bytes(), content_type="image/png")


def _report(api, **changes):
    return api.post("/api/v1/found-reports/", {**REPORT_FORM, **changes}, format="multipart")


def _case(api, **changes):
    form = {k: v for k, v in {**CASE_FORM, **changes}.items() if v != ""}
    return api.post("/api/v1/cases/", form, format="multipart")


def _refused(response, field: str, words: str) -> None:
    assert response.status_code == 400, response.content[:400]
    problem = response.json()
    assert problem["code"] == "validation_error"
    assert words in str(problem["errors"][field]), problem


@pytest.mark.parametrize(
    ("low", "high", "field"), [(7, 500, "estimated_age_max"), (18, 20, "estimated_age_min")]
)
def test_a_found_child_is_under_18(api_for, partner, low, high, field):
    response = _report(api_for(partner), estimated_age_min=low, estimated_age_max=high)
    _refused(response, field, "A found child is under 18")
    assert not FoundReport.objects.exists()


def test_a_found_child_of_17_is_filed(api_for, partner):
    assert _report(api_for(partner), estimated_age_min=15, estimated_age_max=17).status_code == 201


def test_a_missing_child_born_in_1900_is_refused(api_for, caseworker):
    response = _case(api_for(caseworker), date_of_birth="1900-01-01")
    _refused(response, "date_of_birth", "Reunite is for children under 18")
    assert not MissingCase.objects.exists()


def test_a_missing_childs_age_when_last_seen_is_under_18(api_for, caseworker):
    response = _case(api_for(caseworker), date_of_birth="", age_min=16, age_max=40)
    _refused(response, "age_max", "from 0 to 17")


@pytest.mark.parametrize(
    ("kind", "field"),
    [
        ("report", "found_on"),
        ("case", "last_seen_on"),
        ("case", "date_of_birth"),
        ("case", "consent_given_at"),
    ],
)
def test_tomorrow_in_utc_is_refused_for_an_organisation_in_utc(
    api_for, caseworker, partner, noon_utc, kind, field
):
    value = f"{TOMORROW}T09:00:00Z" if field == "consent_given_at" else TOMORROW
    if kind == "report":
        response = _report(api_for(partner), **{field: value})
    else:
        response = _case(api_for(caseworker), **{field: value})
    _refused(response, field, f"on or before {TODAY}")


def test_a_photo_taken_tomorrow_is_refused_at_upload_and_when_added(api_for, partner, noon_utc):
    api = api_for(partner)
    response = _report(api, photos=[_photo()], photo_taken_on=[TOMORROW])
    assert response.status_code == 400, response.content[:400]
    assert TODAY in response.content.decode()
    report = _report(api).json()
    added = api.post(
        f"/api/v1/found-reports/{report['id']}/photos/",
        {"image": _photo(), "taken_on": TOMORROW},
        format="multipart",
    )
    _refused(added, "taken_on", f"on or before {TODAY}")
    assert not Photo.objects.exists()


def test_tomorrow_in_utc_is_today_for_an_organisation_in_kiritimati(api_for, partner, noon_utc):
    partner.organisation.time_zone = "Pacific/Kiritimati"
    partner.organisation.save(update_fields=["time_zone"])
    response = _report(api_for(partner), found_on=TOMORROW)
    assert response.status_code == 201, response.content[:400]
    _refused(
        _report(api_for(partner), external_ref="X-2", found_on="2026-03-12"),
        "found_on",
        "on or before 2026-03-11",
    )


def test_today_in_utc_is_the_future_for_an_organisation_still_on_yesterday(
    api_for, partner, monkeypatch
):
    monkeypatch.setattr(timezone, "now", lambda: dt.datetime(2026, 3, 10, 3, tzinfo=dt.UTC))
    partner.organisation.time_zone = "America/Los_Angeles"  # 9 March, 20:00 there
    partner.organisation.save(update_fields=["time_zone"])
    _refused(_report(api_for(partner), found_on=TODAY), "found_on", "on or before 2026-03-09")


def test_the_portal_forms_refuse_tomorrow_with_the_same_words(client, caseworker, noon_utc):
    client.force_login(caseworker)
    report = client.post("/reports/new/", {**REPORT_FORM, "found_on": TOMORROW})
    assert report.status_code == 400
    assert f"on or before {TODAY}" in report.content.decode()
    form = {**CASE_FORM, "last_seen_on": TOMORROW, "consent_given_at": "2025-01-11 09:00"}
    case = client.post("/cases/new/", form)
    assert case.status_code == 400
    assert f"on or before {TODAY}" in case.content.decode()
    assert not MissingCase.objects.exists() and not FoundReport.objects.exists()


def test_an_organisations_time_zone_must_be_a_real_one(org_ngo):
    org_ngo.time_zone = "Mars/Olympus_Mons"
    with pytest.raises(ValidationError, match="IANA name"):
        org_ngo.full_clean()
