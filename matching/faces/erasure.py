"""Erasing matching's part of a child's biometric data: candidates, duplicate links, faces,
embeddings and FAISS entries. The owner's photos themselves are deleted by cases (cases/erasure.py).
"""

from __future__ import annotations

from collections import defaultdict
from functools import partial
from typing import Any

from django.db import transaction
from django.db.models import Count, Q

from cases.models import FoundReport, MissingCase, Photo
from matching.models import Candidate, CandidatePair, Duplicate, Embedding, Face, ReviewDecision
from matching.review.outcomes import outcome_changed
from matching.tasks import index_faces_remove_task


def _faces_unindex_enqueue(groups: dict[tuple[str, str], list[int]]) -> None:
    for (space, side), face_ids in groups.items():
        # partial binds this iteration's values; on_commit runs it later.
        transaction.on_commit(partial(index_faces_remove_task.delay, space, side, face_ids))


def matching_data_delete(
    *, owner: MissingCase | FoundReport, photos: list[Photo]
) -> dict[str, Any]:
    """Delete the owner's candidates and count what goes with its photos; queue the FAISS
    removals on commit. Runs inside the caller's transaction, before the photos are deleted
    (faces and embeddings then cascade). Returns counts for the audit row.
    """
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    embeddings = Embedding.objects.filter(face__photo__in=photos).values_list(
        "space", "side", "face_id"
    )
    for space, side, face_id in embeddings:
        groups[(space, side)].append(face_id)

    # Candidates first: they hold PROTECT links to the faces (pairs and decisions cascade).
    candidates = owner.candidates.all()
    by_status = dict(
        candidates.order_by().values("status").annotate(n=Count("pk")).values_list("status", "n")
    )
    decisions = ReviewDecision.objects.filter(candidate__in=candidates).count()
    report_ids = sorted(set(candidates.values_list("found_report_id", flat=True)))
    candidates.delete()
    # Each report loses these candidates: its organisation may need telling.
    for report_id in report_ids:
        outcome_changed(report_id=report_id)
    # Duplicate links go too: the other record's page must not point at erased data.
    if isinstance(owner, MissingCase):
        duplicates = Duplicate.objects.filter(Q(case_a=owner) | Q(case_b=owner))
    else:
        duplicates = Duplicate.objects.filter(Q(report_a=owner) | Q(report_b=owner))
    duplicates_deleted, _ = duplicates.delete()
    faces = Face.objects.filter(photo__in=photos).count()
    _faces_unindex_enqueue(dict(groups))
    return {
        "faces": faces,
        "embeddings": sum(len(ids) for ids in groups.values()),
        "candidates": by_status,
        "review_decisions": decisions,
        "duplicates": duplicates_deleted,
    }


def face_embeddings_delete(*, faces: list[Face]) -> int:
    """Delete these faces' embeddings (a person changed the chosen face) and queue their
    FAISS removals on commit. Runs inside the caller's transaction."""
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    rows = Embedding.objects.filter(face__in=faces)
    for space, side, face_id in rows.values_list("space", "side", "face_id"):
        groups[(space, side)].append(face_id)
    deleted, _ = rows.delete()
    _faces_unindex_enqueue(dict(groups))
    return deleted


def photo_candidate_ids(*, photo: Photo) -> list[int]:
    """The candidates any of this photo's faces is part of (by a pair or as best face)."""
    faces = Face.objects.filter(photo=photo)
    via_pairs = CandidatePair.objects.filter(
        Q(case_face__in=faces) | Q(report_face__in=faces)
    ).values_list("candidate_id", flat=True)
    via_best = Candidate.objects.filter(
        Q(best_case_face__in=faces) | Q(best_report_face__in=faces)
    ).values_list("pk", flat=True)
    return sorted(set(via_pairs) | set(via_best))


def photo_matching_data_delete(*, photo: Photo) -> dict[str, int]:
    """Delete one photo's embeddings and queue its FAISS removals on commit; its faces go
    with the photo. Runs inside the caller's transaction, once no candidate holds it."""
    faces = list(Face.objects.filter(photo=photo))
    return {"faces": len(faces), "embeddings": face_embeddings_delete(faces=faces)}
