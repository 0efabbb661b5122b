import pytest

from cases.models import FoundReport, Photo
from matching.models import Embedding, Face
from tests.factories import FoundReportFactory
from tests.support.data import REPORT_FORM

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def filed(api_for, partner, same_person_pair):
    client = api_for(partner)
    with open(same_person_pair[0], "rb") as handle:
        body = client.post(
            "/api/v1/found-reports/", {**REPORT_FORM, "photos": [handle]}, format="multipart"
        ).json()
    return client, body


def test_patch_changes_only_the_fields_sent(filed):
    client, body = filed
    response = client.patch(
        f"/api/v1/found-reports/{body['id']}/",
        {"found_place": "North shelter", "estimated_age_max": 12},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["found_place"] == "North shelter"
    assert response.json()["estimated_age_max"] == 12
    assert response.json()["notes"] == REPORT_FORM["notes"]


def test_patch_checks_the_age_range_against_the_stored_value(filed):
    client, body = filed
    response = client.patch(
        f"/api/v1/found-reports/{body['id']}/", {"estimated_age_max": 3}, format="json"
    )
    assert response.status_code == 400
    assert "estimated_age_max" in response.json()["errors"]


def test_external_ref_cannot_be_patched(filed):
    client, body = filed
    client.patch(f"/api/v1/found-reports/{body['id']}/", {"external_ref": "X"}, format="json")
    assert FoundReport.objects.get().external_ref == REPORT_FORM["external_ref"]


def test_withdraw_erases_photos_faces_and_embeddings_and_keeps_a_tombstone(
    filed, django_capture_on_commit_callbacks
):
    client, body = filed
    assert Embedding.objects.count() == 1
    response = client.delete(f"/api/v1/found-reports/{body['id']}/")
    assert response.status_code == 200
    assert response.json()["status"] == "withdrawn"
    assert response.json()["photos"] == []
    assert not Photo.objects.exists()
    assert not Face.objects.exists()
    assert not Embedding.objects.exists()
    # Withdrawing twice changes nothing; a retry of the original POST finds the tombstone.
    assert client.delete(f"/api/v1/found-reports/{body['id']}/").status_code == 200
    again = client.post("/api/v1/found-reports/", REPORT_FORM, format="multipart")
    assert (again.status_code, again.json()["status"]) == (200, "withdrawn")


def test_withdraw_action_records_the_reason(filed):
    from cases.models import AuditEvent

    client, body = filed
    response = client.post(
        f"/api/v1/found-reports/{body['id']}/withdraw/", {"reason": "Family found"}, format="json"
    )
    assert response.status_code == 200
    event = AuditEvent.objects.get(action="report.withdrawn")
    assert event.data["reason"] == "Family found"


def test_a_withdrawn_report_takes_no_photos_or_changes(filed, same_person_pair):
    client, body = filed
    client.delete(f"/api/v1/found-reports/{body['id']}/")
    with open(same_person_pair[1], "rb") as handle:
        response = client.post(
            f"/api/v1/found-reports/{body['id']}/photos/", {"image": handle}, format="multipart"
        )
    assert (response.status_code, response.json()["code"]) == (409, "report_not_active")
    response = client.patch(f"/api/v1/found-reports/{body['id']}/", {"notes": "x"}, format="json")
    assert response.status_code == 409


def test_a_partner_cannot_read_change_or_withdraw_another_partners_report(api_for, partner):
    other = FoundReportFactory()
    client = api_for(partner)
    url = f"/api/v1/found-reports/{other.pk}/"
    assert client.get(url).status_code == 404
    assert client.patch(url, {"notes": "x"}, format="json").status_code == 404
    assert client.delete(url).status_code == 404
    assert FoundReport.objects.get(pk=other.pk).status == "active"


def test_huge_ids_are_404_not_500(api_for, partner):
    assert api_for(partner).get("/api/v1/found-reports/99999999999999999999999/").status_code == 404
