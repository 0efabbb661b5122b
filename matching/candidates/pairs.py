"""Candidates: one per (case, report), holding every close pair of their faces.

The candidate's evidence score combines all its pairs (calibration.evidence_score), and
its sex, age and dates are checked (candidates/compatibility.py): an incompatible
candidate is held back with its reasons, never dropped.
"""

from __future__ import annotations

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import translation

from cases.audit.trail import audit_record
from cases.models import FoundReport, MissingCase, Photo
from cases.records.ages import case_photo_age, report_photo_age
from matching.candidates.closed_cases import case_is_closed, closed_case_match_note
from matching.candidates.compatibility import compatibility_check, photo_age_gap
from matching.evidence.ratios import combined_threshold, evidence_assess, face_ratio
from matching.models import Candidate, CandidatePair, Face
from matching.review.outcomes import outcome_changed
from matching.spaces.active import space_active
from matching.spaces.calibration import evidence_score, pair_rule, profile_active
from matching.spaces.profiles import Profile
from matching.spaces.rates import PairRule
from reunite.kernel.errors import model_validate


def _owners(*, case_face: Face, report_face: Face) -> tuple[MissingCase, FoundReport]:
    case, report = case_face.photo.case, report_face.photo.found_report
    assert case is not None and report is not None  # a case photo and a report photo
    return case, report


def faces_ages(*, case_face: Face, report_face: Face) -> tuple[float | None, float]:
    """The child's age in each photo (the case photo's may be unknown)."""
    case, report = _owners(case_face=case_face, report_face=report_face)
    return (
        case_photo_age(case=case, photo=case_face.photo),
        report_photo_age(report=report, photo=report_face.photo),
    )


def candidate_pair_record(
    *,
    case_face: Face,
    report_face: Face,
    score: float,
    rule: PairRule | None = None,
    model_scores: dict[str, float] | None = None,
    profile: Profile | None = None,
) -> bool:
    """Record one close pair under its (case, report) candidate. False if already recorded.

    A search passes the rule (threshold and calibrated rate) it already worked out, and the
    profile it read; without one, the rule for the photos' ages is worked out here.
    """
    case, report = _owners(case_face=case_face, report_face=report_face)
    if report.status != FoundReport.Status.ACTIVE:
        return False
    if case_is_closed(case=case):
        # Nobody is asked to decide on a reunited or closed case; its owner is told instead.
        closed_case_match_note(case=case, report=report, score=score)
        return False
    gap = photo_age_gap(
        case=case, case_photo=case_face.photo, report=report, report_photo=report_face.photo
    )
    if rule is None:
        case_age, report_age = faces_ages(case_face=case_face, report_face=report_face)
        rule = pair_rule(score=score, case_age=case_age, report_age=report_age, profile=profile)
    threshold = rule.threshold
    with transaction.atomic():
        try:
            with transaction.atomic():
                candidate, created = Candidate.objects.get_or_create(
                    case=case,
                    found_report=report,
                    defaults={
                        "space": space_active().name,
                        "threshold": threshold,
                        "profile": profile_name(profile=profile),
                        "best_score": score,
                        "evidence_score": score,
                        "best_case_face": case_face,
                        "best_report_face": report_face,
                    },
                )
        except IntegrityError:
            candidate, created = Candidate.objects.get(case=case, found_report=report), False
        candidate = Candidate.objects.select_for_update().get(pk=candidate.pk)
        _, pair_created = CandidatePair.objects.get_or_create(
            case_face=case_face,
            report_face=report_face,
            defaults={
                "candidate": candidate,
                "score": score,
                "threshold": threshold,
                "model_scores": model_scores or {},
                "age_gap_years": gap,
                "false_match_rate": rule.fmr or None,
                "age_cell": rule.cell,
                "from_age_progressed": case_face.photo.kind == Photo.Kind.AGE_PROGRESSED,
            },
        )
        if not pair_created:
            return False
        candidate_rescore(candidate=candidate, case=case, report=report)
        if created:
            # A new candidate puts its report under review; a further pair changes nothing.
            outcome_changed(report_id=report.pk)
        audit_record(
            actor=None,
            action="candidate.created" if created else "candidate.updated",
            obj=candidate,
            organisation=case.organisation,
            data={
                "case": case.reference,
                "report": report.reference,
                "score": round(score, 4),
                "model_scores": {k: round(v, 4) for k, v in (model_scores or {}).items()},
                "threshold": round(threshold, 4),
                "false_match_rate": rule.fmr or None,
                "age_cell": rule.cell,
                "evidence": round(candidate.evidence_score, 4),
                "likelihood_ratio": round(candidate.likelihood_ratio, 3),
                "evidence_kinds": {
                    item["kind"]: item["agreement"] for item in candidate.evidence.get("items", [])
                },
                "profile": candidate.profile,
                "held_back": candidate.held_back,
                "hold_reasons": candidate.hold_reasons,
            },
        )
    return True


def pair_carried_by_evidence(
    *, case_face: Face, report_face: Face, rule: PairRule, profile: Profile
) -> bool:
    """Whether a pair whose face is under its threshold (but above the search floor) still
    reaches review: the two records' other evidence (names, relatives, places, languages,
    dates, age, sex) times the face's own ratio clears the one combined threshold. Records
    whose details conflict, a report no longer active and a closed case never do."""
    if settings.CANDIDATE_THRESHOLD is not None or not rule.fmr:
        return False  # an operator's override has no calibrated rate to weigh the face by
    case, report = _owners(case_face=case_face, report_face=report_face)
    if report.status != FoundReport.Status.ACTIVE or case_is_closed(case=case):
        return False
    check = compatibility_check(case=case, report=report)
    if check.hold_reasons:
        return False
    face = face_ratio(fmr=rule.fmr, target_fmr=profile.target_fmr, above_threshold=False)
    assessment = evidence_assess(case=case, report=report, compatibility=check.notes, face=face)
    return evidence_enough(ratio=assessment.combined, target_fmr=profile.target_fmr)


def profile_name(*, profile: Profile | None = None) -> str:
    if settings.CANDIDATE_THRESHOLD is not None:
        return f"override:{settings.CANDIDATE_THRESHOLD:g}"
    return (profile or profile_active()).name


# A pair within this much of the best score counts as equally good when choosing which
# photos to show: then the case photo nearest in age to the found child wins.
SHOWN_PAIR_MARGIN = 0.01


def candidate_rescore(*, candidate: Candidate, case: MissingCase, report: FoundReport) -> None:
    """Recompute a candidate's summary from all its pairs, and its compatibility."""
    pairs = list(candidate.pairs.select_related("case_face__photo"))
    scores = [p.score for p in pairs]
    best = max(pairs, key=lambda p: p.score)
    shown = _pair_to_show(pairs=pairs, case=case, report=report, best=best)
    candidate.best_score = best.score
    candidate.best_case_face_id = shown.case_face_id
    candidate.best_report_face_id = shown.report_face_id
    candidate.age_gap_years = shown.age_gap_years
    candidate.false_match_rate = shown.false_match_rate
    candidate.age_cell = shown.age_cell
    # The threshold the shown pair had to clear: it differs by the ages in the photos.
    candidate.threshold = shown.threshold if shown.threshold is not None else candidate.threshold
    candidate.agreeing_pairs = sum(
        1 for p in pairs if p.score >= (candidate.threshold if p.threshold is None else p.threshold)
    )
    candidate.evidence_score = evidence_score(scores=scores, threshold=candidate.threshold)
    # Stored in English (the API's field, the audit); the candidate page works the reasons
    # out again in the reader's language (docs/i18n.md).
    with translation.override(settings.LANGUAGE_CODE):
        check = compatibility_check(case=case, report=report)
    candidate.compatibility = check.notes
    hold_reasons = list(check.hold_reasons)
    target = profile_active().target_fmr
    rates = [p.false_match_rate for p in pairs if p.false_match_rate]
    face = face_ratio(
        fmr=min(rates) if rates else None,
        target_fmr=target,
        above_threshold=candidate.agreeing_pairs > 0,
    )
    assessment = evidence_assess(case=case, report=report, compatibility=check.notes, face=face)
    candidate.evidence = assessment.as_data()
    candidate.likelihood_ratio = assessment.combined
    if not hold_reasons and not evidence_enough(ratio=assessment.combined, target_fmr=target):
        hold_reasons.append(EVIDENCE_SHORT)
    candidate.held_back = bool(hold_reasons)
    candidate.hold_reasons = hold_reasons
    model_validate(
        candidate, exclude=["case", "found_report", "best_case_face", "best_report_face"]
    )
    candidate.save()


EVIDENCE_SHORT = (
    "The face and the other evidence together fall short of review: the names, places or "
    "languages given point to different children."
)


def evidence_enough(*, ratio: float, target_fmr: float) -> bool:
    """Whether a combined likelihood ratio reaches the one threshold for review."""
    return ratio >= combined_threshold(target_fmr=target_fmr) * (1 - 1e-9)


def _pair_to_show(
    *, pairs: list[CandidatePair], case: MissingCase, report: FoundReport, best: CandidatePair
) -> CandidatePair:
    # Age-progressed images are searched but never shown, unless nothing else matched.
    real = [p for p in pairs if not p.from_age_progressed] or pairs
    top = max(p.score for p in real)
    close = [p for p in real if p.score >= top - SHOWN_PAIR_MARGIN]
    found_age = (report.estimated_age_min + report.estimated_age_max) / 2

    def age_distance(pair: CandidatePair) -> float:
        age = case_photo_age(case=case, photo=pair.case_face.photo)
        return abs(age - found_age) if age is not None else float("inf")

    return min(close, key=lambda p: (age_distance(p), -p.score))


@transaction.atomic
def candidate_compatibility_refresh(*, candidate_id: int) -> Candidate | None:
    """Re-check a candidate after its case or report details changed."""
    candidate = (
        Candidate.objects.select_for_update()
        .select_related("case", "found_report")
        .filter(pk=candidate_id)
        .first()
    )
    if candidate is None:
        return None
    was = (candidate.held_back, list(candidate.hold_reasons))
    candidate_rescore(candidate=candidate, case=candidate.case, report=candidate.found_report)
    if was != (candidate.held_back, candidate.hold_reasons):
        audit_record(
            actor=None,
            action="candidate.compatibility_changed",
            obj=candidate,
            organisation=candidate.case.organisation,
            data={"held_back": candidate.held_back, "hold_reasons": candidate.hold_reasons},
        )
    return candidate
