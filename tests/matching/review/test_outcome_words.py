"""Outcomes in the words they were decided: two reviewers, or a senior after a dispute."""

import pytest
from django.core import mail
from django.test import Client

from cases.models import Notification, User
from matching.candidates.pairs import candidate_pair_record
from matching.models import Candidate
from matching.review.decisions import candidate_decide, candidate_resolve
from tests.factories import UserFactory
from tests.support.faces import ready_photo_with_embedding
from tests.support.otp import force_login_verified

pytestmark = pytest.mark.django_db

SENIOR_WORDS = "Reviewers disagreed; a senior reviewer confirmed"


@pytest.fixture
def senior(org_review) -> User:
    return UserFactory(username="senior", organisation=org_review, role=User.Role.SENIOR_REVIEWER)


@pytest.fixture
def candidate(caseworker, partner) -> Candidate:
    candidate_pair_record(
        case_face=ready_photo_with_embedding(user=caseworker, seed=1, side="case"),
        report_face=ready_photo_with_embedding(user=partner, seed=2, side="report"),
        score=0.95,
    )
    return Candidate.objects.get()


def _case_page(caseworker, candidate) -> str:
    client = force_login_verified(Client(), caseworker)
    return client.get(f"/cases/{candidate.case_id}/").content.decode()


def test_a_senior_confirmation_is_said_as_such_everywhere(
    candidate,
    caseworker,
    partner,
    reviewer,
    reviewer2,
    senior,
    api_for,
    django_capture_on_commit_callbacks,
):
    candidate_decide(user=reviewer, candidate=candidate, decision="confirm", note="Same ears.")
    candidate_decide(user=reviewer2, candidate=candidate, decision="reject", note="Chin differs.")
    with django_capture_on_commit_callbacks(execute=True):
        candidate_resolve(
            user=senior, candidate=candidate, decision="confirm", reason="The scar settles it."
        )

    page = _case_page(caseworker, candidate)
    assert SENIOR_WORDS in page
    assert "The scar settles it." in page
    assert "Two reviewers think" not in page
    assert "Confirmed by two reviewers" not in page

    note = Notification.objects.get(user=caseworker)
    assert "a senior reviewer confirmed" in note.message
    assert SENIOR_WORDS in mail.outbox[-1].body
    assert "The scar settles it." in mail.outbox[-1].body

    outcome = api_for(partner).get(f"/api/v1/found-reports/{candidate.found_report_id}/").json()
    assert outcome["outcome"]["state"] == "possible_match_confirmed"
    assert outcome["outcome"]["decided_by"] == "senior_reviewer_after_disagreement"

    reviewer_page = force_login_verified(Client(), reviewer).get(
        f"/review/candidates/{candidate.pk}/"
    )
    assert SENIOR_WORDS in reviewer_page.content.decode()


def test_two_confirmations_are_said_as_two_reviewers(
    candidate, caseworker, partner, reviewer, reviewer2, api_for
):
    outcome = api_for(partner).get(f"/api/v1/found-reports/{candidate.found_report_id}/").json()
    assert outcome["outcome"]["decided_by"] is None
    candidate_decide(user=reviewer, candidate=candidate, decision="confirm", note="Same ears.")
    candidate_decide(user=reviewer2, candidate=candidate, decision="confirm", note="Agree.")
    page = _case_page(caseworker, candidate)
    assert "Confirmed by two reviewers" in page
    assert "senior" not in page
    assert "confirmed by two reviewers" in Notification.objects.get(user=caseworker).message
    outcome = api_for(partner).get(f"/api/v1/found-reports/{candidate.found_report_id}/").json()
    assert outcome["outcome"]["decided_by"] == "two_reviewers"


def test_the_senior_decides_with_every_photo_pair_on_the_page(
    candidate, reviewer, reviewer2, senior
):
    candidate_decide(user=reviewer, candidate=candidate, decision="confirm", note="Same ears.")
    candidate_decide(user=reviewer2, candidate=candidate, decision="unsure", note="Blurry.")
    page = force_login_verified(Client(), senior).get(f"/review/disputed/{candidate.pk}/")
    html = page.content.decode()
    assert page.status_code == 200
    for pair in candidate.pairs.all():
        assert f"/review/faces/{pair.case_face_id}/crop/" in html
        assert f"/review/faces/{pair.report_face_id}/crop/" in html
    assert 'data-testid="pairs"' in html
