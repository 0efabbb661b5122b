"""One outcome vocabulary for records and for single candidates."""

from cases.partners.outcomes import (
    CANDIDATE_OUTCOMES,
    RECORD_OUTCOMES,
    Outcome,
    candidate_outcome,
)
from matching.models import Candidate


def test_every_candidate_status_has_an_outcome():
    outcomes = {s: candidate_outcome(status=s) for s in Candidate.Status.values}
    assert outcomes == {
        "pending": Outcome.UNDER_REVIEW,
        "disputed": Outcome.UNDER_REVIEW,
        "confirmed": Outcome.POSSIBLE_MATCH_CONFIRMED,
        "withdrawn": Outcome.NOT_A_MATCH,
    }
    assert set(outcomes.values()) <= set(CANDIDATE_OUTCOMES)


def test_a_record_never_reads_not_a_match():
    assert Outcome.NOT_A_MATCH not in RECORD_OUTCOMES
