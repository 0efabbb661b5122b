"""The schema rules that make generated clients work (issue 14, point 7)."""

from __future__ import annotations

import re

import pytest
from drf_spectacular.generators import SchemaGenerator

OPERATION_ID = re.compile(r"^[a-z]+(_[a-z]+)*_(list|create|retrieve|partial_update|destroy)$")


@pytest.fixture(scope="module")
def schema() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def _operations(schema: dict):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def _takes_files(schema: dict, operation: dict) -> bool:
    for content in operation.get("requestBody", {}).get("content", {}).values():
        if "$ref" not in content["schema"]:
            continue  # a raw body, e.g. a PFIF XML document
        ref = content["schema"]["$ref"].rsplit("/", 1)[1]
        for prop in schema["components"]["schemas"][ref]["properties"].values():
            if prop.get("format") == "binary" or prop.get("items", {}).get("format") == "binary":
                return True
    return False


def test_operations_that_take_photos_declare_only_multipart(schema):
    uploads = {
        operation["operationId"]: list(operation["requestBody"]["content"])
        for _, _, operation in _operations(schema)
        if _takes_files(schema, operation)
    }
    assert set(uploads) == {
        "cases_create",
        "cases_photos_create",
        "found_reports_create",
        "found_reports_photos_create",
    }
    assert all(types == ["multipart/form-data"] for types in uploads.values()), uploads


def test_operation_ids_follow_one_pattern(schema):
    ids = [operation["operationId"] for _, _, operation in _operations(schema)]
    assert len(ids) == len(set(ids))
    assert [i for i in ids if not OPERATION_ID.match(i)] == []
    assert not [i for i in ids if i.startswith("v1_") or re.search(r"_\d+$", i)]


def test_list_endpoints_are_lists_and_paginated_ones_are_pages(schema):
    lists = {
        operation["operationId"]: operation["responses"]["200"]["content"]["application/json"][
            "schema"
        ]
        for path, method, operation in _operations(schema)
        if method == "get" and operation["operationId"].endswith("_list")
    }
    assert set(lists) == {
        "cases_list",
        "cases_candidates_list",
        "found_reports_list",
        "webhooks_list",
        "webhooks_deliveries_list",
        "review_candidates_list",
    }
    assert lists["review_candidates_list"] == {
        "$ref": "#/components/schemas/PaginatedCandidateOutputList"
    }
    assert lists["webhooks_deliveries_list"] == {
        "$ref": "#/components/schemas/PaginatedDeliveryOutputList"
    }
    page = schema["components"]["schemas"]["PaginatedCandidateOutputList"]
    assert {"count", "next", "previous", "results"} <= set(page["properties"])
    for name in ("cases_list", "cases_candidates_list", "found_reports_list", "webhooks_list"):
        assert lists[name]["type"] == "array"


def test_record_ids_in_paths_are_integers(schema):
    for path, _, operation in _operations(schema):
        for parameter in operation.get("parameters", []):
            if parameter["in"] == "path":
                assert parameter["schema"]["type"] == "integer", (path, parameter)
