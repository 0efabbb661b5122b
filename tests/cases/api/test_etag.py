"""Resources carry an ETag; a PATCH with a stale If-Match is 412, never a silent overwrite."""

import pytest

from cases.models import FoundReport
from tests.factories import FoundReportFactory, MissingCaseFactory

pytestmark = pytest.mark.django_db


def test_two_clients_patching_the_same_report_cannot_overwrite_each_other(api_for, partner):
    report = FoundReportFactory(created_by=partner)
    first, second = api_for(partner), api_for(partner)
    url = f"/api/v1/found-reports/{report.pk}/"
    read = first.get(url)["ETag"]
    assert read == second.get(url)["ETag"] and read.startswith('"')

    changed = first.patch(url, {"found_place": "North shelter"}, HTTP_IF_MATCH=read)
    stale = second.patch(url, {"found_place": "South shelter"}, HTTP_IF_MATCH=read)

    assert changed.status_code == 200 and changed["ETag"] != read
    assert changed["ETag"] == first.get(url)["ETag"]
    assert stale.status_code == 412
    assert stale.json()["code"] == "precondition_failed"
    assert FoundReport.objects.get(pk=report.pk).found_place == "North shelter"
    # Read again, then the change goes through; without If-Match nothing is checked.
    fresh = second.get(url)["ETag"]
    assert second.patch(url, {"notes": "x"}, HTTP_IF_MATCH=fresh).status_code == 200
    assert second.patch(url, {"notes": "y"}).status_code == 200


def test_a_case_has_an_etag_and_refuses_a_stale_change(api_for, caseworker):
    case = MissingCaseFactory(created_by=caseworker)
    client = api_for(caseworker)
    url = f"/api/v1/cases/{case.pk}/"
    assert client.get(url).has_header("ETag")
    stale = client.patch(url, {"description": "Blue coat"}, HTTP_IF_MATCH='"0"')
    assert stale.status_code == 412


def test_the_schema_documents_etag_and_if_match(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    patch = schema["paths"]["/api/v1/found-reports/{report_id}/"]["patch"]
    assert "If-Match" in [p["name"] for p in patch["parameters"] if p["in"] == "header"]
    assert "412" in patch["responses"] and "ETag" in patch["responses"]["200"]["headers"]
    photo = schema["paths"]["/api/v1/photos/{photo_id}/"]["get"]
    assert "ETag" in photo["responses"]["200"]["headers"]
