"""A reunited or closed case makes no new candidate, and asks no reviewer to decide."""

import pytest
from django.test import Client

from cases.models import AuditEvent, MissingCase, Notification
from cases.safeguards.retention import case_close
from matching.candidates.pairs import candidate_pair_record
from matching.candidates.search import embedding_index_and_search
from matching.models import Candidate
from matching.review.decisions import candidate_decide
from matching.selectors import candidate_list
from reunite.kernel.errors import InvalidInput as ValidationError
from tests.support.faces import ready_photo_with_embedding
from tests.support.otp import force_login_verified

pytestmark = pytest.mark.django_db


def test_a_reunited_case_walked_through_a_new_matching_report_waits_on_no_reviewer(
    caseworker, partner, reviewer, django_capture_on_commit_callbacks
):
    case_face = ready_photo_with_embedding(user=caseworker, seed=7, side="case")
    embedding_index_and_search(embedding_id=case_face.embeddings.get().pk)
    case = case_face.photo.case
    case_close(user=caseworker, case=case, outcome=MissingCase.Status.REUNITED)

    # The same vector: as close a match as there can be.
    report_face = ready_photo_with_embedding(user=partner, seed=7, side="report")
    with django_capture_on_commit_callbacks(execute=True):
        embedding_index_and_search(embedding_id=report_face.embeddings.get().pk)
        embedding_index_and_search(embedding_id=report_face.embeddings.get().pk)

    assert not Candidate.objects.exists()
    assert not candidate_list(user=reviewer, held_back=None).exists()
    # The case's owner is told once; the timeline says no reviewer was asked.
    (note,) = Notification.objects.filter(user=caseworker)
    assert case.reference in note.message and "reunited" in note.message
    assert AuditEvent.objects.filter(action="case.closed_match_seen").count() == 1
    page = force_login_verified(Client(), caseworker).get(f"/cases/{case.pk}/")
    assert "no reviewer was asked" in page.content.decode()
    # The partner is not told "under review".
    assert (
        report_face.photo.found_report.candidates.filter(status=Candidate.Status.PENDING).count()
        == 0
    )


def test_a_candidate_waiting_when_its_case_closes_leaves_the_queue_and_says_why(
    caseworker, partner, reviewer, api_for
):
    candidate_pair_record(
        case_face=ready_photo_with_embedding(user=caseworker, seed=1, side="case"),
        report_face=ready_photo_with_embedding(user=partner, seed=2, side="report"),
        score=0.95,
    )
    candidate = Candidate.objects.get()
    assert candidate_list(user=reviewer).filter(pk=candidate.pk).exists()
    case_close(user=caseworker, case=candidate.case, outcome=MissingCase.Status.REUNITED)

    assert not candidate_list(user=reviewer, held_back=None).exists()
    page = force_login_verified(Client(), reviewer).get(f"/review/candidates/{candidate.pk}/")
    html = page.content.decode()
    assert "This child's case was closed as reunited on" in html
    assert candidate.case.given_name not in html
    assert "Record decision" not in html
    with pytest.raises(ValidationError, match="closed as reunited"):
        candidate_decide(user=reviewer, candidate=candidate, decision="confirm", note="Same.")
    # The partner is no longer told "under review".
    report = api_for(partner).get(f"/api/v1/found-reports/{candidate.found_report_id}/").json()
    assert report["outcome"]["state"] == "no_match_so_far"
