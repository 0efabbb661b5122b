"""Each kind of evidence a likelihood ratio; missing evidence is neutral (issue 25)."""

import datetime as dt
import json
import re
from pathlib import Path

import pytest

from matching.evidence import ratios
from matching.evidence.ratios import (
    FACE_HIT_RATE_PRIOR,
    PRIORS,
    RATIOS,
    combined_threshold,
    evidence_assess,
    face_ratio,
)
from matching.evidence.words import evidence_lines
from tests.factories import FoundReportFactory, MissingCaseFactory

pytestmark = pytest.mark.django_db


def _kinds(assessment):
    return {item.kind: item.agreement for item in assessment.items}


def test_missing_evidence_is_neutral(caseworker, partner):
    case = MissingCaseFactory(created_by=caseworker, sex="unknown")
    report = FoundReportFactory(created_by=partner, sex="unknown")
    assessment = evidence_assess(case=case, report=report, compatibility={}, face=7.0)
    # Only the dates are always known; nothing the report leaves empty counts either way.
    kinds = _kinds(assessment)
    assert set(kinds) == {"dates", "place_seen"}
    expected = RATIOS[("dates", kinds["dates"])] * RATIOS[("place_seen", kinds["place_seen"])]
    assert assessment.other == pytest.approx(expected)
    assert assessment.combined == pytest.approx(7.0 * expected)


def test_name_and_a_parents_name_in_another_script_multiply(caseworker, partner):
    case = MissingCaseFactory(
        created_by=caseworker,
        given_name="Amina",
        family_name="Hassan",
        relatives_names="Fatima Hassan, Omar Hassan",
        home_place="Kakuma, Turkana",
        languages="Arabic, Swahili",
    )
    report = FoundReportFactory(
        created_by=partner,
        child_names="أمينة",
        relatives_names="فاطمة",
        home_place="Lodwar, Turkana",
        languages="arabic",
    )
    assessment = evidence_assess(
        case=case, report=report, compatibility={"sex": "same", "age": "compatible"}, face=1.0
    )
    kinds = _kinds(assessment)
    assert kinds["given_name"] == "strong" and kinds["relatives"] == "one"
    # Kakuma and Lodwar, both in Turkana, are over 100 km apart (the gazetteer knows both).
    assert kinds["home_place"] == "far" and kinds["languages"] == "shared"
    assert "family_name" not in kinds  # the child gave one name: no family name to compare
    expected = 1.0
    for kind, agreement in kinds.items():
        expected *= RATIOS[(kind, agreement)]
    assert assessment.other == pytest.approx(expected)
    lines = {line.kind: line for line in evidence_lines(evidence=assessment.as_data())}
    assert lines["given_name"].words == "Given name: strong agreement"
    assert lines["relatives"].words == "Parents' or relatives' names: one agrees"
    assert re.fullmatch(r"Home: 1\d\d km apart", lines["home_place"].words)
    # Words only: no name reaches a reviewer.
    text = " ".join(line.words for line in lines.values())
    for name in ("Amina", "Hassan", "Fatima", "أمينة", "فاطمة", "Kakuma", "Lodwar"):
        assert name not in text


def test_relatives_sharing_a_family_name_do_not_agree_on_it_alone(caseworker, partner):
    case = MissingCaseFactory(created_by=caseworker, relatives_names="Khadija Hassan")
    report = FoundReportFactory(created_by=partner, relatives_names="Fatima Hassan, Ali Hassan")
    assessment = evidence_assess(case=case, report=report, compatibility={}, face=1.0)
    # "Parent" (the factory's guardian) and Khadija: neither given name agrees.
    assert _kinds(assessment)["relatives"] == "none"


def test_the_faces_ratio_comes_from_its_calibrated_rate():
    target = 1e-3
    assert face_ratio(fmr=1e-3, target_fmr=target, above_threshold=True) == pytest.approx(
        combined_threshold(target_fmr=target)
    )
    assert face_ratio(fmr=0.1, target_fmr=target, above_threshold=False) == pytest.approx(
        FACE_HIT_RATE_PRIOR / 0.1
    )
    # No calibrated rate (an operator's override): at the threshold, or nothing.
    assert face_ratio(fmr=None, target_fmr=target, above_threshold=True) == pytest.approx(400)
    assert face_ratio(fmr=None, target_fmr=target, above_threshold=False) == 1.0


def test_dates_say_how_long_after_last_seen(caseworker, partner):
    case = MissingCaseFactory(created_by=caseworker, last_seen_on=dt.date(2025, 5, 20))
    soon = FoundReportFactory(created_by=partner, found_on=dt.date(2025, 6, 1))
    late = FoundReportFactory(created_by=partner, found_on=dt.date(2027, 6, 1))
    assert (
        _kinds(evidence_assess(case=case, report=soon, compatibility={}, face=1))["dates"]
        == "within_month"
    )
    assert (
        _kinds(evidence_assess(case=case, report=late, compatibility={}, face=1))["dates"]
        == "later"
    )


def test_the_fitted_ratios_cover_only_known_evidence_and_stay_in_range():
    data = json.loads((Path(ratios.__file__).with_name("ratios.json")).read_text())
    for kind, fitted in data["ratios"].items():
        for agreement, ratio in fitted.items():
            assert (kind, agreement) in PRIORS
            # A synthetic world is no evidence of certainty: fitted ratios stay bounded.
            assert 0.1 <= ratio <= 500
    assert data["fitted_on"]["seeds"] and 25 not in data["fitted_on"]["seeds"]
