import pytest

from cases.models import MissingCase
from tests.factories import MissingCaseFactory, UserFactory
from tests.support.api import api_client_verified
from tests.support.data import CASE_FORM, image_bytes

pytestmark = pytest.mark.django_db(transaction=True)


def test_caseworker_creates_a_case_with_photos(api_for, caseworker, same_person_pair):
    client = api_for(caseworker)
    with open(same_person_pair[0], "rb") as first, open(same_person_pair[1], "rb") as second:
        response = client.post(
            "/api/v1/cases/",
            {**CASE_FORM, "photos": [first, second], "photo_age_in_photo": ["7", "8"]},
            format="multipart",
        )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["id"] and body["reference"].startswith("C-")
    assert [p["status"] for p in body["photos"]] == ["ready", "ready"]
    assert [p["age_in_photo"] for p in body["photos"]] == [7, 8]


def test_missing_birth_date_and_age_range_is_a_field_error(api_for, caseworker):
    form = {k: v for k, v in CASE_FORM.items() if k != "date_of_birth"}
    response = api_for(caseworker).post("/api/v1/cases/", form, format="multipart")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "validation_error"


def test_corrupt_photo_gets_a_specific_400_and_nothing_is_stored(api_for, caseworker, tmp_path):
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(image_bytes(fmt="JPEG")[:200])
    with open(bad, "rb") as handle:
        response = api_for(caseworker).post(
            "/api/v1/cases/", {**CASE_FORM, "photos": [handle]}, format="multipart"
        )
    assert response.status_code == 400
    assert response.json()["code"] == "photo_corrupt"
    assert not MissingCase.objects.exists()


def test_wrong_type_gets_415(api_for, caseworker, tmp_path):
    gif = tmp_path / "x.gif"
    gif.write_bytes(image_bytes(fmt="GIF"))
    with open(gif, "rb") as handle:
        response = api_for(caseworker).post(
            "/api/v1/cases/", {**CASE_FORM, "photos": [handle]}, format="multipart"
        )
    assert (response.status_code, response.json()["code"]) == (415, "photo_unsupported_type")


def test_huge_photo_gets_413(api_for, caseworker, tmp_path, settings):
    settings.PHOTO_MAX_BYTES = 10_000
    big = tmp_path / "big.png"
    big.write_bytes(image_bytes(size=(200, 200), fmt="BMP"))
    with open(big, "rb") as handle:
        response = api_for(caseworker).post(
            "/api/v1/cases/", {**CASE_FORM, "photos": [handle]}, format="multipart"
        )
    assert (response.status_code, response.json()["code"]) == (413, "photo_too_large")


def test_oversized_request_is_refused_before_reading(client, settings):
    settings.REQUEST_MAX_BYTES = 100
    response = client.post("/api/v1/cases/", data="x" * 500, content_type="text/plain")
    assert response.status_code == 413


def test_add_photo_with_date_taken(api_for, caseworker, same_person_pair):
    case = MissingCaseFactory(created_by=caseworker)
    with open(same_person_pair[0], "rb") as handle:
        response = api_for(caseworker).post(
            f"/api/v1/cases/{case.pk}/photos/",
            {"image": handle, "taken_on": "2024-12-25"},
            format="multipart",
        )
    assert response.status_code == 201
    assert response.json()["taken_on"] == "2024-12-25"


def test_another_organisations_case_is_404(api_for, caseworker):
    other = MissingCaseFactory()
    client = api_for(caseworker)
    assert client.get(f"/api/v1/cases/{other.pk}/").status_code == 404
    assert client.post(f"/api/v1/cases/{other.pk}/photos/", {}).status_code == 404


def test_partner_gets_403_on_cases(api_for, partner):
    assert api_for(partner).post("/api/v1/cases/", CASE_FORM).status_code == 403


def test_no_key_is_401_and_revoked_key_is_401(client, caseworker):
    from cases.access.apikeys import apikey_create, apikey_revoke

    assert client.get("/api/v1/cases/").status_code == 401
    api_key, key = apikey_create(user=caseworker, created_by=None)
    assert client.get("/api/v1/cases/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 200
    apikey_revoke(api_key=api_key, revoked_by=None)
    assert client.get("/api/v1/cases/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 401


def test_operator_key_cannot_read_cases(api_for):
    operator = UserFactory(organisation=None, role="operator")
    assert api_client_verified(operator).get("/api/v1/cases/").status_code == 403


def test_caseworker_updates_a_case_and_its_candidates_are_rechecked(api_for, caseworker):
    case = MissingCaseFactory(created_by=caseworker, sex="female")
    response = api_for(caseworker).patch(
        f"/api/v1/cases/{case.pk}/", {"sex": "male", "description": "Blue jacket"}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert (response.json()["sex"], response.json()["description"]) == ("male", "Blue jacket")


def test_external_ref_of_a_case_cannot_be_changed(api_for, caseworker):
    case = MissingCaseFactory(created_by=caseworker, external_ref="CMS-1")
    api_for(caseworker).patch(f"/api/v1/cases/{case.pk}/", {"external_ref": "X"}, format="json")
    case.refresh_from_db()
    assert case.external_ref == "CMS-1"


def test_withdrawing_consent_over_the_api_erases_the_case(api_for, caseworker, same_person_pair):
    client = api_for(caseworker)
    with open(same_person_pair[0], "rb") as handle:
        case_id = client.post(
            "/api/v1/cases/", {**CASE_FORM, "photos": [handle]}, format="multipart"
        ).json()["id"]
    url = f"/api/v1/cases/{case_id}/withdraw-consent/"
    assert client.post(url, {}, format="json").status_code == 400
    response = client.post(url, {"reason": "Father called on 2 May."}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "erased"
    assert response.json()["photos"] == []
    assert response.json()["given_name"] == ""


def test_partner_cannot_patch_or_withdraw_a_case(api_for, partner):
    case = MissingCaseFactory()
    client = api_for(partner)
    assert (
        client.patch(f"/api/v1/cases/{case.pk}/", {"sex": "male"}, format="json").status_code == 403
    )
    assert (
        client.post(
            f"/api/v1/cases/{case.pk}/withdraw-consent/", {"reason": "x"}, format="json"
        ).status_code
        == 403
    )
