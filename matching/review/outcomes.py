"""What review means for the filing organisations: one candidate's coarse outcome, a record's
outcome over its candidates, and telling a report's organisation when it may have changed.

`cases` reads these through `matching/interfaces.py`; every candidate service calls
`outcome_changed` itself (no model signal), so `.save()` and `.update()` are alike here.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import partial

from django.db import transaction
from django.db.models import Prefetch

from cases.models import FoundReport, MissingCase, Organisation
from cases.partners.tasks import report_outcome_notify_task
from matching.models import Candidate, ReunificationStage
from matching.selectors import CLOSED_CASE_STATUSES


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

# Keyed by value: a choices member hashes by its name, so a plain string would miss it.
# Stages not listed (contact made, verification planned) stay "confirmed".
_STAGE_OUTCOMES = {
    ReunificationStage.VERIFIED_SAME.value: Outcome.VERIFIED_SAME_CHILD,
    ReunificationStage.REUNITED.value: Outcome.REUNITED,
    ReunificationStage.HANDED_TO_AUTHORITY.value: Outcome.HANDED_TO_AUTHORITY,
    ReunificationStage.VERIFIED_NOT_SAME.value: Outcome.NOT_A_MATCH,
}
_ENDED = (
    Candidate.Status.WITHDRAWN,
    Candidate.Status.REJECTED,
    Candidate.Status.NOT_SAME_CHILD,
)
_UNDER_REVIEW = (Candidate.Status.PENDING, Candidate.Status.DISPUTED)


def candidate_outcome(*, status: str, stage: str = "") -> Outcome:
    """One candidate's outcome from its status and reunification stage.

    Pending and disputed are under review; withdrawn, rejected by a senior reviewer and
    verified as not the same child are not a match.
    """
    if status == Candidate.Status.CONFIRMED:
        return _STAGE_OUTCOMES.get(str(stage), Outcome.POSSIBLE_MATCH_CONFIRMED)
    if status in _ENDED:
        return Outcome.NOT_A_MATCH
    return Outcome.UNDER_REVIEW


class DecidedBy(StrEnum):
    """Who confirmed the possible match: the words the partner API and webhooks send."""

    TWO_REVIEWERS = "two_reviewers"
    SENIOR_REVIEWER = "senior_reviewer_after_disagreement"


def candidate_decided_by(candidate: Candidate) -> DecidedBy:
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


def _outcome(candidates: list[Candidate], other: str) -> OutcomeView:
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
        outcome == Outcome.UNDER_REVIEW and c.case.status not in CLOSED_CASE_STATUSES
        for outcome, c in outcomes
    ):
        return OutcomeView(state=Outcome.UNDER_REVIEW)
    return OutcomeView(state=Outcome.NO_MATCH_SO_FAR)


def report_outcome(*, report: FoundReport) -> OutcomeView:
    """Uses prefetched candidates when `candidates_prefetch` loaded them."""
    return _outcome(list(report.candidates.all()), "case")


def case_outcome(*, case: MissingCase) -> OutcomeView:
    return _outcome(list(case.candidates.all()), "found_report")


def candidates_prefetch(*, other_side: str) -> Prefetch:
    """Prefetch a record's candidates with the other side's organisation (for outcomes).

    `other_side` is `"case"` for a report's candidates, `"found_report"` for a case's.
    """
    return Prefetch(
        "candidates",
        queryset=Candidate.objects.select_related(f"{other_side}__organisation", "resolution"),
    )


def outcome_changed(*, report_id: int) -> None:
    """A candidate of this report was created, deleted, or changed status or stage, or its
    case closed: after the commit, the report's organisation is told if its outcome moved.
    """
    # robust: the webhook sweep catches up if the broker is down. The task itself decides
    # whether anything changed, so a second call for one report is harmless.
    transaction.on_commit(partial(report_outcome_notify_task.delay, report_id), robust=True)


def case_closed_outcomes_changed(*, case_id: int) -> None:
    """The case closed: its candidates still waiting wait on no reviewer any more, so their
    reports may read "no match so far" now."""
    report_ids = Candidate.objects.filter(case_id=case_id, status__in=_UNDER_REVIEW).values_list(
        "found_report_id", flat=True
    )
    for report_id in sorted(set(report_ids)):
        outcome_changed(report_id=report_id)
