"""A person's say on which face in a photo is the child's: choose a detected face, draw a
box around a face the detector missed, or reject the photo because the child is not in it.

The choice can be changed later while the chosen face is not part of any candidate: the
old face's embeddings leave the database and the index, and the new face is embedded.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.audit.trail import audit_record
from cases.models import Photo, User
from cases.models.records import SET_ASIDE_PREFIX, rejection_reason_words
from cases.records.images import photo_pixels
from cases.records.storage import photo_file_read
from matching.candidates.pairs import candidate_rescore
from matching.faces.erasure import face_embeddings_delete
from matching.faces.processing import photo_process_enqueue, reason_words
from matching.models import Candidate, CandidatePair, Embedding, Face
from matching.review import decisions
from matching.spaces.active import face_engine
from reunite.kernel.errors import InvalidInput

# Rejections a person may undo by choosing or drawing the child's face.
REOPENABLE_REJECTIONS = {"no_face", "child_not_outlined"}


def _photo_locked_for_choice(*, photo: Photo) -> tuple[Photo, Face | None]:
    """The photo, locked, and its currently chosen face; refuses when a choice cannot be
    made or changed now."""
    photo = Photo.objects.select_for_update().get(pk=photo.pk)
    waiting = photo.status == Photo.Status.NEEDS_FACE_SELECTION
    ready = photo.status == Photo.Status.READY
    reopenable = (
        photo.status == Photo.Status.REJECTED and photo.rejection_code in REOPENABLE_REJECTIONS
    )
    if not (waiting or ready or reopenable):
        raise InvalidInput(
            _(
                "This photo is not waiting for a face to be chosen: it is still being "
                "processed, or it was rejected for a reason a new choice cannot fix."
            )
        )
    current = photo.faces.filter(is_selected=True).first()
    if (
        current is not None
        and CandidatePair.objects.filter(Q(case_face=current) | Q(report_face=current)).exists()
    ):
        raise InvalidInput(
            _(
                "The chosen face is already part of a possible match that reviewers are "
                "looking at, so it cannot be changed. Add another photo instead."
            )
        )
    return photo, current


def _current_unselect(*, current: Face | None) -> None:
    if current is None:
        return
    face_embeddings_delete(faces=[current])
    current.is_selected = False
    current.save(update_fields=["is_selected"])


def _choice_apply(
    *,
    user: User,
    photo: Photo,
    face: Face,
    current: Face | None,
    action: str,
    extra: dict | None = None,
) -> Photo:
    _current_unselect(current=current)
    face.is_selected = True
    face.selected_by = user
    face.save(update_fields=["is_selected", "selected_by"])
    photo.status = Photo.Status.PENDING
    photo.rejection_code = ""
    photo.rejection_reason = ""
    photo.save(update_fields=["status", "rejection_code", "rejection_reason"])
    data = {"face": face.pk, **(extra or {})}
    if current is not None:
        data["previous_face"] = current.pk
    audit_record(actor=user, action=action, obj=photo, data=data)
    photo_process_enqueue(photo_id=photo.pk)
    return photo


@transaction.atomic
def photo_select_face(*, user: User, photo: Photo, face_id: int) -> Photo:
    """A person says which detected face is the child's; the photo then goes on to matching."""
    photo, current = _photo_locked_for_choice(photo=photo)
    face = photo.faces.filter(pk=face_id).first()
    if face is None:
        raise InvalidInput({"face_id": _("That face is not in this photo.")})
    if current is not None and current.pk == face.pk:
        raise InvalidInput({"face_id": _("That face is already the chosen one.")})
    if face.w < settings.MIN_FACE_PIXELS:
        raise InvalidInput({"face_id": rejection_reason_words("face_too_small")})
    return _choice_apply(
        user=user, photo=photo, face=face, current=current, action="photo.face_selected"
    )


def face_box_check(*, photo: Photo, x: int, y: int, w: int, h: int) -> None:
    """A drawn box must lie inside the photo and be big enough to compare."""
    if x < 0 or y < 0 or w <= 0 or h <= 0 or x + w > photo.width or y + h > photo.height:
        raise InvalidInput(_("The box must be inside the photo. Draw it again."))
    if min(w, h) < settings.MIN_FACE_PIXELS:
        raise InvalidInput(
            _(
                "The box is too small to compare: draw it at least %(min_px)s pixels wide "
                "and high around the child's face, or use a closer photo."
            )
            % {"min_px": settings.MIN_FACE_PIXELS}
        )


def drawn_box_face_found(*, photo: Photo, x: int, y: int, w: int, h: int) -> bool:
    """Whether a detector finds a face whose centre lies in a drawn box (looking at the box
    with a margin, all detectors). Runs the model: call it with no transaction open."""
    pixels = photo_pixels(jpeg=photo_file_read(path=photo.file))
    mx, my = w // 4, h // 4
    left, top = max(0, x - mx), max(0, y - my)
    crop = pixels[top : y + h + my, left : x + w + mx]
    for found in face_engine().detect(crop, cnn_fallback=True):
        cx, cy = left + found.x + found.w / 2, top + found.y + found.h / 2
        if x <= cx <= x + w and y <= cy <= y + h:
            return True
    return False


@transaction.atomic
def photo_face_draw(
    *,
    user: User,
    photo: Photo,
    x: int,
    y: int,
    w: int,
    h: int,
    face_found: bool = True,
    reason: str = "",
) -> Photo:
    """A person drew a box around the child's face, which no detector outlined; that box is
    embedded (the engine aligns it on landmarks it finds inside).

    `face_found` is `drawn_box_face_found`'s answer, worked out before (it runs the model).
    When no detector finds a face in the box, the person's `reason` is required; it is
    audited and shown to reviewers.
    """
    if not face_found and not reason.strip():
        raise InvalidInput(
            _(
                "No face detector finds a face in this box. If you are sure it is the "
                "child's face, say why, and save again."
            )
        )
    photo, current = _photo_locked_for_choice(photo=photo)
    face_box_check(photo=photo, x=x, y=y, w=w, h=h)
    top = photo.faces.aggregate(top=Max("ordinal"))["top"]
    # Not `top or -1`: a photo whose only face has ordinal 0 would get 0 again.
    ordinal = 0 if top is None else top + 1
    # detector_score 0: no detector found it; selected_by says who drew it.
    face = Face.objects.create(photo=photo, ordinal=ordinal, x=x, y=y, w=w, h=h, detector_score=0)
    extra = {} if face_found else {"no_face_found": True, "reason": reason.strip()[:500]}
    return _choice_apply(
        user=user, photo=photo, face=face, current=current, action="photo.face_drawn", extra=extra
    )


@transaction.atomic
def photo_reject_child_not_outlined(*, user: User, photo: Photo) -> Photo:
    """A person says the child is not among the outlined faces and will not draw one: the
    photo is rejected with that reason (and leaves matching if it was in)."""
    photo, current = _photo_locked_for_choice(photo=photo)
    _current_unselect(current=current)
    photo.status = Photo.Status.REJECTED
    photo.rejection_code = "child_not_outlined"
    photo.rejection_reason = reason_words("child_not_outlined")
    photo.processed_at = timezone.now()
    photo.save(update_fields=["status", "rejection_code", "rejection_reason", "processed_at"])
    audit_record(
        actor=user, action="photo.rejected", obj=photo, data={"code": "child_not_outlined"}
    )
    return photo


def photo_embedded_face(*, photo: Photo) -> Face | None:
    """The face that matching uses for this photo, if any."""
    return Face.objects.filter(
        photo=photo, is_selected=True, pk__in=Embedding.objects.values("face_id")
    ).first()


@transaction.atomic
def photo_set_aside(*, user: User, photo: Photo, reason: str) -> list[int]:
    """Set aside a wrong photo that is part of candidates still under review: it stops being
    compared, its pairs leave those candidates, and each is re-scored on the pairs left (or
    withdrawn when none is left). Returns the candidates it touched.

    Refused once reviewers have finished with a candidate: the in-person verification
    settles a confirmed match, not a change of evidence.
    """
    if not reason.strip():
        raise InvalidInput({"reason": _("Say why this photo is wrong.")})
    photo = Photo.objects.select_for_update().get(pk=photo.pk)
    faces = list(photo.faces.all())
    pairs = CandidatePair.objects.filter(Q(case_face__in=faces) | Q(report_face__in=faces))
    candidate_ids = sorted(set(pairs.values_list("candidate_id", flat=True)))
    candidates = list(
        Candidate.objects.select_for_update()
        .select_related("case", "found_report")
        .filter(pk__in=candidate_ids)
        .order_by("pk")
    )
    under_review = (Candidate.Status.PENDING, Candidate.Status.DISPUTED)
    decided = [c.pk for c in candidates if c.status not in under_review]
    if decided:
        raise InvalidInput(
            _(
                "Reviewers have already finished with possible match %(numbers)s, so its "
                "photos stay as they were. Record what the in-person check shows."
            )
            % {"numbers": ", ".join(f"#{pk}" for pk in decided)}
        )
    pairs.delete()
    face_embeddings_delete(faces=faces)
    photo.status = Photo.Status.REJECTED
    photo.rejection_code = "set_aside"
    photo.rejection_reason = f"{SET_ASIDE_PREFIX}{reason.strip()[:200]}"
    photo.processed_at = timezone.now()
    photo.save(update_fields=["status", "rejection_code", "rejection_reason", "processed_at"])
    audit_record(
        actor=user,
        action="photo.set_aside",
        obj=photo,
        data={"reason": reason.strip()[:500], "candidates": candidate_ids},
    )
    for candidate in candidates:
        if candidate.pairs.exists():
            candidate_rescore(
                candidate=candidate, case=candidate.case, report=candidate.found_report
            )
        else:
            # The module, not the name, is imported: decisions reaches this module through
            # cases, so importing decisions first would otherwise find it half made.
            decisions.candidate_withdraw(
                actor=None,
                candidate=candidate,
                reason=f"Its only photo pair was set aside by {user.get_username()}.",
            )
    return candidate_ids
