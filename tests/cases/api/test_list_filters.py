"""The list endpoints take filters, so a client need not fetch every record to find some."""

import pytest

from cases.api import filters
from cases.models import MissingCase
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


def _follow(client, url):
    """Every record, following `Link: rel="next"` from `url` to the last page."""
    seen, pages, totals = [], 0, set()
    while url:
        answer = client.get(url)
        assert answer.status_code == 200, answer.content
        seen += [r["id"] for r in answer.json()]
        pages += 1
        totals.add(answer["X-Total-Count"])
        link = answer.get("Link")
        assert link is None or link.endswith('rel="next"')
        url = link[1 : link.index(">")] if link else None
    return seen, pages, totals


def test_following_next_pages_reaches_every_record_once(api_for, partner):
    made = sorted(FoundReportFactory(created_by=partner).pk for _ in range(5))
    client = api_for(partner)
    whole = client.get("/api/v1/found-reports/")
    assert [r["id"] for r in whole.json()] == made and "Link" not in whole  # one page
    assert whole["X-Total-Count"] == "5"

    seen, pages, totals = _follow(client, "/api/v1/found-reports/?limit=2")

    assert (seen, pages, totals) == (made, 3, {"5"})


def test_no_list_answers_more_than_its_bound(api_for, partner):
    FoundReportFactory.create_batch(filters.PAGE_SIZE_DEFAULT + 1, created_by=partner)
    client = api_for(partner)

    default = client.get("/api/v1/found-reports/")

    assert len(default.json()) == filters.PAGE_SIZE_DEFAULT
    assert default["X-Total-Count"] == str(filters.PAGE_SIZE_DEFAULT + 1)
    assert 'rel="next"' in default["Link"]
    rest, pages, _ = _follow(client, default["Link"][1 : default["Link"].index(">")])
    assert (len(rest), pages) == (1, 1)
    too_many = client.get("/api/v1/found-reports/", {"limit": filters.PAGE_SIZE_MAX + 1})
    assert too_many.status_code == 400 and "limit" in too_many.json()["errors"]
    assert client.get("/api/v1/found-reports/", {"limit": 0}).status_code == 400


def test_filters_hold_on_every_page(api_for, caseworker):
    wanted = sorted(MissingCaseFactory(created_by=caseworker).pk for _ in range(5))
    closed = MissingCaseFactory(created_by=caseworker)
    MissingCase.objects.filter(pk=closed.pk).update(status="closed")
    client = api_for(caseworker)

    seen, pages, totals = _follow(client, "/api/v1/cases/?status=open&limit=2")

    assert (seen, pages, totals) == (wanted, 3, {"5"})
    first = client.get("/api/v1/cases/", {"status": "open", "limit": 2})
    assert "status=open" in first["Link"] and "limit=2" in first["Link"]
    assert _follow(client, "/api/v1/cases/?status=closed&limit=2")[0] == [closed.pk]


def test_the_schema_documents_the_bound_and_the_page_headers(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    for path in ("/api/v1/found-reports/", "/api/v1/cases/"):
        operation = schema["paths"][path]["get"]
        (limit,) = [p for p in operation["parameters"] if p["name"] == "limit"]
        assert limit["schema"]["default"] == filters.PAGE_SIZE_DEFAULT
        assert limit["schema"]["maximum"] == filters.PAGE_SIZE_MAX
        headers = operation["responses"]["200"]["headers"]
        assert {"Link", "X-Total-Count"} <= set(headers)
        assert (
            operation["responses"]["200"]["content"]["application/json"]["schema"]["type"]
            == "array"
        )
