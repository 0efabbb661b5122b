"""Candidates: evidence from several photo pairs, metadata compatibility, ages and profiles."""

import datetime as dt

import pytest

from cases.models import FoundReport, MissingCase, Photo, User
from matching.candidates.pairs import candidate_compatibility_refresh, candidate_pair_record
from matching.models import Candidate, Face
from matching.selectors import candidate_list
from matching.spaces.calibration import candidate_threshold, pair_rule, profile_active, score_band
from tests.factories import FoundReportFactory, MissingCaseFactory
from tests.support.api import api_client_verified

pytestmark = pytest.mark.django_db


def _face(*, owner: MissingCase | FoundReport, user: User, n: int, **photo: object) -> Face:
    side = "case" if isinstance(owner, MissingCase) else "report"
    record = Photo.objects.create(
        side=side,
        case=owner if side == "case" else None,
        found_report=owner if side == "report" else None,
        organisation=owner.organisation,
        uploaded_by=user,
        file=f"photos/cand-{side}-{owner.pk}-{n}.enc",
        width=200,
        height=200,
        status=Photo.Status.READY,
        **photo,
    )
    return Face.objects.create(
        photo=record, ordinal=0, x=10, y=10, w=100, h=100, detector_score=1.0, is_selected=True
    )


@pytest.fixture
def case(caseworker) -> MissingCase:
    return MissingCaseFactory(created_by=caseworker)


@pytest.fixture
def report(partner) -> FoundReport:
    return FoundReportFactory(created_by=partner)


def _record(case, report, caseworker, partner, score=0.95, case_photo=None, report_photo=None):
    case_face = _face(owner=case, user=caseworker, n=Photo.objects.count(), **(case_photo or {}))
    report_face = _face(owner=report, user=partner, n=Photo.objects.count(), **(report_photo or {}))
    candidate_pair_record(case_face=case_face, report_face=report_face, score=score)
    return Candidate.objects.get(case=case, found_report=report)


def test_candidate_records_the_profile_that_scored_it(case, report, caseworker, partner):
    candidate = _record(case, report, caseworker, partner)
    profile = profile_active()
    assert candidate.profile == profile.name == "sface-dlib-ages-v2"
    # The threshold and the rate are those of the two photos' age cell.
    pair = candidate.pairs.get()
    assert pair.age_cell and candidate.age_cell == pair.age_cell
    assert (
        candidate.threshold == pair.threshold == profile.rates.ages.cells[pair.age_cell].threshold
    )
    assert 0 < candidate.false_match_rate == pair.false_match_rate <= profile.target_fmr


def test_young_childrens_photos_need_a_higher_threshold_and_say_so():
    profile = profile_active()
    toddlers = pair_rule(score=0.75, case_age=2, report_age=3, profile=profile)
    adults = pair_rule(score=0.75, case_age=30, report_age=31, profile=profile)
    unknown = pair_rule(score=0.75, case_age=None, report_age=3, profile=profile)
    assert toddlers.threshold > adults.threshold
    # An unknown age takes the most cautious band.
    assert unknown.threshold >= toddlers.threshold
    assert toddlers.fmr > 10 * adults.fmr
    band = score_band(
        score=0.75, fmr=toddlers.fmr, cell=toddlers.cell, threshold=toddlers.threshold
    )
    assert band.key == "weak"
    assert "young children (under 6)" in band.explanation and "1 time in" in band.explanation


def test_threshold_override_is_recorded_as_the_profile(case, report, caseworker, partner, settings):
    settings.CANDIDATE_THRESHOLD = 0.9
    candidate = _record(case, report, caseworker, partner)
    assert candidate.threshold == 0.9
    assert candidate.profile == "override:0.9"


def test_more_agreeing_pairs_raise_the_evidence_but_not_the_best_score(
    case, report, caseworker, partner
):
    first = _record(case, report, caseworker, partner, score=0.95)
    assert first.evidence_score == pytest.approx(0.95)
    second = _record(case, report, caseworker, partner, score=0.94)
    assert second.pk == first.pk
    assert second.best_score == pytest.approx(0.95)
    assert second.agreeing_pairs == 2
    assert second.evidence_score == pytest.approx(0.95 + 0.5 * (0.94 - second.threshold))


def test_compatible_candidate_is_in_the_default_queue(case, report, caseworker, partner, reviewer):
    candidate = _record(case, report, caseworker, partner)
    assert not candidate.held_back and candidate.hold_reasons == []
    assert candidate.compatibility["sex"] == "same"
    assert candidate.compatibility["age"] == "compatible"
    assert list(candidate_list(user=reviewer)) == [candidate]
    assert not candidate_list(user=reviewer, held_back=True).exists()


@pytest.mark.parametrize(
    ("case_fields", "report_fields", "reason"),
    [
        ({"sex": "male"}, {"sex": "female"}, "Sex differs"),
        ({"last_seen_on": dt.date(2025, 7, 1)}, {"found_on": dt.date(2025, 6, 1)}, "before"),
        ({"age_min": 3, "age_max": 4}, {"estimated_age_min": 12, "estimated_age_max": 14}, "Age"),
        (
            {"date_of_birth": dt.date(2020, 1, 1), "age_min": None, "age_max": None},
            {"estimated_age_min": 12, "estimated_age_max": 14},
            "Age",
        ),
    ],
)
def test_incompatible_candidate_is_held_back_with_its_reason_not_dropped(
    caseworker, partner, reviewer, case_fields, report_fields, reason
):
    case = MissingCaseFactory(created_by=caseworker, **case_fields)
    report = FoundReportFactory(created_by=partner, **report_fields)
    candidate = _record(case, report, caseworker, partner)
    assert candidate.held_back
    assert any(reason in r for r in candidate.hold_reasons)
    assert not candidate_list(user=reviewer).exists()
    assert list(candidate_list(user=reviewer, held_back=True)) == [candidate]


def test_age_near_the_estimate_is_borderline_not_held_back(caseworker, partner):
    case = MissingCaseFactory(created_by=caseworker, age_min=5, age_max=5)
    report = FoundReportFactory(created_by=partner, estimated_age_min=7, estimated_age_max=9)
    candidate = _record(case, report, caseworker, partner)
    assert candidate.compatibility["age"] == "borderline"
    assert not candidate.held_back


def test_changed_details_are_rechecked(case, report, caseworker, partner):
    candidate = _record(case, report, caseworker, partner)
    FoundReport.objects.filter(pk=report.pk).update(sex="male")
    candidate = candidate_compatibility_refresh(candidate_id=candidate.pk)
    assert candidate.held_back and "Sex differs" in candidate.hold_reasons[0]


def test_api_lists_held_back_candidates_only_when_asked(caseworker, partner, reviewer):
    case = MissingCaseFactory(created_by=caseworker, sex="male")
    report = FoundReportFactory(created_by=partner, sex="female")
    candidate = _record(case, report, caseworker, partner)
    client = api_client_verified(reviewer)
    assert client.get("/api/v1/review/candidates/").json()["results"] == []
    held = client.get("/api/v1/review/candidates/?held_back=true").json()["results"]
    assert [c["id"] for c in held] == [candidate.pk]
    assert held[0]["hold_reasons"] and held[0]["profile"] == "sface-dlib-ages-v2"
    assert held[0]["false_match_rate"] > 0 and held[0]["age_cell"]
    assert held[0]["band"]["key"] in {"strong", "possible", "weak"}
    assert client.get("/api/v1/review/candidates/?held_back=maybe").status_code == 400


def test_age_gap_between_the_photos_is_stored(case, report, caseworker, partner):
    candidate = _record(
        case, report, caseworker, partner, case_photo={"age_in_photo": 4}, report_photo={}
    )
    # The undated report photo shows the child as found: estimated 8-12, so about 10.
    assert candidate.age_gap_years == pytest.approx(6.0)
    assert candidate.pairs.get().age_gap_years == pytest.approx(6.0)


def test_age_gap_from_photo_dates(caseworker, partner):
    case = MissingCaseFactory(
        created_by=caseworker, date_of_birth=dt.date(2015, 6, 1), age_min=None, age_max=None
    )
    report = FoundReportFactory(created_by=partner, estimated_age_min=9, estimated_age_max=11)
    candidate = _record(
        case, report, caseworker, partner, case_photo={"taken_on": dt.date(2019, 6, 1)}
    )
    assert candidate.age_gap_years == pytest.approx(6.0, abs=0.1)


def test_unknown_ages_leave_the_gap_empty(case, report, caseworker, partner):
    assert _record(case, report, caseworker, partner).age_gap_years is None


def test_age_progressed_image_is_searched_and_marked_but_a_real_photo_is_shown(
    case, report, caseworker, partner
):
    progressed = _record(
        case, report, caseworker, partner, score=0.97, case_photo={"kind": "age_progressed"}
    )
    pair = progressed.pairs.get()
    assert pair.from_age_progressed
    real = _record(case, report, caseworker, partner, score=0.95)
    assert real.best_score == pytest.approx(0.97)
    shown = real.pairs.get(case_face=real.best_case_face)
    assert not shown.from_age_progressed


def test_case_photo_nearest_in_age_is_shown_among_equal_scores(case, report, caseworker, partner):
    _record(case, report, caseworker, partner, score=0.950, case_photo={"age_in_photo": 2})
    candidate = _record(
        case, report, caseworker, partner, score=0.945, case_photo={"age_in_photo": 9}
    )
    assert candidate.best_case_face.photo.age_in_photo == 9
    assert candidate.best_score == pytest.approx(0.95)


def test_large_age_gap_widens_the_band(settings):
    threshold = candidate_threshold()
    profile = profile_active()
    just_below = threshold - 0.005
    assert score_band(score=just_below).key == "weak"
    wide = score_band(score=just_below, age_gap_years=settings.LARGE_AGE_GAP_YEARS + 1)
    assert wide.key == "possible" and "years apart" in wide.explanation
    assert score_band(score=profile.strong + 0.001).key == "strong"
    # With a large gap, "strong" is not claimed.
    assert score_band(score=profile.strong + 0.001, age_gap_years=10).key == "possible"
    assert score_band(score=profile.weak_floor - 0.01, age_gap_years=10).key == "weak"
