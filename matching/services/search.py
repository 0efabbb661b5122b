"""Adding embeddings to the index, searching the other side, and recording candidates."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone

from cases.audit import audit_record
from cases.models import FoundReport, MissingCase, Photo
from matching.index import Hit, index_get, index_writer_lock
from matching.models import Candidate, CandidatePair, Embedding, Face

logger = logging.getLogger(__name__)

OTHER_SIDE = {Photo.Side.CASE: Photo.Side.REPORT, Photo.Side.REPORT: Photo.Side.CASE}


def embedding_index_and_search(*, embedding_id: int) -> int:
    """Put one embedding in its side's index and search the other side with it.

    Returns the number of candidate pairs recorded. Running it again adds nothing new.
    """
    embedding = Embedding.objects.select_related("face__photo").filter(pk=embedding_id).first()
    if embedding is None or embedding.face.photo.status != Photo.Status.READY:
        return 0
    vector = embedding.as_array()
    with index_writer_lock(embedding.model_name):
        own = index_get(model_name=embedding.model_name, side=embedding.side, dim=len(vector))
        if embedding.indexed_at is None or embedding.face_id not in own.ids():
            own.remove(ids=[embedding.face_id])
            own.add(ids=[embedding.face_id], vectors=vector[None, :])
            own.save()
        other = index_get(
            model_name=embedding.model_name, side=OTHER_SIDE[embedding.side], dim=len(vector)
        )
        hits = other.search(vector=vector, k=settings.SEARCH_TOP_K)
    return _search_record(embedding=embedding, hits=hits)


@transaction.atomic
def _search_record(*, embedding: Embedding, hits: list[Hit]) -> int:
    threshold = settings.CANDIDATE_THRESHOLD
    close = [hit for hit in hits if hit.score >= threshold]
    faces = Face.objects.select_related("photo").in_bulk([hit.face_id for hit in close])
    recorded = 0
    for hit in close:
        other_face = faces.get(hit.face_id)
        if other_face is None or other_face.photo.status != Photo.Status.READY:
            continue  # erased or withdrawn since it was indexed
        if embedding.side == Photo.Side.CASE:
            case_face, report_face = embedding.face, other_face
        else:
            case_face, report_face = other_face, embedding.face
        if candidate_pair_record(case_face=case_face, report_face=report_face, score=hit.score):
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
            "compared": len(hits),
            "above_threshold": len(close),
            "threshold": threshold,
        },
    )
    return recorded


def candidate_pair_record(*, case_face: Face, report_face: Face, score: float) -> bool:
    """Record one close pair under its (case, report) candidate. False if already recorded."""
    case = MissingCase.objects.get(pk=case_face.photo.case_id)
    report = FoundReport.objects.get(pk=report_face.photo.found_report_id)
    if report.status != FoundReport.Status.ACTIVE:
        return False
    with transaction.atomic():
        try:
            with transaction.atomic():
                candidate, created = Candidate.objects.get_or_create(
                    case=case,
                    found_report=report,
                    defaults={
                        "model_name": settings.FACE_MODEL,
                        "threshold": settings.CANDIDATE_THRESHOLD,
                        "best_score": score,
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
            defaults={"candidate": candidate, "score": score},
        )
        if not pair_created:
            return False
        best = candidate.pairs.order_by("-score").first()
        assert best is not None
        candidate.best_score = best.score
        candidate.best_case_face_id = best.case_face_id
        candidate.best_report_face_id = best.report_face_id
        candidate.agreeing_pairs = candidate.pairs.aggregate(
            n=Count("pk", filter=Q(score__gte=candidate.threshold))
        )["n"]
        candidate.save()
        audit_record(
            actor=None,
            action="candidate.created" if created else "candidate.updated",
            obj=candidate,
            organisation=case.organisation,
            data={"case": case.reference, "report": report.reference, "score": round(score, 4)},
        )
    return True
