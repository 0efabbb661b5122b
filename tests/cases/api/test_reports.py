import pytest

from cases.models import FoundReport
from tests.factories import FoundReportFactory
from tests.support.api import api_client_verified

pytestmark = pytest.mark.django_db(transaction=True)

REPORT_FORM = {
    "external_ref": "HS-2025-0042",
    "found_on": "2025-06-01",
    "found_place": "Riverside shelter",
    "estimated_age_min": "7",
    "estimated_age_max": "11",
    "sex": "female",
    "notes": "Speaks little.",
}


def test_partner_files_a_report_and_reads_photo_status(api_for, partner, same_person_pair):
    client = api_for(partner)
    with open(same_person_pair[1], "rb") as handle:
        response = client.post(
            "/api/v1/found-reports/", {**REPORT_FORM, "photos": [handle]}, format="multipart"
        )
    assert response.status_code == 201, response.json()
    report_id = response.json()["id"]

    detail = client.get(f"/api/v1/found-reports/{report_id}/").json()
    assert detail["external_ref"] == "HS-2025-0042"
    assert detail["photos"][0]["status"] == "ready"
    assert detail["photos"][0]["rejection_reason"] == ""


def test_retry_with_the_same_external_ref_returns_the_same_report(api_for, partner):
    client = api_for(partner)
    first = client.post("/api/v1/found-reports/", REPORT_FORM, format="multipart")
    second = client.post("/api/v1/found-reports/", REPORT_FORM, format="multipart")
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json() == second.json()
    assert FoundReport.objects.count() == 1


def test_age_range_must_be_ordered(api_for, partner):
    form = {**REPORT_FORM, "estimated_age_min": "12", "estimated_age_max": "8"}
    response = api_for(partner).post("/api/v1/found-reports/", form, format="multipart")
    assert response.status_code == 400
    assert "estimated_age_max" in response.json()["errors"]


def test_another_partners_report_is_404(api_for, partner):
    other = FoundReportFactory()
    assert api_for(partner).get(f"/api/v1/found-reports/{other.pk}/").status_code == 404


def test_reviewer_gets_403_on_reports(api_for, reviewer):
    assert (
        api_client_verified(reviewer).post("/api/v1/found-reports/", REPORT_FORM).status_code == 403
    )


def test_select_face_over_the_api(api_for, partner, group_photo):
    client = api_for(partner)
    with open(group_photo, "rb") as handle:
        body = client.post(
            "/api/v1/found-reports/", {**REPORT_FORM, "photos": [handle]}, format="multipart"
        ).json()
    photo = body["photos"][0]
    assert photo["status"] == "needs_face_selection"
    assert len(photo["faces"]) == 2

    response = client.post(
        f"/api/v1/photos/{photo['id']}/select-face/",
        {"face_id": photo["faces"][0]["id"]},
        format="json",
    )
    assert response.status_code == 200
    assert client.get(f"/api/v1/photos/{photo['id']}/").json()["status"] == "ready"
