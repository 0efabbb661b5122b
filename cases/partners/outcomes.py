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
    NOT_A_MATCH = "not_a_match"


# A case's or report's outcome, over all its candidates.
RECORD_OUTCOMES = (Outcome.NO_MATCH_SO_FAR, Outcome.UNDER_REVIEW, Outcome.POSSIBLE_MATCH_CONFIRMED)
# One candidate's outcome, as a case's own system sees it.
CANDIDATE_OUTCOMES = (Outcome.UNDER_REVIEW, Outcome.POSSIBLE_MATCH_CONFIRMED, Outcome.NOT_A_MATCH)


def candidate_outcome(*, status: str) -> Outcome:
    """One candidate's outcome from its status (pending and disputed are under review)."""
    # Status strings, not matching.models imports: cases does not depend on matching's models.
    return {
        "confirmed": Outcome.POSSIBLE_MATCH_CONFIRMED,
        "withdrawn": Outcome.NOT_A_MATCH,
    }.get(status, Outcome.UNDER_REVIEW)


class ProcessingState(StrEnum):
    NO_PHOTOS = "no_photos"
    PROCESSING = "processing"
    NEEDS_FACE_SELECTION = "needs_face_selection"
    NO_USABLE_PHOTO = "no_usable_photo"
    COMPLETE = "complete"


@dataclass(frozen=True)
class OutcomeView:
    state: Outcome
    # The other side's organisation, only once reviewers confirmed a possible match.
    contact_organisation: str = ""
    contact_email: str = ""


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
    confirmed = [
        c
        for c in candidates
        if candidate_outcome(status=c.status) == Outcome.POSSIBLE_MATCH_CONFIRMED
    ]
    if confirmed:
        organisation: Organisation = getattr(confirmed[0], other).organisation
        return OutcomeView(
            state=Outcome.POSSIBLE_MATCH_CONFIRMED,
            contact_organisation=organisation.name,
            contact_email=organisation.contact_email,
        )
    if any(candidate_outcome(status=c.status) == Outcome.UNDER_REVIEW for c in candidates):
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
