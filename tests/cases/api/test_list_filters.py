"""The list endpoints take filters, so a client need not fetch every record to find some."""

import pytest

from tests.factories import FoundReportFactory, MissingCaseFactory

pytestmark = pytest.mark.django_db


def test_reports_filter_by_external_ref_status_and_creation_time(api_for, partner):
    wanted = FoundReportFactory(created_by=partner, external_ref="HS-1")
    FoundReportFactory(created_by=partner, external_ref="HS-2", status="withdrawn")
    client = api_for(partner)

    def ids(**query):
        answer = client.get("/api/v1/found-reports/", query)
        assert answer.status_code == 200, answer.content
        return [r["id"] for r in answer.json()]

    assert ids(external_ref="HS-1") == [wanted.pk]
    assert ids(status="active") == [wanted.pk]
    assert len(ids()) == 2
    assert ids(created_after="2999-01-01T00:00:00Z") == []
    assert len(ids(created_before="2999-01-01T00:00:00Z")) == 2
    refused = client.get("/api/v1/found-reports/", {"status": "lost"})
    assert refused.status_code == 400 and "status" in refused.json()["errors"]


def test_cases_filter_by_status(api_for, caseworker):
    case = MissingCaseFactory(created_by=caseworker)
    client = api_for(caseworker)
    assert [c["id"] for c in client.get("/api/v1/cases/", {"status": "open"}).json()] == [case.pk]
    assert client.get("/api/v1/cases/", {"status": "closed"}).json() == []


def test_the_schema_documents_the_filters(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    for path in ("/api/v1/found-reports/", "/api/v1/cases/"):
        names = {p["name"] for p in schema["paths"][path]["get"]["parameters"]}
        assert {"status", "external_ref", "created_after", "created_before"} <= names


def test_pages_are_asked_for_with_limit_and_followed_by_the_link_header(api_for, partner):
    made = sorted(FoundReportFactory(created_by=partner).pk for _ in range(5))
    client = api_for(partner)
    assert len(client.get("/api/v1/found-reports/").json()) == 5  # no limit: every record

    seen, url, pages = [], "/api/v1/found-reports/?limit=2&status=active", 0
    while url:
        answer = client.get(url)
        assert answer.status_code == 200
        seen += [r["id"] for r in answer.json()]
        pages += 1
        link = answer.get("Link")
        url = link[1 : link.index(">")] if link else None
        assert link is None or (link.endswith('rel="next"') and "status=active" in link)

    assert (seen, pages) == (made, 3)
    assert client.get("/api/v1/found-reports/", {"limit": 0}).status_code == 400
