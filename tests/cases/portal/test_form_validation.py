"""The portal's forms refuse what the API refuses, in the same words (one validation)."""

from __future__ import annotations

import pytest

from cases.models.validators import TEXT_MAX_LENGTH
from cases.portal.forms import CaseForm, ReportForm
from tests.support.data import CASE_FORM, REPORT_FORM

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"found_on": "2099-01-01"}, "found_on", "in the future"),
        ({"found_on": "1800-01-01"}, "found_on", "on or after 1900-01-01"),
        ({"notes": "x" * (TEXT_MAX_LENGTH + 1)}, "notes", f"at most {TEXT_MAX_LENGTH}"),
    ],
)
def test_report_form_refuses_like_the_api(changes, field, words):
    form = ReportForm(data={**REPORT_FORM, **changes})
    assert not form.is_valid()
    assert words in " ".join(form.errors[field])


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"last_seen_on": "2099-01-01"}, "last_seen_on", "in the future"),
        ({"consent_given_at": "2099-01-01 09:00"}, "consent_given_at", "in the future"),
        ({"date_of_birth": "2025-02-01"}, "last_seen_on", "before the date of birth"),
        (
            {"date_of_birth": "", "age_min": "10", "age_max": "5"},
            "__all__",
            "youngest age must not be above the oldest",
        ),
    ],
)
def test_case_form_refuses_like_the_api(changes, field, words):
    form = CaseForm(data={**CASE_FORM, "consent_given_at": "2025-01-11 09:00", **changes})
    assert not form.is_valid()
    text = " ".join(form.errors.get(field, []))
    assert words in text, form.errors
    assert "constraint" not in str(form.errors).lower()


def test_bulk_refuses_a_future_date_per_item_and_files_the_others(api_for, partner):
    from cases.models import FoundReport

    good = {k: v for k, v in REPORT_FORM.items()}
    bad = {**good, "external_ref": "BULK-BAD", "found_on": "2099-01-01"}
    response = api_for(partner).post(
        "/api/v1/found-reports/bulk/", {"reports": [good, bad]}, format="json"
    )
    assert response.status_code < 500
    results = response.json()["results"]
    assert results[1]["status"] == 400 and "found_on" in str(results[1])
    assert not FoundReport.objects.filter(external_ref="BULK-BAD").exists()
