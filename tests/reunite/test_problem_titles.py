"""Problem titles are fixed words per type, never DRF's unfilled templates."""

import pytest

pytestmark = pytest.mark.django_db


def test_method_not_allowed_and_unsupported_media_type_have_plain_titles(api_for, partner):
    client = api_for(partner)
    not_allowed = client.put("/api/v1/found-reports/", {}, format="json")
    wrong_type = client.post("/api/v1/pfif/import/", {"a": 1}, format="json")

    assert (not_allowed.status_code, wrong_type.status_code) == (405, 415)
    assert not_allowed.json()["title"] == "Method Not Allowed"
    assert not_allowed.json()["detail"] == 'Method "PUT" not allowed.'
    assert wrong_type.json()["title"] == "Unsupported Media Type"
    assert "{" not in wrong_type.json()["detail"]
