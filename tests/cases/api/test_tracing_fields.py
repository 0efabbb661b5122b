"""Issue 25: what the child or the finder can tell, taken by the API, bulk filing, PFIF
import and the portal, audited, and erased with the record."""

import base64

import pytest
from django.test import Client

from cases.models import AuditEvent, FoundReport, MissingCase, User
from cases.partners.pfif import pfif_import
from cases.safeguards.erasure import REPORT_PERSONAL_FIELDS
from tests.cases.partners.test_pfif import document, person_xml
from tests.factories import FoundReportFactory, MissingCaseFactory, UserFactory
from tests.support.data import image_bytes
from tests.support.otp import force_login_verified

pytestmark = pytest.mark.django_db

TRACING = {
    "child_names": "Amina, Mina",
    "relatives_names": "Fatima Hassan (mother), Omar",
    "home_place": "Kakuma, Turkana",
    "languages": "Arabic, Swahili",
    "distinguishing_marks": "Scar on the left knee.",
}
REPORT_FORM = {
    "external_ref": "HS-TRACE-1",
    "found_on": "2025-06-01",
    "found_place": "Riverside shelter",
    "estimated_age_min": "7",
    "estimated_age_max": "11",
    "sex": "female",
}


def test_the_api_takes_returns_and_audits_the_tracing_fields(api_for, partner):
    client = api_for(partner)
    created = client.post("/api/v1/found-reports/", {**REPORT_FORM, **TRACING}, format="multipart")
    assert created.status_code == 201, created.json()
    body = created.json()
    for name, value in TRACING.items():
        assert body[name] == value
    changed = client.patch(
        f"/api/v1/found-reports/{body['id']}/", {"languages": "Arabic"}, format="json"
    )
    assert changed.status_code == 200, changed.json()
    assert FoundReport.objects.get(pk=body["id"]).languages == "Arabic"
    audit = AuditEvent.objects.filter(action="report.updated").last()
    assert audit.data["fields"] == ["languages"]


def test_the_tracing_fields_are_optional(api_for, partner):
    created = api_for(partner).post("/api/v1/found-reports/", REPORT_FORM, format="multipart")
    assert created.status_code == 201, created.json()
    assert created.json()["child_names"] == "" and created.json()["home_place"] == ""


def test_a_case_takes_relatives_home_and_languages(api_for, caseworker):
    case = MissingCaseFactory(created_by=caseworker)
    response = api_for(caseworker).patch(
        f"/api/v1/cases/{case.pk}/",
        {"relatives_names": "Fatima Hassan", "home_place": "Kakuma", "languages": "Arabic"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    case.refresh_from_db()
    assert (case.relatives_names, case.home_place, case.languages) == (
        "Fatima Hassan",
        "Kakuma",
        "Arabic",
    )


def test_bulk_filing_takes_the_tracing_fields(api_for, partner):
    photo = base64.b64encode(image_bytes(size=(64, 64), fmt="JPEG")).decode()
    item = {
        **REPORT_FORM,
        "external_ref": "HS-BULK-T",
        **TRACING,
        "photos": [{"filename": "a.jpg", "content_base64": photo}],
    }
    response = api_for(partner).post(
        "/api/v1/found-reports/bulk/", {"reports": [item]}, format="json"
    )
    assert response.status_code == 200, response.json()
    report = FoundReport.objects.get(external_ref="HS-BULK-T")
    assert report.child_names == "Amina, Mina" and report.home_place == "Kakuma, Turkana"


def test_pfif_import_keeps_the_found_childs_names_and_home_place(partner):
    extra = (
        "<pfif:alternate_names>Mina\nAmi</pfif:alternate_names>"
        "<pfif:home_state>Turkana</pfif:home_state>"
    )
    (result,) = pfif_import(
        user=partner, data=document(person_xml("ngo.example.org/t1", extra=extra))
    )
    report = FoundReport.objects.get(external_ref="ngo.example.org/t1")
    assert report.child_names == "Test Child, Mina, Ami"
    assert report.home_place == "Exampletown, Turkana"
    # The street stays behind: only the place is compared.
    assert "home_street" in result.dropped and "home_city" not in result.dropped


def test_the_portal_form_and_page_show_them_to_the_filing_organisation(partner, caseworker):
    report = FoundReportFactory(created_by=partner, **TRACING)
    # Partners use the API; a caseworker of the same organisation opens its reports.
    colleague = UserFactory(organisation=partner.organisation, role=User.Role.CASEWORKER)
    ngo = force_login_verified(Client(), colleague)
    page = ngo.get(f"/reports/{report.pk}/").content.decode()
    assert "Amina, Mina" in page and "Kakuma, Turkana" in page
    form = ngo.get(f"/reports/{report.pk}/edit/").content.decode()
    assert 'name="child_names"' in form and 'name="relatives_names"' in form
    case = MissingCaseFactory(created_by=caseworker, relatives_names="Fatima Hassan")
    family = force_login_verified(Client(), caseworker)
    assert "Fatima Hassan" in family.get(f"/cases/{case.pk}/").content.decode()
    assert 'name="home_place"' in family.get(f"/cases/{case.pk}/edit/").content.decode()


def test_erasure_blanks_the_tracing_fields():
    for name in TRACING:
        assert REPORT_PERSONAL_FIELDS[name] == ""
    assert {"relatives_names", "home_place", "languages"} <= {
        f.name for f in MissingCase._meta.get_fields()
    }
