import pytest

from matching.candidates.pairs import candidate_pair_record
from matching.models import Candidate
from tests.support.api import api_client_verified
from tests.support.faces import ready_photo_with_embedding

pytestmark = pytest.mark.django_db


@pytest.fixture
def candidate(caseworker, partner) -> Candidate:
    candidate_pair_record(
        case_face=ready_photo_with_embedding(user=caseworker, seed=1, side="case"),
        report_face=ready_photo_with_embedding(user=partner, seed=2, side="report"),
        score=0.95,
    )
    return Candidate.objects.get()


def test_reviewer_lists_pending_candidates(api_for, reviewer, candidate):
    body = api_client_verified(reviewer).get("/api/v1/review/candidates/?status=pending").json()
    assert body["count"] == 1
    row = body["results"][0]
    assert row["id"] == candidate.pk
    assert (row["case"], row["found_report"]) == (candidate.case_id, candidate.found_report_id)
    assert row["score"] == pytest.approx(0.95)
    assert row["status"] == "pending"


def test_decision_needs_a_note(api_for, reviewer, candidate):
    response = api_client_verified(reviewer).post(
        f"/api/v1/review/candidates/{candidate.pk}/decision/",
        {"decision": "confirm"},
        format="json",
    )
    assert response.status_code == 400
    assert "note" in response.json()["errors"]


def test_decisions_are_recorded_with_who_and_status(api_for, reviewer, reviewer2, candidate):
    url = f"/api/v1/review/candidates/{candidate.pk}/decision/"
    first = api_client_verified(reviewer).post(
        url, {"decision": "confirm", "note": "Same"}, format="json"
    )
    second = api_client_verified(reviewer2).post(
        url, {"decision": "confirm", "note": "Same"}, format="json"
    )
    assert first.status_code == second.status_code == 201
    assert first.json()["reviewer"] == "reviewer"
    assert second.json()["candidate_status"] == "confirmed"


def test_caseworker_gets_403_on_the_queue(api_for, caseworker, candidate):
    assert api_for(caseworker).get("/api/v1/review/candidates/").status_code == 403


def test_bad_status_filter_is_400(api_for, reviewer):
    assert (
        api_client_verified(reviewer).get("/api/v1/review/candidates/?status=nope").status_code
        == 400
    )


def test_schema_is_served(client):
    response = client.get("/api/schema/")
    assert response.status_code == 200
    assert b"/api/v1/found-reports/" in response.content


def test_a_cases_candidates_come_in_bounded_pages_followed_by_link(api_for, caseworker, partner):
    case_face = ready_photo_with_embedding(user=caseworker, seed=1, side="case")
    for seed in (2, 3, 4):
        candidate_pair_record(
            case_face=case_face,
            report_face=ready_photo_with_embedding(user=partner, seed=seed, side="report"),
            score=0.95,
        )
    case_id = Candidate.objects.first().case_id
    client = api_for(caseworker)
    url = f"/api/v1/cases/{case_id}/candidates/?limit=2"
    seen: list[int] = []
    while url:
        response = client.get(url)
        assert response.status_code == 200 and response["X-Total-Count"] == "3"
        seen += [row["id"] for row in response.json()]
        link = response.get("Link")
        url = link[1 : link.index(">")] if link else ""
    assert seen == sorted(Candidate.objects.values_list("pk", flat=True))
    assert client.get(f"/api/v1/cases/{case_id}/candidates/?limit=501").status_code == 400
