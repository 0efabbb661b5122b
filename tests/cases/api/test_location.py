"""A 201 says where the new resource is (`Location`); a retry's 200 is the same body."""

import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.support.data import REPORT_FORM, textured_photo

pytestmark = pytest.mark.django_db(transaction=True)


def _photo(seed: int) -> SimpleUploadedFile:
    return SimpleUploadedFile("child.png", textured_photo(seed=seed), "image/png")


def test_a_filed_report_and_an_added_photo_answer_201_with_their_location(api_for, partner):
    client = api_for(partner)
    key = str(uuid.uuid4())
    body = {**REPORT_FORM, "external_ref": "LOC-1"}

    created = client.post(
        "/api/v1/found-reports/", body, format="multipart", HTTP_IDEMPOTENCY_KEY=key
    )
    again = client.post(
        "/api/v1/found-reports/", body, format="multipart", HTTP_IDEMPOTENCY_KEY=key
    )

    assert created.status_code == 201, created.content
    assert created["Location"] == f"/api/v1/found-reports/{created.json()['id']}/"
    assert client.get(created["Location"]).json()["id"] == created.json()["id"]
    assert again.status_code == 200 and "Location" not in again

    photo = client.post(created["Location"] + "photos/", {"image": _photo(4)}, format="multipart")
    assert photo.status_code == 201, photo.content
    assert photo["Location"] == f"/api/v1/photos/{photo.json()['id']}/"


def test_the_schema_documents_location_on_every_201(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    created = [
        (path, operation["responses"]["201"])
        for path, item in schema["paths"].items()
        for operation in item.values()
        if "201" in operation.get("responses", {})
    ]
    documented = [path for path, answer in created if "Location" in answer.get("headers", {})]
    # A review decision has no address of its own; every other 201 makes a resource.
    assert sorted(set(p for p, _ in created) - set(documented)) == [
        "/api/v1/review/candidates/{candidate_id}/decision/"
    ]
