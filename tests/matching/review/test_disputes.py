"""Disputes end with a senior reviewer's final decision and reason."""

import pytest

from cases.access.permissions import Action, role_allows, role_needs_second_factor
from cases.models import AuditEvent, MissingCase, User
from matching.candidates.pairs import candidate_pair_record
from matching.models import Candidate, DisputeResolution
from matching.review.decisions import candidate_decide, candidate_resolve
from reunite.kernel.errors import InvalidInput as ValidationError
from reunite.kernel.errors import NotAllowed as PermissionDenied
from tests.factories import UserFactory
from tests.support.faces import ready_photo_with_embedding

pytestmark = pytest.mark.django_db


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


def test_the_senior_role_reviews_resolves_and_needs_a_second_factor():
    role = User.Role.SENIOR_REVIEWER
    assert role_allows(role, Action.DISPUTE_RESOLVE)
    assert role_allows(role, Action.CANDIDATE_REVIEW)
    assert role_needs_second_factor(role)
    assert not role_allows(User.Role.REVIEWER, Action.DISPUTE_RESOLVE)


def test_a_reject_is_labelled_disputed_not_needs_more_information(candidate, reviewer):
    candidate_decide(user=reviewer, candidate=candidate, decision="reject", note="Eyes differ.")
    candidate.refresh_from_db()
    assert candidate.get_status_display() == "Disputed: waiting for a senior reviewer"


def test_senior_confirms_a_disputed_candidate_after_a_reviewer_said_same_child(
    candidate, reviewer, reviewer2, senior
):
    candidate_decide(user=reviewer, candidate=candidate, decision="confirm", note="Same ears.")
    candidate_decide(user=reviewer2, candidate=candidate, decision="unsure", note="Blurry.")
    resolution = candidate_resolve(
        user=senior, candidate=candidate, decision="confirm", reason="Second photo settles it."
    )
    candidate.refresh_from_db()
    assert candidate.status == Candidate.Status.CONFIRMED
    assert resolution.resolved_by == senior
    assert MissingCase.objects.get(pk=candidate.case_id).status == "possible_match"
    event = AuditEvent.objects.get(action="candidate.resolved.confirm")
    assert event.data == {"reason": "Second photo settles it."}
    assert AuditEvent.objects.filter(action="candidate.confirmed_after_dispute").exists()
    assert not AuditEvent.objects.filter(action="candidate.confirmed").exists()


def test_senior_rejects_and_the_candidate_is_closed(candidate, reviewer, senior):
    candidate_decide(user=reviewer, candidate=candidate, decision="reject", note="Eyes differ.")
    candidate_resolve(user=senior, candidate=candidate, decision="reject", reason="Agree.")
    candidate.refresh_from_db()
    assert candidate.status == Candidate.Status.REJECTED
    assert candidate.get_status_display() == "Rejected: not the same child"
    assert AuditEvent.objects.filter(action="candidate.resolved.reject").exists()
    with pytest.raises(ValidationError):
        candidate_resolve(user=senior, candidate=candidate, decision="confirm", reason="Oops.")
    with pytest.raises(ValidationError):
        candidate_decide(user=reviewer, candidate=candidate, decision="confirm", note="x")


def test_a_senior_alone_never_makes_a_confirmation(candidate, reviewer, senior):
    candidate_decide(user=reviewer, candidate=candidate, decision="reject", note="Eyes differ.")
    with pytest.raises(ValidationError, match="needs one who did"):
        candidate_resolve(user=senior, candidate=candidate, decision="confirm", reason="Sure.")
    assert not DisputeResolution.objects.exists()


def test_final_decision_needs_a_reason_a_dispute_and_the_senior_role(
    candidate, reviewer, reviewer2, senior
):
    with pytest.raises(ValidationError, match="disputed"):
        candidate_resolve(user=senior, candidate=candidate, decision="reject", reason="No.")
    candidate_decide(user=reviewer, candidate=candidate, decision="reject", note="Eyes differ.")
    with pytest.raises(ValidationError):
        candidate_resolve(user=senior, candidate=candidate, decision="reject", reason="  ")
    with pytest.raises(PermissionDenied):
        candidate_resolve(user=reviewer2, candidate=candidate, decision="reject", reason="No.")


def test_a_senior_from_a_filing_organisation_cannot_resolve(candidate, reviewer, caseworker):
    candidate_decide(user=reviewer, candidate=candidate, decision="reject", note="Eyes differ.")
    insider = UserFactory(organisation=caseworker.organisation, role=User.Role.SENIOR_REVIEWER)
    with pytest.raises(PermissionDenied):
        candidate_resolve(user=insider, candidate=candidate, decision="reject", reason="No.")
