"""Throttled answers say the budget: RateLimit-Limit, -Remaining and -Reset (a 429 too)."""

import pytest

from tests.cases.api.test_throttling_and_keys import low_rate  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)

HEADERS = ("RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset")


def test_each_answer_says_what_is_left_and_the_429_says_nothing_is(api_for, partner, low_rate):  # noqa: F811
    client = api_for(partner)
    answers = [client.get("/api/v1/found-reports/") for _ in range(4)]

    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert [a["RateLimit-Remaining"] for a in answers] == ["2", "1", "0", "0"]
    assert {a["RateLimit-Limit"] for a in answers} == {"3"}
    assert all(0 < int(a["RateLimit-Reset"]) <= 60 for a in answers)
    assert int(answers[-1]["Retry-After"]) > 0


def test_the_tightest_throttle_is_the_one_reported(api_for, partner, low_rate):  # noqa: F811
    # The bulk endpoint has two budgets: 3 a minute for the key, 1 for bulk requests.
    answer = api_for(partner).post("/api/v1/found-reports/bulk/", {"reports": []}, format="json")
    assert (answer["RateLimit-Limit"], answer["RateLimit-Remaining"]) == ("1", "0")


def test_the_schema_documents_the_headers(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    listed = schema["paths"]["/api/v1/found-reports/"]["get"]["responses"]
    assert set(HEADERS) <= set(listed["200"]["headers"])
    assert set(HEADERS) | {"Retry-After"} <= set(listed["429"]["headers"])
    assert set(schema["components"]["headers"]) >= set(HEADERS)
