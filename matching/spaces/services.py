"""Changing the space matching uses: building a new one and moving every photo to it.

A model or fusion-weight change makes a new space. `space_build_start` marks it
`building`; from then on new photos are embedded into both spaces, and re-embedding tasks
fill in every stored photo, resumably. Matching keeps using the active space's index until
`space_switch`, one audited step, which refuses while any face is missing.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy

from cases.audit.trail import audit_record
from cases.models import User
from cases.records.images import photo_pixels
from cases.records.storage import photo_file_read
from matching.engine import engine_for_profile
from matching.models import Embedding, EmbeddingSpace
from matching.selectors import faces_to_embed, space_progress
from matching.spaces.active import space_active
from matching.spaces.embeddings import face_embedding_store, face_vector_compute
from matching.spaces.profiles import profile_read
from matching.tasks import embedding_index_task, faces_reembed_task
from reunite.kernel.errors import ReuniteError

logger = logging.getLogger(__name__)

# Faces per re-embedding task: long enough to amortise, short enough to resume cheaply.
REEMBED_BATCH = 50


class SpaceError(ReuniteError):
    """A space change that cannot be made now; the message says why."""

    code = "space_change_refused"
    status = 409
    title = gettext_lazy("The space cannot be changed now")


def space_build_start(*, user: User | None, profile: str) -> EmbeddingSpace:
    """Start (or resume) building the space a profile defines, and queue its re-embedding."""
    target = profile_read(name=profile)
    active = space_active()
    if target.space == active.name:
        raise SpaceError(f"{target.space} is already the active space.")
    engine = engine_for_profile(target.data)  # may read weight files: before any lock
    with transaction.atomic():
        building = (
            EmbeddingSpace.objects.select_for_update()
            .filter(status=EmbeddingSpace.Status.BUILDING)
            .first()
        )
        if building is not None and building.name != target.space:
            raise SpaceError(f"{building.name} is being built; switch to it or abandon it first.")
        embedding_space, _ = EmbeddingSpace.objects.update_or_create(
            name=target.space,
            defaults={
                "profile": profile,
                "model_version": engine.model_version,
                "status": EmbeddingSpace.Status.BUILDING,
                "started_by": user,
                "retired_at": None,
            },
        )
        audit_record(
            actor=user,
            action="generation.build_started",
            obj=embedding_space,
            data={"space": embedding_space.name, "profile": profile, "from": active.name},
        )
        transaction.on_commit(lambda: space_reembed_enqueue(space=embedding_space.name))
    return embedding_space


def space_reembed_enqueue(*, space: str) -> int:
    """Queue re-embedding tasks for every face still missing from a space. Returns faces."""
    face_ids = list(faces_to_embed(space=space).values_list("pk", flat=True))
    for start in range(0, len(face_ids), REEMBED_BATCH):
        faces_reembed_task.delay(space, face_ids[start : start + REEMBED_BATCH])
    return len(face_ids)


def faces_reembed(*, space: str, face_ids: list[int]) -> int:
    """Embed these faces into a space being built. Idempotent; returns how many were added."""
    embedding_space = EmbeddingSpace.objects.filter(
        name=space, status=EmbeddingSpace.Status.BUILDING
    ).first()
    if embedding_space is None:
        return 0  # switched, abandoned or never started: nothing to do
    added = 0
    faces = faces_to_embed(space=space).filter(pk__in=face_ids).select_related("photo")
    for face in faces:
        pixels = photo_pixels(jpeg=photo_file_read(path=face.photo.file))
        computed = face_vector_compute(
            face=face, pixels=pixels, embedding_space=embedding_space, box=None
        )
        with transaction.atomic():
            # While the model ran the build may have been abandoned, or the face erased or
            # replaced by a person's new choice: then there is nothing to store.
            building = EmbeddingSpace.objects.select_for_update().filter(
                pk=embedding_space.pk, status=EmbeddingSpace.Status.BUILDING
            )
            still_wanted = faces_to_embed(space=space).filter(pk=face.pk)
            if not building.exists() or not still_wanted.exists():
                continue
            _, created = face_embedding_store(face=face, computed=computed)
        added += created
    return added


@transaction.atomic
def space_switch(*, user: User | None, space: str) -> EmbeddingSpace:
    """Make a fully built space the one matching uses. One step, audited."""
    embedding_space = EmbeddingSpace.objects.select_for_update().filter(name=space).first()
    if embedding_space is None or embedding_space.status != EmbeddingSpace.Status.BUILDING:
        raise SpaceError(f"{space} is not being built.")
    progress = space_progress(space=space)
    if not progress.complete:
        raise SpaceError(
            f"{space} still lacks {progress.missing} of {progress.total} faces; "
            "run `manage.py reembed` until it is complete."
        )
    previous = EmbeddingSpace.objects.select_for_update().get(status=EmbeddingSpace.Status.ACTIVE)
    now = timezone.now()
    previous.status = EmbeddingSpace.Status.RETIRED
    previous.retired_at = now
    previous.save(update_fields=["status", "retired_at"])
    embedding_space.status = EmbeddingSpace.Status.ACTIVE
    embedding_space.activated_at = now
    embedding_space.activated_by = user
    embedding_space.save(update_fields=["status", "activated_at", "activated_by"])
    audit_record(
        actor=user,
        action="generation.switched",
        obj=embedding_space,
        data={"space": space, "from": previous.name, "faces": progress.embedded},
    )
    # Every face is searched again in the new space: it may find what the old one missed.
    Embedding.objects.filter(space=space).update(indexed_at=None, searched_at=None)
    transaction.on_commit(lambda: space_search_enqueue(space=space))
    return embedding_space


def space_search_enqueue(*, space: str) -> int:
    ids = list(
        Embedding.objects.filter(space=space, searched_at__isnull=True).values_list("pk", flat=True)
    )
    for embedding_id in ids:
        embedding_index_task.delay(embedding_id)
    return len(ids)


@transaction.atomic
def space_abandon(*, user: User | None, space: str) -> None:
    """Stop building a space. Its embeddings are deleted; the active space is untouched."""
    embedding_space = EmbeddingSpace.objects.select_for_update().filter(name=space).first()
    if embedding_space is None or embedding_space.status != EmbeddingSpace.Status.BUILDING:
        raise SpaceError(f"{space} is not being built.")
    deleted, _ = Embedding.objects.filter(space=space).delete()
    embedding_space.status = EmbeddingSpace.Status.RETIRED
    embedding_space.retired_at = timezone.now()
    embedding_space.save(update_fields=["status", "retired_at"])
    audit_record(
        actor=user,
        action="generation.abandoned",
        obj=embedding_space,
        data={"space": space, "embeddings_deleted": deleted},
    )
