"""Reads for matching: embeddings for the index, and candidates for reviewers."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.http import Http404

from cases.access.permissions import Action, action_require, user_can
from cases.models import FoundReport, MissingCase, Photo, User
from matching.models import Candidate, Embedding, EmbeddingGeneration, Face


def _live_embeddings(*, model_name: str, side: str) -> QuerySet[Embedding]:
    """Embeddings that may be searched: selected faces of ready photos of live records."""
    return Embedding.objects.filter(
        model_name=model_name,
        side=side,
        face__is_selected=True,
        face__photo__status=Photo.Status.READY,
    ).exclude(face__photo__found_report__status=FoundReport.Status.WITHDRAWN)


def embedding_face_ids(*, model_name: str, side: str) -> set[int]:
    return set(_live_embeddings(model_name=model_name, side=side).values_list("face_id", flat=True))


def embedding_vectors(
    *, model_name: str, side: str, face_ids: Iterable[int] | None = None
) -> Iterator[tuple[int, np.ndarray]]:
    rows = _live_embeddings(model_name=model_name, side=side)
    if face_ids is not None:
        rows = rows.filter(face_id__in=list(face_ids))
    for face_id, vector in rows.values_list("face_id", "vector").iterator(chunk_size=5000):
        yield face_id, np.frombuffer(bytes(vector), dtype=np.float32)


def candidate_list(
    *, user: User, status: str | None = None, held_back: bool | None = False
) -> QuerySet[Candidate]:
    """The review queue: best evidence first, then oldest.

    By default only candidates whose details are compatible; `held_back=True` lists the
    ones held back for incompatible sex, age or dates (each with its reasons), and
    `held_back=None` lists both. A reviewer never sees candidates that involve their own
    organisation.
    """
    action_require(user=user, action=Action.CANDIDATE_REVIEW)
    queryset = Candidate.objects.select_related("case", "found_report").order_by(
        "-evidence_score", "-best_score", "created_at"
    )
    if user.organisation_id is not None:
        queryset = queryset.exclude(
            Q(case__organisation_id=user.organisation_id)
            | Q(found_report__organisation_id=user.organisation_id)
        )
    if status:
        queryset = queryset.filter(status=status)
    if held_back is not None:
        queryset = queryset.filter(held_back=held_back)
    return queryset


def candidate_get(*, user: User, candidate_id: int) -> Candidate:
    try:
        return candidate_list(user=user, held_back=None).get(pk=candidate_id)
    except (Candidate.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such candidate.") from exc


def candidates_for_case(*, case: MissingCase) -> QuerySet[Candidate]:
    return case.candidates.order_by("-evidence_score", "-best_score")


def gallery_size(*, model_name: str, side: str) -> int:
    """How many faces one search on `side` compares against (for expected false candidates)."""
    return _live_embeddings(model_name=model_name, side=side).count()


def photo_viewable_by_reviewer(*, user: User, photo: Photo) -> bool:
    """Reviewers see a photo only while it is part of a candidate they may review."""
    if not user_can(user, Action.CANDIDATE_REVIEW):
        return False
    queue = candidate_list(user=user, held_back=None)
    if photo.side == Photo.Side.CASE:
        return queue.filter(case_id=photo.case_id).exists()
    return queue.filter(found_report_id=photo.found_report_id).exists()


# --- Embedding generations -----------------------------------------------------------------


def faces_to_embed(*, space: str) -> QuerySet[Face]:
    """Faces matching would search that have no embedding in this space yet."""
    return (
        Face.objects.filter(is_selected=True, photo__status=Photo.Status.READY)
        .exclude(photo__found_report__status=FoundReport.Status.WITHDRAWN)
        .exclude(embeddings__model_name=space)
        .order_by("pk")
    )


@dataclass(frozen=True)
class GenerationProgress:
    space: str
    status: str
    embedded: int
    missing: int

    @property
    def total(self) -> int:
        return self.embedded + self.missing

    @property
    def complete(self) -> bool:
        return self.missing == 0


def generation_progress(*, space: str) -> GenerationProgress:
    generation = EmbeddingGeneration.objects.get(space=space)
    embedded = (
        Embedding.objects.filter(
            model_name=space, face__is_selected=True, face__photo__status=Photo.Status.READY
        )
        .exclude(face__photo__found_report__status=FoundReport.Status.WITHDRAWN)
        .count()
    )
    return GenerationProgress(
        space=space,
        status=generation.status,
        embedded=embedded,
        missing=faces_to_embed(space=space).count(),
    )


# --- The face index's log ------------------------------------------------------------------


@contextmanager
def _bulk_read() -> Iterator[None]:
    """A transaction in which PostgreSQL plans server-side cursors for reading every row.

    By default it plans them to return the first 10% fast (nested loops), which made a
    full read of a million embeddings four times slower.
    """
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL cursor_tuple_fraction = 1.0")
        yield


def embedding_vector_batches(
    *, model_name: str, side: str, face_ids: Iterable[int] | None = None, size: int = 20_000
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """One side's searchable (face ids, vectors) in batches: a full rebuild's reads."""
    rows = _live_embeddings(model_name=model_name, side=side)
    if face_ids is not None:
        rows = rows.filter(face_id__in=list(face_ids))
    ids: list[int] = []
    blobs: list[bytes] = []
    # One buffer a batch, not one array a row: the rows' bytes are the vectors already.
    with _bulk_read():
        for face_id, vector in rows.values_list("face_id", "vector").iterator(chunk_size=size):
            ids.append(face_id)
            blobs.append(bytes(vector))
            if len(ids) == size:
                yield _vector_batch(ids, blobs)
                ids, blobs = [], []
    if ids:
        yield _vector_batch(ids, blobs)


def _vector_batch(ids: list[int], blobs: list[bytes]) -> tuple[np.ndarray, np.ndarray]:
    vectors = np.frombuffer(b"".join(blobs), dtype=np.float32).reshape(len(ids), -1)
    return np.asarray(ids, dtype=np.int64), vectors


def embedding_live_face_ids(*, model_name: str, side: str) -> np.ndarray:
    """Face ids of one side's searchable embeddings, as int64 (a full reconcile's reads)."""
    ids = _live_embeddings(model_name=model_name, side=side).values_list("face_id", flat=True)
    with _bulk_read():
        return np.fromiter(ids.iterator(chunk_size=50_000), dtype=np.int64)


def embedding_log_since(
    *, after_pk: int, also: Iterable[int] = ()
) -> list[tuple[int, str, str, int]]:
    """(pk, model_name, side, face_id) of every embedding row after `after_pk`, and `also`."""
    rows = Embedding.objects.filter(pk__gt=after_pk)
    also = list(also)
    if also:
        rows = rows.union(Embedding.objects.filter(pk__in=also))
    return sorted(rows.values_list("pk", "model_name", "side", "face_id"))


def embedding_live_among(*, model_name: str, side: str, face_ids: Iterable[int]) -> set[int]:
    """Which of these faces are searchable on this side."""
    rows = _live_embeddings(model_name=model_name, side=side).filter(face_id__in=list(face_ids))
    return set(rows.values_list("face_id", flat=True))


def embedding_last_pk() -> int:
    last = Embedding.objects.order_by("-pk").values_list("pk", flat=True).first()
    return int(last or 0)


def embedding_vectors_of(
    *, model_name: str, side: str, embedding_ids: Iterable[int] = (), face_ids: Iterable[int] = ()
) -> dict[int, np.ndarray]:
    """Stored vectors by face id, of these embedding rows and faces (a few at a time).

    Not filtered to searchable faces: callers check the faces they keep (an index lookup on
    one table, however large it grows).
    """
    rows = Embedding.objects.filter(model_name=model_name, side=side)
    found: dict[int, np.ndarray] = {}
    for lookup, values in (("pk__in", list(embedding_ids)), ("face_id__in", list(face_ids))):
        if values:
            for face_id, vector in rows.filter(**{lookup: values}).values_list("face_id", "vector"):
                found[face_id] = np.frombuffer(bytes(vector), dtype=np.float32)
    return found


def candidate_next(*, user: User, after: Candidate) -> Candidate | None:
    """The next candidate in the queue this reviewer can still decide: waiting, details
    compatible, not decided by them, and neither side filed or uploaded by them."""
    return (
        candidate_list(user=user, status=Candidate.Status.PENDING)
        .exclude(pk=after.pk)
        .exclude(decisions__reviewer=user)
        .exclude(
            Q(case__created_by=user)
            | Q(found_report__created_by=user)
            | Q(case__photos__uploaded_by=user)
            | Q(found_report__photos__uploaded_by=user)
        )
        .distinct()
        .first()
    )
