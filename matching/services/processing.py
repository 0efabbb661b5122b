"""Turning a stored photo into a searchable face embedding."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from cases.audit.trail import audit_record
from cases.models import Photo, User
from cases.records.images import photo_pixels
from cases.records.storage import photo_file_read
from matching.engine import DetectedFace, face_engine
from matching.models import Embedding, Face
from matching.tasks import embedding_index_task, photo_process_task

logger = logging.getLogger(__name__)

# After this many claims a photo that keeps failing is rejected rather than retried forever.
MAX_PROCESSING_ATTEMPTS = 3

REASONS = {
    "no_face": (
        "No face found: use a photo where the child's face is clearly visible, facing the "
        "camera, and at least {min_px} pixels wide."
    ),
    "face_too_small": (
        "The face is too small to compare: use a photo where the child's face is at least "
        "{min_px} pixels wide, or crop the photo closer to the face."
    ),
    "processing_failed": (
        "We could not process this photo after several tries. Upload it again, or send a "
        "different photo of the child."
    ),
}


def _reason(code: str) -> str:
    return REASONS[code].format(min_px=settings.MIN_FACE_PIXELS)


@transaction.atomic
def photo_reject(*, photo: Photo, code: str) -> None:
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
    transaction.on_commit(lambda: photo_process_task.delay(photo_id))


def photo_process(*, photo_id: int) -> None:
    """Detect, pick and embed the child's face in one photo. Safe to run any number of times."""
    if not photo_claim(photo_id=photo_id, lease_seconds=settings.PROCESSING_LEASE_SECONDS):
        return  # already done, waiting for a person, or another worker holds it
    photo = Photo.objects.get(pk=photo_id)
    if photo.attempts > MAX_PROCESSING_ATTEMPTS:
        photo_reject(photo=photo, code="processing_failed")
        return

    engine = face_engine()
    pixels = photo_pixels(jpeg=photo_file_read(path=photo.file))
    faces = list(photo.faces.all())
    if not faces:
        faces = _faces_store(photo=photo, detected=engine.detect(pixels))
        if not faces:
            photo_reject(photo=photo, code="no_face")
            return
    usable = [f for f in faces if f.w >= settings.MIN_FACE_PIXELS]
    if not usable:
        photo_reject(photo=photo, code="face_too_small")
        return
    selected = next((f for f in faces if f.is_selected), None)
    if selected is None and len(usable) > 1:
        _photo_wait_for_face_selection(photo=photo, faces=len(faces))
        return
    selected = selected or usable[0]

    box = DetectedFace(
        x=selected.x, y=selected.y, w=selected.w, h=selected.h, score=selected.detector_score
    )
    vector = engine.embed(pixels, box)
    with transaction.atomic():
        if not selected.is_selected:
            selected.is_selected = True
            selected.save(update_fields=["is_selected"])
        embedding, created = Embedding.objects.get_or_create(
            face=selected,
            model_name=engine.model_name,
            defaults={
                "side": photo.side,
                "model_version": engine.model_version,
                "vector": vector.astype("float32").tobytes(),
            },
        )
        Photo.objects.filter(pk=photo.pk).update(
            status=Photo.Status.READY, processed_at=timezone.now()
        )
        if created:
            audit_record(
                actor=None,
                action="embedding.created",
                obj=embedding,
                organisation=photo.organisation,
                data={"model": engine.model_name, "version": engine.model_version},
            )
        embedding_index_enqueue(embedding_id=embedding.pk)


def embedding_index_enqueue(*, embedding_id: int) -> None:
    transaction.on_commit(lambda: embedding_index_task.delay(embedding_id))


@transaction.atomic
def _faces_store(*, photo: Photo, detected: list[DetectedFace]) -> list[Face]:
    # Biggest first, so ordinals are stable and the likeliest subject is face 0.
    detected = sorted(detected, key=lambda f: f.w * f.h, reverse=True)
    return [
        Face.objects.create(
            photo=photo, ordinal=i, x=f.x, y=f.y, w=f.w, h=f.h, detector_score=f.score
        )
        for i, f in enumerate(detected)
    ]


@transaction.atomic
def _photo_wait_for_face_selection(*, photo: Photo, faces: int) -> None:
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


@transaction.atomic
def photo_select_face(*, user: User, photo: Photo, face_id: int) -> Photo:
    """A person says which detected face is the child's; the photo then goes on to matching."""
    photo = Photo.objects.select_for_update().get(pk=photo.pk)
    if photo.status != Photo.Status.NEEDS_FACE_SELECTION:
        raise ValidationError("This photo is not waiting for a face to be chosen.")
    face = photo.faces.filter(pk=face_id).first()
    if face is None:
        raise ValidationError({"face_id": "That face is not in this photo."})
    if face.w < settings.MIN_FACE_PIXELS:
        raise ValidationError({"face_id": _reason("face_too_small")})
    face.is_selected = True
    face.selected_by = user
    face.save(update_fields=["is_selected", "selected_by"])
    photo.status = Photo.Status.PENDING
    photo.save(update_fields=["status"])
    audit_record(actor=user, action="photo.face_selected", obj=photo, data={"face": face.pk})
    photo_process_enqueue(photo_id=photo.pk)
    return photo


def photos_recover() -> int:
    """Re-queue photos whose message may have been lost: waiting, or held by a dead worker.

    Runs at worker start and on a schedule, because a broker restart can drop queued tasks.
    """
    now = timezone.now()
    grace = now - dt.timedelta(seconds=settings.PROCESSING_LEASE_SECONDS)
    photo_ids = list(
        Photo.objects.filter(
            status=Photo.Status.PENDING, created_at__lt=now - dt.timedelta(seconds=30)
        )
        .values_list("pk", flat=True)
        .union(
            Photo.objects.filter(
                status=Photo.Status.PROCESSING, processing_started_at__lt=grace
            ).values_list("pk", flat=True)
        )
    )
    for photo_id in photo_ids:
        photo_process_task.delay(photo_id)
    unsearched = list(
        Embedding.objects.filter(
            searched_at__isnull=True, created_at__lt=now - dt.timedelta(seconds=30)
        ).values_list("pk", flat=True)
    )
    for embedding_id in unsearched:
        embedding_index_task.delay(embedding_id)
    if photo_ids or unsearched:
        logger.info("Recovered %d photos and %d embeddings.", len(photo_ids), len(unsearched))
    return len(photo_ids) + len(unsearched)
