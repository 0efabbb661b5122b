import pytest
from django.conf import settings
from django.core import mail

from cases.models import MissingCase, User
from matching.candidates.pairs import candidate_pair_record
from matching.models import Candidate
from matching.review.decisions import candidate_decide
from matching.selectors import candidate_list
from reunite.kernel.errors import InvalidInput as ValidationError
from reunite.kernel.errors import NotAllowed as PermissionDenied
from tests.factories import UserFactory
from tests.support.faces import ready_photo_with_embedding

pytestmark = pytest.mark.django_db


@pytest.fixture
def candidate(caseworker, partner) -> Candidate:
    case_face = ready_photo_with_embedding(user=caseworker, seed=1, side="case")
    report_face = ready_photo_with_embedding(user=partner, seed=2, side="report")
    candidate_pair_record(case_face=case_face, report_face=report_face, score=0.95)
    return Candidate.objects.get()


def test_two_independent_confirmations_confirm_and_notify(
    candidate, reviewer, reviewer2, django_capture_on_commit_callbacks
):
    candidate_decide(user=reviewer, candidate=candidate, decision="confirm", note="Same ears.")
    candidate.refresh_from_db()
    assert candidate.status == Candidate.Status.PENDING
    assert not mail.outbox

    with django_capture_on_commit_callbacks(execute=True):
        record = candidate_decide(
            user=reviewer2, candidate=candidate, decision="confirm", note="Agree, same scar."
        )

    candidate.refresh_from_db()
    assert candidate.status == Candidate.Status.CONFIRMED
    assert candidate.case.status == MissingCase.Status.POSSIBLE_MATCH
    assert record.reviewer == reviewer2 and record.created_at
    assert len(mail.outbox) == 1
    assert candidate.case.created_by.notifications.count() == 1
    message = mail.outbox[0]
    assert message.to == [candidate.case.created_by.email]
    # The link opens the case (after sign-in); the e-mail has a text and an HTML part.
    link = f"{settings.BASE_URL}/cases/{candidate.case_id}/"
    assert link in message.body
    assert message.alternatives[0].mimetype == "text/html"
    assert f'href="{link}"' in message.alternatives[0].content


def test_a_reviewer_cannot_confirm_twice(candidate, reviewer):
    candidate_decide(user=reviewer, candidate=candidate, decision="confirm", note="Yes.")
    with pytest.raises(ValidationError):
        candidate_decide(user=reviewer, candidate=candidate, decision="confirm", note="Yes!")


@pytest.mark.parametrize("decision", ["reject", "unsure"])
def test_reject_or_unsure_disputes_the_candidate(candidate, reviewer, decision):
    candidate_decide(user=reviewer, candidate=candidate, decision=decision, note="Eyes differ.")
    candidate.refresh_from_db()
    assert candidate.status == Candidate.Status.DISPUTED


def test_note_is_required(candidate, reviewer):
    with pytest.raises(ValidationError):
        candidate_decide(user=reviewer, candidate=candidate, decision="confirm", note="  ")


def test_reviewer_from_a_filing_organisation_cannot_review(candidate, caseworker):
    insider = UserFactory(organisation=caseworker.organisation, role=User.Role.REVIEWER)
    assert not candidate_list(user=insider).exists()
    with pytest.raises(PermissionDenied):
        candidate_decide(user=insider, candidate=candidate, decision="confirm", note="x")


def test_caseworker_cannot_review(candidate, caseworker):
    with pytest.raises(PermissionDenied):
        candidate_decide(user=caseworker, candidate=candidate, decision="confirm", note="x")


def test_queue_lists_best_evidence_first(candidate, caseworker, partner, reviewer):
    case_face = ready_photo_with_embedding(user=caseworker, seed=3, side="case")
    report_face = ready_photo_with_embedding(user=partner, seed=4, side="report")
    candidate_pair_record(case_face=case_face, report_face=report_face, score=0.99)
    scores = [c.best_score for c in candidate_list(user=reviewer, status="pending")]
    assert scores == [0.99, 0.95]


def test_editing_the_case_sex_holds_a_candidate_back(candidate, caseworker):
    from cases.records.services import case_update

    assert not candidate.held_back
    case_update(user=caseworker, case=candidate.case, sex="male")
    candidate.refresh_from_db()
    assert candidate.held_back
    assert any("sex" in reason.lower() for reason in candidate.hold_reasons)
