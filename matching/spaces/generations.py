"""Embedding generations: which space matching uses, and moving every photo to a new one.

A model or fusion-weight change makes a new space. `generation_build_start` marks it
`building`; from then on new photos are embedded into both spaces, and re-embedding tasks
fill in every stored photo, resumably. Matching keeps using the active space's index until
`generation_switch`, one audited step, which refuses while any face is missing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
from django.db import transaction
from django.utils import timezone

from cases.audit.trail import audit_record
from cases.models import User
from cases.records.images import photo_pixels
from cases.records.storage import photo_file_read
from matching.engine import DetectedFace, engine_for_profile
from matching.models import Embedding, EmbeddingGeneration, Face
from matching.selectors import faces_to_embed, generation_progress
from matching.spaces.active import generation_active, generation_engine
from matching.spaces.profiles import profile_read
from matching.tasks import embedding_index_task, faces_reembed_task

logger = logging.getLogger(__name__)

# Faces per re-embedding task: long enough to amortise, short enough to resume cheaply.
REEMBED_BATCH = 50


class GenerationError(Exception):
    """A generation change that cannot be made now; the message says why."""


@dataclass(frozen=True)
class FaceVector:
    """One face's vector in one generation's space, computed and not yet stored."""

    generation: EmbeddingGeneration
    vector: np.ndarray
    model_version: str


def face_vector_compute(
    *, face: Face, pixels: np.ndarray, generation: EmbeddingGeneration, box: DetectedFace | None
) -> FaceVector:
    """Run the generation's model on one face. No database write: call it with no
    transaction open, so no lock is held while the model runs."""
    engine = generation_engine(generation=generation)
    if box is None:
        box = DetectedFace(x=face.x, y=face.y, w=face.w, h=face.h, score=face.detector_score)
    vector = engine.embed(pixels, box)
    return FaceVector(generation=generation, vector=vector, model_version=engine.model_version)


def face_embedding_store(*, face: Face, computed: FaceVector) -> tuple[Embedding, bool]:
    """Store one computed vector, inside the caller's short transaction. Returns
    (embedding, created)."""
    embedding, created = Embedding.objects.get_or_create(
        face=face,
        model_name=computed.generation.space,
        defaults={
            "side": face.photo.side,
            "model_version": computed.model_version,
            "vector": computed.vector.astype("float32").tobytes(),
        },
    )
    if created:
        audit_record(
            actor=None,
            action="embedding.created",
            obj=embedding,
            organisation=face.photo.organisation,
            data={"model": computed.generation.space, "version": computed.model_version},
        )
    return embedding, created


def generation_build_start(*, user: User | None, profile: str) -> EmbeddingGeneration:
    """Start (or resume) building the space a profile defines, and queue its re-embedding."""
    target = profile_read(name=profile)
    active = generation_active()
    if target.model_name == active.space:
        raise GenerationError(f"{target.model_name} is already the active space.")
    engine = engine_for_profile(target.data)  # may read weight files: before any lock
    with transaction.atomic():
        building = (
            EmbeddingGeneration.objects.select_for_update()
            .filter(status=EmbeddingGeneration.Status.BUILDING)
            .first()
        )
        if building is not None and building.space != target.model_name:
            raise GenerationError(
                f"{building.space} is being built; switch to it or abandon it first."
            )
        generation, _ = EmbeddingGeneration.objects.update_or_create(
            space=target.model_name,
            defaults={
                "profile": profile,
                "model_version": engine.model_version,
                "status": EmbeddingGeneration.Status.BUILDING,
                "started_by": user,
                "retired_at": None,
            },
        )
        audit_record(
            actor=user,
            action="generation.build_started",
            obj=generation,
            data={"space": generation.space, "profile": profile, "from": active.space},
        )
        transaction.on_commit(lambda: generation_reembed_enqueue(space=generation.space))
    return generation


def generation_reembed_enqueue(*, space: str) -> int:
    """Queue re-embedding tasks for every face still missing from a space. Returns faces."""
    face_ids = list(faces_to_embed(space=space).values_list("pk", flat=True))
    for start in range(0, len(face_ids), REEMBED_BATCH):
        faces_reembed_task.delay(space, face_ids[start : start + REEMBED_BATCH])
    return len(face_ids)


def faces_reembed(*, space: str, face_ids: list[int]) -> int:
    """Embed these faces into a space being built. Idempotent; returns how many were added."""
    generation = EmbeddingGeneration.objects.filter(
        space=space, status=EmbeddingGeneration.Status.BUILDING
    ).first()
    if generation is None:
        return 0  # switched, abandoned or never started: nothing to do
    added = 0
    faces = faces_to_embed(space=space).filter(pk__in=face_ids).select_related("photo")
    for face in faces:
        pixels = photo_pixels(jpeg=photo_file_read(path=face.photo.file))
        computed = face_vector_compute(face=face, pixels=pixels, generation=generation, box=None)
        with transaction.atomic():
            # While the model ran the build may have been abandoned, or the face erased or
            # replaced by a person's new choice: then there is nothing to store.
            building = EmbeddingGeneration.objects.select_for_update().filter(
                pk=generation.pk, status=EmbeddingGeneration.Status.BUILDING
            )
            still_wanted = faces_to_embed(space=space).filter(pk=face.pk)
            if not building.exists() or not still_wanted.exists():
                continue
            _, created = face_embedding_store(face=face, computed=computed)
        added += created
    return added


@transaction.atomic
def generation_switch(*, user: User | None, space: str) -> EmbeddingGeneration:
    """Make a fully built space the one matching uses. One step, audited."""
    generation = EmbeddingGeneration.objects.select_for_update().filter(space=space).first()
    if generation is None or generation.status != EmbeddingGeneration.Status.BUILDING:
        raise GenerationError(f"{space} is not being built.")
    progress = generation_progress(space=space)
    if not progress.complete:
        raise GenerationError(
            f"{space} still lacks {progress.missing} of {progress.total} faces; "
            "run `manage.py reembed` until it is complete."
        )
    previous = EmbeddingGeneration.objects.select_for_update().get(
        status=EmbeddingGeneration.Status.ACTIVE
    )
    now = timezone.now()
    previous.status = EmbeddingGeneration.Status.RETIRED
    previous.retired_at = now
    previous.save(update_fields=["status", "retired_at"])
    generation.status = EmbeddingGeneration.Status.ACTIVE
    generation.activated_at = now
    generation.activated_by = user
    generation.save(update_fields=["status", "activated_at", "activated_by"])
    audit_record(
        actor=user,
        action="generation.switched",
        obj=generation,
        data={"space": space, "from": previous.space, "faces": progress.embedded},
    )
    # Every face is searched again in the new space: it may find what the old one missed.
    Embedding.objects.filter(model_name=space).update(indexed_at=None, searched_at=None)
    transaction.on_commit(lambda: generation_search_enqueue(space=space))
    return generation


def generation_search_enqueue(*, space: str) -> int:
    ids = list(
        Embedding.objects.filter(model_name=space, searched_at__isnull=True).values_list(
            "pk", flat=True
        )
    )
    for embedding_id in ids:
        embedding_index_task.delay(embedding_id)
    return len(ids)


@transaction.atomic
def generation_abandon(*, user: User | None, space: str) -> None:
    """Stop building a space. Its embeddings are deleted; the active space is untouched."""
    generation = EmbeddingGeneration.objects.select_for_update().filter(space=space).first()
    if generation is None or generation.status != EmbeddingGeneration.Status.BUILDING:
        raise GenerationError(f"{space} is not being built.")
    deleted, _ = Embedding.objects.filter(model_name=space).delete()
    generation.status = EmbeddingGeneration.Status.RETIRED
    generation.retired_at = timezone.now()
    generation.save(update_fields=["status", "retired_at"])
    audit_record(
        actor=user,
        action="generation.abandoned",
        obj=generation,
        data={"space": space, "embeddings_deleted": deleted},
    )
