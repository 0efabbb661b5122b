"""After two confirmations: the case owner's steps, and what flows back to the partner."""

import pytest
from django.conf import settings
from django.core import mail

from cases.models import AuditEvent, MissingCase, Notification, User
from cases.partners.outcomes import Outcome, case_outcome, report_outcome
from matching.candidates.pairs import candidate_pair_record
from matching.models import Candidate, ReunificationStep
from matching.review.decisions import candidate_decide
from matching.review.reunification import reunification_step_record
from reunite.kernel.errors import InvalidInput as ValidationError
from reunite.kernel.errors import NotAllowed as PermissionDenied
from tests.factories import UserFactory
from tests.support.faces import ready_photo_with_embedding

pytestmark = pytest.mark.django_db


@pytest.fixture
def confirmed(caseworker, partner, reviewer, reviewer2) -> Candidate:
    case_face = ready_photo_with_embedding(user=caseworker, seed=1, side="case")
    report_face = ready_photo_with_embedding(user=partner, seed=2, side="report")
    candidate_pair_record(case_face=case_face, report_face=report_face, score=0.95)
    candidate = Candidate.objects.get()
    for person in (reviewer, reviewer2):
        candidate_decide(user=person, candidate=candidate, decision="confirm", note="Same ears.")
    candidate.refresh_from_db()
    assert candidate.status == Candidate.Status.CONFIRMED
    return candidate


def _step(user, candidate, stage, note="Called Ada at the shelter.") -> ReunificationStep:
    return reunification_step_record(user=user, candidate=candidate, stage=stage, note=note)


def test_confirmation_notice_never_tells_anyone_to_contact_the_family(confirmed):
    notice = confirmed.case.created_by.notifications.get()
    assert "verify in person" in notice.message
    assert "contact the family" not in notice.message
    assert MissingCase.Status.POSSIBLE_MATCH.label == "Possible match: verify in person"


def test_each_step_is_recorded_with_its_note_audited_and_read_by_the_partner(confirmed, caseworker):
    _step(caseworker, confirmed, "contact_made")
    _step(caseworker, confirmed, "verification_planned", note="Meeting on Friday.")
    report = confirmed.found_report
    assert report_outcome(report=report).state == Outcome.POSSIBLE_MATCH_CONFIRMED

    _step(caseworker, confirmed, "verified_same", note="Birthmark and school records agree.")
    assert report_outcome(report=report).state == Outcome.VERIFIED_SAME_CHILD
    _step(caseworker, confirmed, "reunited", note="Back with her mother.")

    confirmed.refresh_from_db()
    assert confirmed.reunification_stage == "reunited"
    assert [s.stage for s in confirmed.reunification_steps.all()] == [
        "contact_made",
        "verification_planned",
        "verified_same",
        "reunited",
    ]
    view = report_outcome(report=report)
    assert view.state == Outcome.REUNITED
    assert view.contact_organisation == caseworker.organisation.name
    case = MissingCase.objects.get(pk=confirmed.case_id)
    assert case.status == MissingCase.Status.REUNITED and case.closed_at is not None
    actions = list(
        AuditEvent.objects.filter(action__startswith="reunification.").values_list(
            "action", flat=True
        )
    )
    assert actions == [
        "reunification.contact_made",
        "reunification.verification_planned",
        "reunification.verified_same",
        "reunification.reunited",
    ]
    assert AuditEvent.objects.filter(action="case.closed", object_id=str(case.pk)).exists()
    # Nothing more after the reunion.
    with pytest.raises(ValidationError):
        _step(caseworker, confirmed, "contact_made")


def test_handed_to_the_authority_is_its_own_outcome(confirmed, caseworker):
    _step(caseworker, confirmed, "handed_to_authority", note="Child protection took over.")
    assert report_outcome(report=confirmed.found_report).state == Outcome.HANDED_TO_AUTHORITY
    assert case_outcome(case=confirmed.case).state == Outcome.HANDED_TO_AUTHORITY


def test_not_the_same_child_returns_both_records_to_matching_and_tells_the_reviewers(
    confirmed, caseworker, reviewer, reviewer2
):
    _step(caseworker, confirmed, "verified_not_same", note="Different birth date and scar.")

    confirmed.refresh_from_db()
    assert confirmed.status == Candidate.Status.NOT_SAME_CHILD
    case = MissingCase.objects.get(pk=confirmed.case_id)
    assert case.status == MissingCase.Status.OPEN
    assert confirmed.found_report.status == "active"
    assert report_outcome(report=confirmed.found_report).state == Outcome.NO_MATCH_SO_FAR
    for person in (reviewer, reviewer2):
        notice = Notification.objects.get(user=person)
        assert f"Candidate #{confirmed.pk}" in notice.message
        assert "not the same child" in notice.message
        # Reviewers never learn the child's name, nor the caseworker's note.
        assert case.given_name not in notice.message and "scar" not in notice.message
    # The same pair is never proposed again: a repeated search finds the old candidate.
    case_face, report_face = confirmed.best_case_face, confirmed.best_report_face
    assert not candidate_pair_record(case_face=case_face, report_face=report_face, score=0.97)
    assert Candidate.objects.get().status == Candidate.Status.NOT_SAME_CHILD
    # Review is over for it, and no step follows.
    with pytest.raises(ValidationError):
        candidate_decide(user=reviewer, candidate=confirmed, decision="reject", note="x")
    with pytest.raises(ValidationError):
        _step(caseworker, confirmed, "reunited")


def test_steps_follow_each_other(confirmed, caseworker):
    with pytest.raises(ValidationError, match="does not follow"):
        _step(caseworker, confirmed, "reunited")
    _step(caseworker, confirmed, "verified_same")
    with pytest.raises(ValidationError, match="does not follow"):
        _step(caseworker, confirmed, "verified_not_same")
    with pytest.raises(ValidationError, match="Choose one"):
        _step(caseworker, confirmed, "teleported")
    with pytest.raises(ValidationError):
        _step(caseworker, confirmed, "contact_made", note="   ")


def test_only_the_case_owners_organisation_records_steps(confirmed, partner, reviewer):
    stranger = UserFactory(role=User.Role.CASEWORKER)
    with pytest.raises(PermissionDenied):
        _step(stranger, confirmed, "contact_made")
    for user in (partner, reviewer):
        with pytest.raises(PermissionDenied):
            _step(user, confirmed, "contact_made")
    assert not ReunificationStep.objects.exists()


def test_no_step_before_two_confirmations(caseworker, partner):
    candidate_pair_record(
        case_face=ready_photo_with_embedding(user=caseworker, seed=3, side="case"),
        report_face=ready_photo_with_embedding(user=partner, seed=4, side="report"),
        score=0.95,
    )
    with pytest.raises(ValidationError, match="confirmed"):
        _step(caseworker, Candidate.objects.get(), "contact_made")


def test_the_reviewers_who_confirmed_are_emailed_when_it_was_not_the_same_child(
    confirmed, caseworker, reviewer, reviewer2, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _step(caseworker, confirmed, "verified_not_same", note="Different birth date and scar.")

    sent = {message.to[0]: message for message in mail.outbox}
    for person in (reviewer, reviewer2):
        message = sent[person.email]
        assert f"#{confirmed.pk}" in message.subject
        assert "not the same child" in message.body
        assert f"{settings.BASE_URL}/review/candidates/{confirmed.pk}/" in message.body
        # As on the dashboard: no name and no note.
        assert confirmed.case.given_name not in message.body and "scar" not in message.body
    assert caseworker.email not in sent
