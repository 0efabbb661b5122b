"""A JSON body nested too deep is a 400 problem, never a RecursionError (issue 23, point 5)."""

import pytest

from reunite.kernel.api.parsers import JSON_MAX_DEPTH, json_depth_exceeds

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("depth", [JSON_MAX_DEPTH + 1, 1_000, 100_000])
def test_a_deeply_nested_body_sent_to_bulk_is_a_400_problem(api_for, partner, depth):
    body = '{"reports": ' + "[" * depth + "]" * depth + "}"
    response = api_for(partner).post(
        "/api/v1/found-reports/bulk/", body, content_type="application/json"
    )
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["code"] == "parse_error"
    assert f"deeper than {JSON_MAX_DEPTH} levels" in problem["detail"]


def test_any_json_endpoint_refuses_a_deep_body(api_for, partner):
    deep = "[" * 1_000 + "]" * 1_000
    response = api_for(partner).post(
        "/api/v1/webhooks/", '{"url": ' + deep + "}", content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


def test_the_depth_walk_counts_containers_only():
    assert not json_depth_exceeds({"a": [{"b": "x" * 10}]}, limit=3)
    assert json_depth_exceeds({"a": [{"b": []}]}, limit=3)
    assert not json_depth_exceeds("just a string", limit=1)
