import base64

import pytest

from cases.models import FoundReport
from tests.support.data import image_bytes

pytestmark = pytest.mark.django_db(transaction=True)


def _item(ref: str, *photos: bytes) -> dict:
    return {
        "external_ref": ref,
        "found_on": "2025-06-01",
        "found_place": "Riverside shelter",
        "estimated_age_min": 7,
        "estimated_age_max": 11,
        "photos": [
            {"filename": f"{ref}-{i}.jpg", "content_base64": base64.b64encode(p).decode()}
            for i, p in enumerate(photos)
        ],
    }


def test_bulk_with_one_corrupt_image_files_the_others(api_for, partner, same_person_pair):
    good = same_person_pair[0].read_bytes()
    corrupt = image_bytes(fmt="JPEG")[:200]
    batch = {"reports": [_item("B-1", good), _item("B-2", corrupt), _item("B-3")]}
    response = api_for(partner).post("/api/v1/found-reports/bulk/", batch, format="json")

    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["created"], body["existing"], body["failed"]) == (2, 0, 1)
    first, bad, third = body["results"]
    assert (first["status"], first["report"]["photos"][0]["status"]) == (201, "ready")
    assert bad["status"] == 400 and bad["report"] is None
    assert (bad["error"]["code"], bad["error"]["photo_index"]) == ("photo_corrupt", 0)
    assert third["status"] == 201
    assert sorted(FoundReport.objects.values_list("external_ref", flat=True)) == ["B-1", "B-3"]


def test_resending_a_batch_answers_200_for_filed_items(api_for, partner):
    client = api_for(partner)
    batch = {"reports": [_item("R-1"), _item("R-2")]}
    client.post("/api/v1/found-reports/bulk/", batch, format="json")
    again = client.post("/api/v1/found-reports/bulk/", batch, format="json").json()
    assert [r["status"] for r in again["results"]] == [200, 200]
    assert FoundReport.objects.count() == 2


def test_each_item_gets_its_own_field_errors(api_for, partner):
    bad = {**_item("E-1"), "estimated_age_min": 12, "estimated_age_max": 3}
    not_base64 = {**_item("E-4"), "photos": [{"content_base64": "not base64!"}]}
    body = (
        api_for(partner)
        .post(
            "/api/v1/found-reports/bulk/",
            {"reports": [bad, {"external_ref": "E-2"}, _item("E-3"), not_base64]},
            format="json",
        )
        .json()
    )
    errors = [r["error"] for r in body["results"]]
    assert "estimated_age_max" in errors[0]["errors"]
    assert "found_on" in errors[1]["errors"]
    assert errors[2] is None
    assert (errors[3]["code"], errors[3]["status"]) == ("photo_corrupt", 400)


def test_more_than_50_reports_is_refused_whole(api_for, partner):
    batch = {"reports": [_item(f"M-{i}") for i in range(51)]}
    response = api_for(partner).post("/api/v1/found-reports/bulk/", batch, format="json")
    assert response.status_code == 400
    assert "reports" in response.json()["errors"]
    assert not FoundReport.objects.exists()
