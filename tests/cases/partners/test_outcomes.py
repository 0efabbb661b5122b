"""One outcome vocabulary for records and for single candidates."""

from cases.partners.outcomes import RECORD_OUTCOMES, Outcome
from matching.models import Candidate, ReunificationStage
from matching.review.outcomes import CANDIDATE_OUTCOMES, candidate_outcome


def test_every_candidate_status_has_an_outcome():
    outcomes = {s: candidate_outcome(status=s) for s in Candidate.Status.values}
    assert outcomes == {
        "pending": Outcome.UNDER_REVIEW,
        "disputed": Outcome.UNDER_REVIEW,
        "confirmed": Outcome.POSSIBLE_MATCH_CONFIRMED,
        "withdrawn": Outcome.NOT_A_MATCH,
        "rejected": Outcome.NOT_A_MATCH,
        "not_same_child": Outcome.NOT_A_MATCH,
    }
    assert set(outcomes.values()) <= set(CANDIDATE_OUTCOMES)


def test_a_confirmed_candidate_reads_the_case_owners_last_step_coarsely():
    stages = {
        stage: candidate_outcome(status="confirmed", stage=stage)
        for stage in ReunificationStage.values
    }
    assert stages == {
        "contact_made": Outcome.POSSIBLE_MATCH_CONFIRMED,
        "verification_planned": Outcome.POSSIBLE_MATCH_CONFIRMED,
        "verified_same": Outcome.VERIFIED_SAME_CHILD,
        "verified_not_same": Outcome.NOT_A_MATCH,
        "reunited": Outcome.REUNITED,
        "handed_to_authority": Outcome.HANDED_TO_AUTHORITY,
    }
    assert set(stages.values()) - {Outcome.NOT_A_MATCH} <= set(RECORD_OUTCOMES)


def test_a_record_never_reads_not_a_match():
    assert Outcome.NOT_A_MATCH not in RECORD_OUTCOMES
