"""Turning a stored photo into a searchable face embedding."""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone, translation

from cases.audit.trail import audit_record
from cases.models import Photo
from cases.models.records import rejection_reason_words
from cases.records.images import photo_pixels
from cases.records.storage import photo_file_read
from matching.engine import DetectedFace
from matching.models import Embedding, EmbeddingSpace, Face
from matching.spaces.active import space_active, space_building, space_engine
from matching.spaces.embeddings import FaceVector, face_embedding_store, face_vector_compute
from matching.tasks import embed_queue_length, embedding_index_task, photo_process_task
from reunite.kernel.tasks import task_send
from reunite.kernel.timings import duration_observe

logger = logging.getLogger(__name__)

# After this many claims a photo that keeps failing is rejected rather than retried forever.
MAX_PROCESSING_ATTEMPTS = 3


def reason_words(code: str) -> str:
    """Why a photo was rejected, in English: what `rejection_reason` stores (pages show
    `Photo.rejection_words`, in the reader's language)."""
    with translation.override(settings.LANGUAGE_CODE):
        return rejection_reason_words(code)


_reason = reason_words


@dataclass(frozen=True)
class _Claim:
    """A worker's claim on a photo: `photo_claim` set it `processing` and counted the try."""

    photo_id: int
    attempts: int


def _claim_held(claim: _Claim) -> Photo | None:
    """Inside a transaction: the photo, locked, if it is still as this worker claimed it.

    The optimistic check every write of the claimed flow begins with. The model runs with
    no transaction open, so meanwhile the photo may have been erased or taken back by
    another worker after a lost lease; then nothing is written.
    """
    photo = (
        Photo.objects.select_for_update()
        .filter(pk=claim.photo_id, status=Photo.Status.PROCESSING, attempts=claim.attempts)
        .first()
    )
    if photo is None:
        logger.info("Photo %s changed while it was processed; its result is dropped.", claim)
    return photo


def _photo_reject(*, claim: _Claim, code: str) -> None:
    with transaction.atomic():
        photo = _claim_held(claim)
        if photo is None:
            return
        photo.status = Photo.Status.REJECTED
        photo.rejection_code = code
        photo.rejection_reason = _reason(code)
        photo.processed_at = timezone.now()
        photo.save(update_fields=["status", "rejection_code", "rejection_reason", "processed_at"])
        audit_record(
            actor=None,
            action="photo.rejected",
            obj=photo,
            organisation=photo.organisation,
            data={"code": code},
        )


def photo_claim(*, photo_id: int, lease_seconds: int) -> bool:
    """Mark a photo `processing` if it is waiting, or if its last worker's lease ran out.

    A single conditional UPDATE, so two workers can never both claim the same photo.
    """
    now = timezone.now()
    stale = now - dt.timedelta(seconds=lease_seconds)
    claimed = (
        Photo.objects.filter(pk=photo_id)
        .filter(
            Q(status=Photo.Status.PENDING)
            | Q(status=Photo.Status.PROCESSING, processing_started_at__lt=stale)
        )
        .update(
            status=Photo.Status.PROCESSING, processing_started_at=now, attempts=F("attempts") + 1
        )
    )
    return claimed == 1


def photo_process_enqueue(*, photo_id: int) -> None:
    """Queue processing once the current transaction commits."""
    # robust: a broker that is down must not fail a request whose photo is stored; the
    # recovery sweep queues it once the broker is back.
    transaction.on_commit(
        lambda: task_send(lambda: photo_process_task.delay(photo_id)), robust=True
    )


def photo_lease_renew(*, photo_id: int) -> int:
    """Push the claim's start forward: the worker holding the photo is alive."""
    return Photo.objects.filter(pk=photo_id, status=Photo.Status.PROCESSING).update(
        processing_started_at=timezone.now()
    )


@contextmanager
def _lease_kept(photo_id: int) -> Iterator[None]:
    """Renew the lease every third of it while the work goes on.

    The lease is short (PROCESSING_LEASE_SECONDS, 30 s by default), so a photo held by a
    worker that died is taken back within it, yet a slow photo (the first one loads the
    models) is never taken from a live worker. In-process tasks (no broker) need none.
    """
    if settings.CELERY_TASK_ALWAYS_EAGER:
        yield
        return
    done = threading.Event()

    def renew() -> None:
        try:
            while not done.wait(settings.PROCESSING_LEASE_SECONDS / 3):
                photo_lease_renew(photo_id=photo_id)
        except Exception:
            logger.warning("Could not renew the lease of photo %s", photo_id, exc_info=True)
        finally:
            connection.close()  # this thread's own connection

    keeper = threading.Thread(target=renew, name=f"lease-{photo_id}", daemon=True)
    keeper.start()
    try:
        yield
    finally:
        done.set()
        keeper.join(timeout=settings.PROCESSING_LEASE_SECONDS)


def photo_process(*, photo_id: int) -> None:
    """Detect, pick and embed the child's face in one photo. Safe to run any number of times."""
    if not photo_claim(photo_id=photo_id, lease_seconds=settings.PROCESSING_LEASE_SECONDS):
        return  # already done, waiting for a person, or another worker holds it
    with _lease_kept(photo_id):
        _photo_process_claimed(photo_id=photo_id)


def _photo_process_claimed(*, photo_id: int) -> None:
    # Every model call and file read below runs with no transaction open; each write is a
    # short transaction that first checks the claim still holds (`_claim_held`).
    photo = Photo.objects.get(pk=photo_id)
    claim = _Claim(photo_id=photo.pk, attempts=photo.attempts)
    if photo.attempts > MAX_PROCESSING_ATTEMPTS:
        _photo_reject(claim=claim, code="processing_failed")
        return

    started = time.perf_counter()
    embedding_space = space_active()
    engine = space_engine(embedding_space=embedding_space)
    pixels = photo_pixels(jpeg=photo_file_read(path=photo.file))
    faces: list[Face] | None = list(photo.faces.all())
    detected: list[DetectedFace] = []
    if not faces:
        detected = sorted(engine.detect(pixels), key=lambda f: f.w * f.h, reverse=True)
        if not detected:
            _photo_reject(claim=claim, code="no_face")
            return
        faces = _faces_store(claim=claim, detected=detected)
        if faces is None:
            return
    usable = [f for f in faces if f.w >= settings.MIN_FACE_PIXELS]
    if not usable:
        _photo_reject(claim=claim, code="face_too_small")
        return
    selected = next((f for f in faces if f.is_selected), None)
    if selected is None and len(usable) > 1:
        _photo_wait_for_face_selection(claim=claim, faces=len(faces))
        return
    selected = selected or usable[0]
    # The detector's own landmarks align best; a stored box is re-aligned by the engine.
    box = detected[selected.ordinal] if detected else None

    active = face_vector_compute(
        face=selected, pixels=pixels, embedding_space=embedding_space, box=box
    )
    building = space_building()
    extra = (
        _building_vector(face=selected, pixels=pixels, embedding_space=building, box=box)
        if building is not None
        else None
    )
    if _embeddings_store(claim=claim, face=selected, active=active, building=extra):
        duration_observe(step="embedding", seconds=time.perf_counter() - started)


def _building_vector(
    *, face: Face, pixels: np.ndarray, embedding_space: EmbeddingSpace, box: DetectedFace | None
) -> FaceVector | None:
    """Embed into a space being built, so it does not miss photos that arrive meanwhile.

    A failure here must not cost the photo its place in the active space: it is logged, and
    `manage.py reembed` picks the face up again.
    """
    try:
        return face_vector_compute(
            face=face, pixels=pixels, embedding_space=embedding_space, box=box
        )
    except Exception:
        logger.exception(
            "Could not embed face %s into %s; reembed will retry.", face.pk, embedding_space.name
        )
        return None


def _embeddings_store(
    *, claim: _Claim, face: Face, active: FaceVector, building: FaceVector | None
) -> bool:
    """The one short transaction that stores what the models computed. False when the
    photo changed meanwhile and nothing was written."""
    with transaction.atomic():
        if _claim_held(claim) is None:
            return False
        if not face.is_selected:
            face.is_selected = True
            face.save(update_fields=["is_selected"])
        embedding, _ = face_embedding_store(face=face, computed=active)
        if building is not None:
            try:
                with transaction.atomic():
                    face_embedding_store(face=face, computed=building)
            except Exception:
                logger.exception(
                    "Could not store face %s into %s; reembed will retry.",
                    face.pk,
                    building.embedding_space.name,
                )
        Photo.objects.filter(pk=claim.photo_id).update(
            status=Photo.Status.READY, processed_at=timezone.now()
        )
        embedding_index_enqueue(embedding_id=embedding.pk)
    return True


def embedding_index_enqueue(*, embedding_id: int) -> None:
    transaction.on_commit(
        lambda: task_send(lambda: embedding_index_task.delay(embedding_id)), robust=True
    )


def _faces_store(*, claim: _Claim, detected: list[DetectedFace]) -> list[Face] | None:
    """Store the detected faces, or None when the photo changed while the detector ran."""
    with transaction.atomic():
        photo = _claim_held(claim)
        if photo is None:
            return None
        # Callers pass the biggest first, so the likeliest subject is face 0.
        return [
            Face.objects.create(
                photo=photo, ordinal=i, x=f.x, y=f.y, w=f.w, h=f.h, detector_score=f.score
            )
            for i, f in enumerate(detected)
        ]


def _photo_wait_for_face_selection(*, claim: _Claim, faces: int) -> None:
    with transaction.atomic():
        photo = _claim_held(claim)
        if photo is None:
            return
        Photo.objects.filter(pk=photo.pk).update(
            status=Photo.Status.NEEDS_FACE_SELECTION, processed_at=timezone.now()
        )
        audit_record(
            actor=None,
            action="photo.needs_face_selection",
            obj=photo,
            organisation=photo.organisation,
            data={"faces": faces},
        )


def photos_recover() -> int:
    """Re-queue photos whose message may have been lost: waiting, or held by a dead worker.

    Runs at worker start and on a schedule, because a broker restart can drop queued tasks.
    """
    now = timezone.now()
    grace = now - dt.timedelta(seconds=settings.PROCESSING_LEASE_SECONDS)
    # Held by a dead worker: its lease, renewed while a worker lives, ran out.
    photo_ids = list(
        Photo.objects.filter(
            status=Photo.Status.PROCESSING, processing_started_at__lt=grace
        ).values_list("pk", flat=True)
    )
    pending = list(
        Photo.objects.filter(
            status=Photo.Status.PENDING, created_at__lt=now - dt.timedelta(seconds=30)
        ).values_list("pk", flat=True)
    )
    # Waiting photos are lost only if the queue holds fewer messages than there are of them
    # (a broker restart dropped some); under a backlog they are merely waiting, and queueing
    # them again would double the queue.
    waiting = embed_queue_length()
    all_pending = Photo.objects.filter(status=Photo.Status.PENDING).count() if pending else 0
    if pending and (waiting is None or waiting < all_pending):
        photo_ids += pending
    for photo_id in photo_ids:
        photo_process_task.delay(photo_id)
    unsearched = list(
        Embedding.objects.filter(
            space=space_active().name,
            searched_at__isnull=True,
            created_at__lt=now - dt.timedelta(seconds=30),
        ).values_list("pk", flat=True)
    )
    for embedding_id in unsearched:
        embedding_index_task.delay(embedding_id)
    if photo_ids or unsearched:
        logger.info("Recovered %d photos and %d embeddings.", len(photo_ids), len(unsearched))
    return len(photo_ids) + len(unsearched)
