"""The PFIF endpoints: roles, organisations, content types, problems and the schema."""

from __future__ import annotations

import pytest

from cases.models import FoundReport, User
from cases.partners.pfif import pfif_parse
from tests.cases.partners.test_pfif import document, person_xml
from tests.factories import MissingCaseFactory, UserFactory

pytestmark = pytest.mark.django_db

XML = "application/xml"


def test_caseworker_exports_own_case_as_pfif_xml(api_for, caseworker):
    case = MissingCaseFactory(created_by=caseworker)
    response = api_for(caseworker).get(f"/api/v1/cases/{case.pk}/pfif/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith(XML)
    assert response["Cache-Control"] == "private, no-store"
    pfif_parse(data=response.content)


def test_export_needs_the_share_permission_and_the_own_organisation(api_for, caseworker, partner):
    case = MissingCaseFactory(created_by=caseworker)
    forbidden = api_for(partner).get(f"/api/v1/cases/{case.pk}/pfif/")
    assert forbidden.status_code == 403
    assert forbidden["Content-Type"] == "application/problem+json"
    stranger = UserFactory(organisation=partner.organisation, role=User.Role.CASEWORKER)
    assert api_for(stranger).get(f"/api/v1/cases/{case.pk}/pfif/").status_code == 404


def test_import_answers_a_result_per_person_and_a_retry_files_nothing(api_for, partner):
    client = api_for(partner)
    body = document(person_xml("ngo.example.org/a"), person_xml("ngo.example.org/b", age=None))

    first = client.post("/api/v1/pfif/import/", body, content_type=XML)
    again = client.post("/api/v1/pfif/import/", body, content_type=XML)

    assert first.status_code == 200, first.content
    assert (first.json()["created"], first.json()["failed"]) == (1, 1)
    assert first.json()["skipped"] == 1 and first.json()["detail"].startswith("1 of 2 ")
    good, bad = first.json()["results"]
    assert (good["outcome"], good["reason"]) == ("created", None)
    assert bad["status"] == 400 and bad["error"]["code"] == "validation_error"
    assert bad["outcome"] == "skipped" and "give age or date_of_birth" in bad["reason"]
    assert again.json()["existing"] == 1 and again.json()["created"] == 0
    assert again.json()["results"][0]["outcome"] == "existing"
    assert FoundReport.objects.filter(organisation=partner.organisation).count() == 1


def test_import_refuses_invalid_documents_and_other_content_types(api_for, partner):
    client = api_for(partner)
    invalid = client.post("/api/v1/pfif/import/", b"<pfif/>", content_type=XML)
    assert invalid.status_code == 400
    assert invalid.json()["code"] == "pfif_invalid"
    as_json = client.post("/api/v1/pfif/import/", {"a": 1}, format="json")
    assert as_json.status_code == 415
    cases = client.post("/api/v1/pfif/import/?kind=case", document(person_xml()), content_type=XML)
    assert cases.status_code == 403


def test_schema_documents_the_pfif_operations(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    export = schema["paths"]["/api/v1/cases/{case_id}/pfif/"]["get"]
    assert export["operationId"] == "cases_pfif_retrieve"
    assert XML in export["responses"]["200"]["content"]
    imported = schema["paths"]["/api/v1/pfif/import/"]["post"]
    assert imported["operationId"] == "pfif_import_create"
    assert list(imported["requestBody"]["content"]) == [XML, "text/xml"]
