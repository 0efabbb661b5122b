"""Searching with a new embedding and recording what it finds.

Every ready photo of a case or report is searched. Each close (case photo, report photo)
pair is kept under one candidate per (case, report) (candidates/pairs.py); the same step
records close faces of other records on the face's own side (candidates/duplicates.py).
"""

from __future__ import annotations

import numpy as np
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from cases.audit.trail import audit_record
from cases.models import Photo
from matching.candidates.duplicates import duplicates_record
from matching.candidates.pairs import (
    candidate_pair_record,
    faces_ages,
    pair_carried_by_evidence,
    profile_name,
)
from matching.candidates.reach import evidence_hits
from matching.engine import ModelInfo, model_scores
from matching.index.queries import embedding_index_searches
from matching.index.store import Hit
from matching.models import Embedding, Face
from matching.spaces.active import face_engine, space_active
from matching.spaces.calibration import (
    candidate_threshold,
    evidence_floor,
    pair_rule,
    profile_active,
)
from matching.spaces.profiles import Profile
from reunite.kernel.timings import duration_timed


def embedding_index_and_search(*, embedding_id: int) -> int:
    """Put one embedding in its side's index and search the other side with it.

    Returns the number of candidate pairs recorded. Running it again adds nothing new.
    Only the active space's embeddings are searched; others wait for the switch-over.
    The same step also searches the face's own side for duplicate registrations.
    """
    embedding = Embedding.objects.select_related("face__photo").filter(pk=embedding_id).first()
    if embedding is None or embedding.face.photo.status != Photo.Status.READY:
        return 0
    if embedding.space != space_active().name:
        return 0
    # Read once, before the index lock that other photos wait for; the recorders share it.
    profile = profile_active()
    # Down to the evidence floor: a weak face may still be carried by the other evidence.
    # Duplicates keep their own floor (duplicates_record drops the hits under it).
    floor = evidence_floor(profile=profile)
    with duration_timed("index_step"):
        hits, own_side_hits = embedding_index_searches(
            space=embedding.space,
            side=embedding.side,
            face_id=embedding.face_id,
            vector=embedding.as_array(),
            own_side=settings.DUPLICATE_SEARCH,
            floor=floor,
        )
    # Beyond the nearest faces: records the names point to (candidates/reach.py).
    reached = evidence_hits(embedding=embedding, known={hit.face_id for hit in hits}, floor=floor)
    # Asked of the engine before the transaction opens, as every engine call is.
    models = face_engine(space=embedding.space).models
    recorded = _search_record(
        embedding=embedding, hits=hits, reached=reached, profile=profile, models=models
    )
    if settings.DUPLICATE_SEARCH:
        duplicates_record(embedding=embedding, hits=own_side_hits, profile=profile)
    return recorded


@transaction.atomic
def _search_record(
    *,
    embedding: Embedding,
    hits: list[Hit],
    reached: list[Hit],
    profile: Profile,
    models: tuple[ModelInfo, ...],
) -> int:
    floor = evidence_floor(profile=profile)
    close = [hit for hit in hits + reached if hit.score >= floor]
    vector = embedding.as_array()
    faces = Face.objects.select_related("photo").in_bulk([hit.face_id for hit in close])
    vectors = dict(
        Embedding.objects.filter(
            space=embedding.space, face_id__in=[hit.face_id for hit in close]
        ).values_list("face_id", "vector")
    )
    others = {
        face_id: np.frombuffer(bytes(raw), dtype=np.float32) for face_id, raw in vectors.items()
    }
    recorded = above = carried = 0
    for hit in close:
        other_face = faces.get(hit.face_id)
        if other_face is None or other_face.photo.status != Photo.Status.READY:
            continue  # erased or withdrawn since it was indexed
        if embedding.side == Photo.Side.CASE:
            case_face, report_face = embedding.face, other_face
        else:
            case_face, report_face = other_face, embedding.face
        other_vector = others.get(hit.face_id)
        # The threshold depends on the ages in the two photos and on the kind of faces.
        case_age, report_age = faces_ages(case_face=case_face, report_face=report_face)
        rule = pair_rule(
            score=hit.score,
            case_age=case_age,
            report_age=report_age,
            offset=profile.rates.pair_offset(vector, other_vector),
            profile=profile,
        )
        if hit.score < rule.threshold:
            # A weak face is still a candidate when the other evidence carries it.
            if not pair_carried_by_evidence(
                case_face=case_face, report_face=report_face, rule=rule, profile=profile
            ):
                continue
            carried += 1
        else:
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
            "space": embedding.space,
            "compared": len(hits),
            "reached_by_other_evidence": len(reached),
            "above_threshold": above,
            "carried_by_other_evidence": carried,
            "threshold": candidate_threshold(profile=profile),
            "large_age_gap_threshold": candidate_threshold(
                age_gap_years=float("inf"), profile=profile
            ),
            "profile": profile_name(profile=profile),
        },
    )
    return recorded
