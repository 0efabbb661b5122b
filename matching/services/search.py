"""Adding embeddings to the index, searching the other side, and recording candidates.

Every ready photo of a case or report is searched. Each close (case photo, report photo)
pair is kept under one candidate per (case, report); the candidate's evidence score
combines all its pairs (calibration.evidence_score), and its sex, age and dates are
checked: an incompatible candidate is held back with its reasons, never dropped.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from cases.audit.trail import audit_record
from cases.models import FoundReport, MissingCase, Photo, Sex
from cases.records.ages import (
    ages_words,
    case_age_expected,
    case_age_range,
    case_photo_age,
    report_photo_age,
)
from matching.calibration import (
    candidate_threshold,
    evidence_score,
    pair_rule,
    profile_active,
    search_floor,
)
from matching.engine import ModelInfo, model_scores
from matching.generations import face_engine, generation_active
from matching.index import (
    Hit,
    index_forget_cache,
    index_rebuild,
    index_search,
    index_search_two,
    index_sides_get,
    index_snapshot_if_due,
    index_writer_lock,
)
from matching.models import Candidate, CandidatePair, Embedding, Face
from matching.rates import PairRule
from matching.services.closed_cases import case_is_closed, closed_case_match_note
from matching.services.duplicates import duplicates_record
from matching.spaces import Profile
from reunite.timings import duration_timed

logger = logging.getLogger(__name__)

OTHER_SIDE = {Photo.Side.CASE: Photo.Side.REPORT, Photo.Side.REPORT: Photo.Side.CASE}


def embedding_index_and_search(*, embedding_id: int) -> int:
    """Put one embedding in its side's index and search the other side with it.

    Returns the number of candidate pairs recorded. Running it again adds nothing new.
    Only the active generation's embeddings are searched; others wait for the switch-over.
    The same step also searches the face's own side for duplicate registrations.
    """
    embedding = Embedding.objects.select_related("face__photo").filter(pk=embedding_id).first()
    if embedding is None or embedding.face.photo.status != Photo.Status.READY:
        return 0
    if embedding.model_name != generation_active().space:
        return 0
    # Read once, before the index lock that other photos wait for; the recorders share it.
    profile = profile_active()
    floor = search_floor(profile=profile)
    with duration_timed("index_step"):
        hits, own_side_hits = embedding_index_searches(
            space=embedding.model_name,
            side=embedding.side,
            face_id=embedding.face_id,
            vector=embedding.as_array(),
            own_side=settings.DUPLICATE_SEARCH,
            floor=floor,
        )
    # Asked of the engine before the transaction opens, as every engine call is.
    models = face_engine(space=embedding.model_name).models
    recorded = _search_record(embedding=embedding, hits=hits, profile=profile, models=models)
    if settings.DUPLICATE_SEARCH:
        duplicates_record(embedding=embedding, hits=own_side_hits, profile=profile)
    return recorded


def indexes_rebuild() -> dict[str, int]:
    """Build both sides' indexes of the active space from the embedding rows (after a restore).

    Returns the faces indexed per side; a side with no embeddings yet has nothing to build.
    """
    space = generation_active().space
    built: dict[str, int] = {}
    for side in (Photo.Side.CASE, Photo.Side.REPORT):
        sample = Embedding.objects.filter(model_name=space, side=side).first()
        if sample is None:
            built[str(side)] = 0
            continue
        with index_writer_lock(space):
            built[str(side)] = index_rebuild(
                model_name=space, side=side, dim=len(sample.as_array())
            ).size
    index_forget_cache()
    return built


def embedding_index_step(*, space: str, side: str, face_id: int, vector: np.ndarray) -> list[Hit]:
    """Add one face to its side's index and return the other side's nearest, exactly scored."""
    return embedding_index_searches(space=space, side=side, face_id=face_id, vector=vector)[0]


def embedding_index_searches(
    *,
    space: str,
    side: str,
    face_id: int,
    vector: np.ndarray,
    own_side: bool = False,
    floor: float | None = None,
) -> tuple[list[Hit], list[Hit]]:
    """Add one face to its side's index; the other side's nearest and, with `own_side`, its
    own side's (itself left out: duplicate registrations), exactly scored. Hits under
    `floor` (by default the profile's search floor) may be left out.

    Constant cost in the gallery size: both indexes catch up only with rows added since
    their last use, membership is O(1), and the file is a snapshot taken now and then.
    The own-side search shares the lock and the catch-up, so it costs one more search.
    """
    other_side = OTHER_SIDE[Photo.Side(side)]
    own_hits: list[Hit] = []
    # Both callers drop hits under the floor: the index need not score them exactly.
    floor = search_floor() if floor is None else floor
    with index_writer_lock(space):
        indexes = index_sides_get(
            model_name=space, sides=(side, other_side), dim=len(vector), known={face_id: vector}
        )
        own, other = indexes[side], indexes[other_side]
        # Catching up from the database may already have added it.
        if face_id not in own:
            own.add(ids=[face_id], vectors=vector[None, :])
        k = settings.SEARCH_TOP_K
        if own_side:
            hits, own_found = index_search_two(
                model_name=space,
                vector=vector,
                first=(other, other_side, k),
                second=(own, side, k + 1),
                floor=floor,
            )
            own_hits = [hit for hit in own_found if hit.face_id != face_id]
        else:
            hits = index_search(
                index=other, model_name=space, side=other_side, vector=vector, k=k, floor=floor
            )
        index_snapshot_if_due(model_name=space, side=side)
        index_snapshot_if_due(model_name=space, side=other_side)
    return hits, own_hits


@transaction.atomic
def _search_record(
    *, embedding: Embedding, hits: list[Hit], profile: Profile, models: tuple[ModelInfo, ...]
) -> int:
    floor = search_floor(profile=profile)
    close = [hit for hit in hits if hit.score >= floor]
    vector = embedding.as_array()
    faces = Face.objects.select_related("photo").in_bulk([hit.face_id for hit in close])
    vectors = dict(
        Embedding.objects.filter(
            model_name=embedding.model_name, face_id__in=[hit.face_id for hit in close]
        ).values_list("face_id", "vector")
    )
    others = {
        face_id: np.frombuffer(bytes(raw), dtype=np.float32) for face_id, raw in vectors.items()
    }
    own_offset = float(profile.rates.offsets(vector)[0])
    recorded = above = 0
    for hit in close:
        other_face = faces.get(hit.face_id)
        if other_face is None or other_face.photo.status != Photo.Status.READY:
            continue  # erased or withdrawn since it was indexed
        if embedding.side == Photo.Side.CASE:
            case_face, report_face = embedding.face, other_face
        else:
            case_face, report_face = other_face, embedding.face
        other_vector = others.get(hit.face_id)
        other_offset = (
            float(profile.rates.offsets(other_vector)[0]) if other_vector is not None else 0.0
        )
        # The threshold depends on the ages in the two photos and on the kind of faces.
        case_age, report_age = _faces_ages(case_face=case_face, report_face=report_face)
        rule = pair_rule(
            score=hit.score,
            case_age=case_age,
            report_age=report_age,
            offset=(own_offset + other_offset) / 2,
            profile=profile,
        )
        if hit.score < rule.threshold:
            continue
        above += 1
        per_model = (
            model_scores(a=vector, b=other_vector, models=models)
            if other_vector is not None and len(models) > 1
            else {}
        )
        if candidate_pair_record(
            case_face=case_face,
            report_face=report_face,
            score=hit.score,
            rule=rule,
            model_scores=per_model,
            profile=profile,
        ):
            recorded += 1
    now = timezone.now()
    Embedding.objects.filter(pk=embedding.pk).update(indexed_at=now, searched_at=now)
    audit_record(
        actor=None,
        action="search.run",
        obj=embedding,
        organisation=embedding.face.photo.organisation,
        data={
            "side": embedding.side,
            "space": embedding.model_name,
            "compared": len(hits),
            "above_threshold": above,
            "threshold": candidate_threshold(profile=profile),
            "large_age_gap_threshold": candidate_threshold(
                age_gap_years=float("inf"), profile=profile
            ),
            "profile": _profile_name(profile=profile),
        },
    )
    return recorded


def _owners(*, case_face: Face, report_face: Face) -> tuple[MissingCase, FoundReport]:
    case, report = case_face.photo.case, report_face.photo.found_report
    assert case is not None and report is not None  # a case photo and a report photo
    return case, report


def _faces_ages(*, case_face: Face, report_face: Face) -> tuple[float | None, float]:
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
        case_age, report_age = _faces_ages(case_face=case_face, report_face=report_face)
        rule = pair_rule(score=score, case_age=case_age, report_age=report_age, profile=profile)
    threshold = rule.threshold
    with transaction.atomic():
        try:
            with transaction.atomic():
                candidate, created = Candidate.objects.get_or_create(
                    case=case,
                    found_report=report,
                    defaults={
                        "model_name": generation_active().space,
                        "threshold": threshold,
                        "profile": _profile_name(profile=profile),
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
        _candidate_rescore(candidate=candidate, case=case, report=report)
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
                "profile": candidate.profile,
                "held_back": candidate.held_back,
                "hold_reasons": candidate.hold_reasons,
            },
        )
    return True


def _profile_name(*, profile: Profile | None = None) -> str:
    if settings.CANDIDATE_THRESHOLD is not None:
        return f"override:{settings.CANDIDATE_THRESHOLD:g}"
    return (profile or profile_active()).name


# A pair within this much of the best score counts as equally good when choosing which
# photos to show: then the case photo nearest in age to the found child wins.
SHOWN_PAIR_MARGIN = 0.01


def _candidate_rescore(*, candidate: Candidate, case: MissingCase, report: FoundReport) -> None:
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
    check = compatibility_check(case=case, report=report)
    candidate.compatibility = check.notes
    candidate.held_back = bool(check.hold_reasons)
    candidate.hold_reasons = check.hold_reasons
    candidate.full_clean(exclude=["case", "found_report", "best_case_face", "best_report_face"])
    candidate.save()


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
    _candidate_rescore(candidate=candidate, case=candidate.case, report=candidate.found_report)
    if was != (candidate.held_back, candidate.hold_reasons):
        audit_record(
            actor=None,
            action="candidate.compatibility_changed",
            obj=candidate,
            organisation=candidate.case.organisation,
            data={"held_back": candidate.held_back, "hold_reasons": candidate.hold_reasons},
        )
    return candidate


# --- Metadata: ages and compatibility -----------------------------------------------------


def photo_age_gap(
    *, case: MissingCase, case_photo: Photo, report: FoundReport, report_photo: Photo
) -> float | None:
    case_age = case_photo_age(case=case, photo=case_photo)
    if case_age is None:
        return None
    return round(abs(report_photo_age(report=report, photo=report_photo) - case_age), 1)


@dataclass
class Compatibility:
    notes: dict = field(default_factory=dict)
    hold_reasons: list[str] = field(default_factory=list)


def compatibility_check(*, case: MissingCase, report: FoundReport) -> Compatibility:
    """Sex, age and dates of a case and a report, each noted; reasons to hold back listed."""
    result = Compatibility()
    known = {Sex.FEMALE, Sex.MALE}
    if case.sex in known and report.sex in known:
        result.notes["sex"] = "same" if case.sex == report.sex else "different"
        if case.sex != report.sex:
            result.hold_reasons.append(
                f"Sex differs: the case says {case.sex}, the report says {report.sex}."
            )
    else:
        result.notes["sex"] = "unknown"

    if report.found_on < case.last_seen_on:
        result.notes["dates"] = "found_before_last_seen"
        result.hold_reasons.append(
            f"The child was found on {report.found_on:%d %b %Y}, before the missing child was "
            f"last seen ({case.last_seen_on:%d %b %Y})."
        )
    else:
        result.notes["dates"] = "ok"

    low, high = case_age_expected(case=case, on=report.found_on)
    est_low, est_high = report.estimated_age_min, report.estimated_age_max + 1
    tolerance = settings.AGE_TOLERANCE_YEARS
    result.notes["age_expected"] = [round(low, 1), round(high, 1)]
    result.notes["age_estimated"] = [report.estimated_age_min, report.estimated_age_max]
    if high >= est_low and low <= est_high:
        result.notes["age"] = "compatible"
    elif high + tolerance >= est_low and low - tolerance <= est_high:
        # Age estimates of children are rough; a near miss is flagged, not held back.
        result.notes["age"] = "borderline"
    else:
        result.notes["age"] = "incompatible"
        # Whole years, as the candidate page shows them ("11", not "about 11 to 11").
        expected = ages_words(case_age_range(case=case, on=report.found_on))
        estimated = ages_words((report.estimated_age_min, report.estimated_age_max))
        result.hold_reasons.append(
            f"Age does not fit: the missing child would be {expected} when found; "
            f"the found child is estimated at {estimated}."
        )
    return result
