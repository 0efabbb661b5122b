"""What a filing organisation may learn about its records: processing state and a coarse
outcome of review. Nothing about the other side beyond a contact at its organisation.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from django.db.models import QuerySet

from cases.models import FoundReport, MissingCase, Organisation, Photo
from matching import interfaces as matching


class Outcome(StrEnum):
    """The one outcome vocabulary: what a filing organisation may learn from review."""

    NO_MATCH_SO_FAR = "no_match_so_far"
    UNDER_REVIEW = "under_review"
    POSSIBLE_MATCH_CONFIRMED = "possible_match_confirmed"
    # What the case owner recorded after checking in person (reunification steps).
    VERIFIED_SAME_CHILD = "verified_same_child"
    REUNITED = "reunited"
    HANDED_TO_AUTHORITY = "handed_to_authority"
    NOT_A_MATCH = "not_a_match"


# After a confirmation, the furthest the case owner got; the contact stays shared.
_REUNIFICATION = (
    Outcome.REUNITED,
    Outcome.HANDED_TO_AUTHORITY,
    Outcome.VERIFIED_SAME_CHILD,
    Outcome.POSSIBLE_MATCH_CONFIRMED,
)
# A case's or report's outcome, over all its candidates. A verified "not the same child"
# puts the record back to no match (or under review): it is searched again.
RECORD_OUTCOMES = (Outcome.NO_MATCH_SO_FAR, Outcome.UNDER_REVIEW, *reversed(_REUNIFICATION))
# One candidate's outcome, as a case's own system sees it.
CANDIDATE_OUTCOMES = (Outcome.UNDER_REVIEW, *reversed(_REUNIFICATION), Outcome.NOT_A_MATCH)

# Status and stage strings, not matching.models imports: cases does not depend on matching's
# models. Stages not listed (contact made, verification planned) stay "confirmed".
_STAGE_OUTCOMES = {
    "verified_same": Outcome.VERIFIED_SAME_CHILD,
    "reunited": Outcome.REUNITED,
    "handed_to_authority": Outcome.HANDED_TO_AUTHORITY,
    "verified_not_same": Outcome.NOT_A_MATCH,
}
_ENDED = ("withdrawn", "rejected", "not_same_child")
_CASE_CLOSED = (
    MissingCase.Status.REUNITED,
    MissingCase.Status.CLOSED,
    MissingCase.Status.ERASED,
)


def candidate_outcome(*, status: str, stage: str = "") -> Outcome:
    """One candidate's outcome from its status and reunification stage.

    Pending and disputed are under review; withdrawn, rejected by a senior reviewer and
    verified as not the same child are not a match.
    """
    if status == "confirmed":
        return _STAGE_OUTCOMES.get(stage, Outcome.POSSIBLE_MATCH_CONFIRMED)
    if status in _ENDED:
        return Outcome.NOT_A_MATCH
    return Outcome.UNDER_REVIEW


class ProcessingState(StrEnum):
    NO_PHOTOS = "no_photos"
    PROCESSING = "processing"
    NEEDS_FACE_SELECTION = "needs_face_selection"
    NO_USABLE_PHOTO = "no_usable_photo"
    COMPLETE = "complete"


class DecidedBy(StrEnum):
    """Who confirmed the possible match: the words the partner API and webhooks send."""

    TWO_REVIEWERS = "two_reviewers"
    SENIOR_REVIEWER = "senior_reviewer_after_disagreement"


def candidate_decided_by(candidate) -> DecidedBy:
    """Uses the candidate's prefetched `resolution` (a senior's final decision), if any."""
    resolution = getattr(candidate, "resolution", None)
    if resolution is not None and resolution.decision == "confirm":
        return DecidedBy.SENIOR_REVIEWER
    return DecidedBy.TWO_REVIEWERS


@dataclass(frozen=True)
class OutcomeView:
    state: Outcome
    # Only once confirmed: by two reviewers, or by a senior reviewer after they disagreed.
    decided_by: DecidedBy | None = None
    # The other side's organisation and its named contact, only once reviewers confirmed.
    contact_organisation: str = ""
    contact_email: str = ""
    contact_name: str = ""
    contact_phone: str = ""


def outcome_contact(view: OutcomeView) -> dict[str, str] | None:
    """The contact as the API and webhooks send it: only once reviewers confirmed."""
    if not view.contact_organisation:
        return None
    return {
        "organisation": view.contact_organisation,
        "name": view.contact_name,
        "email": view.contact_email,
        "phone": view.contact_phone,
    }


def processing_state(*, photos: list[Photo]) -> ProcessingState:
    statuses = {photo.status for photo in photos}
    if not statuses:
        return ProcessingState.NO_PHOTOS
    if statuses & {Photo.Status.PENDING, Photo.Status.PROCESSING}:
        return ProcessingState.PROCESSING
    if Photo.Status.NEEDS_FACE_SELECTION in statuses:
        return ProcessingState.NEEDS_FACE_SELECTION
    if statuses == {Photo.Status.REJECTED}:
        return ProcessingState.NO_USABLE_PHOTO
    return ProcessingState.COMPLETE


def _outcome(candidates: list, other: str) -> OutcomeView:
    outcomes = [
        (candidate_outcome(status=c.status, stage=c.reunification_stage), c) for c in candidates
    ]
    for state in _REUNIFICATION:
        confirmed = [c for outcome, c in outcomes if outcome == state]
        if confirmed:
            organisation: Organisation = getattr(confirmed[0], other).organisation
            return OutcomeView(
                state=state,
                decided_by=candidate_decided_by(confirmed[0]),
                contact_organisation=organisation.name,
                contact_email=organisation.contact_email,
                contact_name=organisation.contact_name,
                contact_phone=organisation.contact_phone,
            )
    # A candidate still waiting whose case was since reunited or closed waits on no reviewer.
    if any(
        outcome == Outcome.UNDER_REVIEW and c.case.status not in _CASE_CLOSED
        for outcome, c in outcomes
    ):
        return OutcomeView(state=Outcome.UNDER_REVIEW)
    return OutcomeView(state=Outcome.NO_MATCH_SO_FAR)


def report_outcome(*, report: FoundReport) -> OutcomeView:
    """Uses prefetched candidates when `reports_with_outcome` loaded them."""
    return _outcome(list(report.candidates.all()), "case")


def case_outcome(*, case: MissingCase) -> OutcomeView:
    return _outcome(list(case.candidates.all()), "found_report")


def reports_with_outcome(queryset: QuerySet[FoundReport]) -> QuerySet[FoundReport]:
    return queryset.prefetch_related(matching.candidates_prefetch(other_side="case"))


def cases_with_outcome(queryset: QuerySet[MissingCase]) -> QuerySet[MissingCase]:
    return queryset.prefetch_related(matching.candidates_prefetch(other_side="found_report"))
