"""What a filing organisation may learn about its records: processing state and a coarse
outcome of review. Nothing about the other side beyond a contact at its organisation.
"""

from __future__ import annotations

from enum import StrEnum

from django.db.models import QuerySet

from cases.models import FoundReport, MissingCase, Photo
from matching import interfaces as matching

# What review means for a partner is matching's to say (one candidate's outcome, a record's
# over its candidates); these are its words, read through the interface.
Outcome = matching.Outcome
OutcomeView = matching.OutcomeView
DecidedBy = matching.DecidedBy
RECORD_OUTCOMES = matching.RECORD_OUTCOMES


class ProcessingState(StrEnum):
    NO_PHOTOS = "no_photos"
    PROCESSING = "processing"
    NEEDS_FACE_SELECTION = "needs_face_selection"
    NO_USABLE_PHOTO = "no_usable_photo"
    COMPLETE = "complete"


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


def report_outcome(*, report: FoundReport) -> OutcomeView:
    """Uses prefetched candidates when `reports_with_outcome` loaded them."""
    return matching.report_outcome(report=report)


def case_outcome(*, case: MissingCase) -> OutcomeView:
    return matching.case_outcome(case=case)


def reports_with_outcome(queryset: QuerySet[FoundReport]) -> QuerySet[FoundReport]:
    return queryset.prefetch_related(matching.candidates_prefetch(other_side="case"))


def cases_with_outcome(queryset: QuerySet[MissingCase]) -> QuerySet[MissingCase]:
    return queryset.prefetch_related(matching.candidates_prefetch(other_side="found_report"))
