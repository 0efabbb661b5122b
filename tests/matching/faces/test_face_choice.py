"""A person's say on the child's face: choose, change later, draw a box, or set aside."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from cases.models import AuditEvent, Photo
from cases.records.services import PhotoUpload, case_create
from matching.candidates.pairs import candidate_pair_record
from matching.faces.face_choice import (
    photo_face_draw,
    photo_reject_child_not_outlined,
    photo_select_face,
)
from matching.models import Embedding
from matching.spaces.active import face_engine
from reunite.kernel.errors import InvalidInput as ValidationError
from tests.support.data import CASE_FIELDS
from tests.support.faces import ready_photo_with_embedding

pytestmark = pytest.mark.django_db(transaction=True)


def _group(caseworker, group_photo) -> Photo:
    case = case_create(
        user=caseworker, photos=[PhotoUpload(data=group_photo.read_bytes())], **CASE_FIELDS
    )
    photo = case.photos.get()
    assert photo.status == Photo.Status.NEEDS_FACE_SELECTION
    return photo


def _embedded(photo: Photo) -> list[int]:
    return list(Embedding.objects.filter(face__photo=photo).values_list("face_id", flat=True))


def test_the_choice_can_be_changed_later_and_the_new_face_is_embedded(caseworker, group_photo):
    photo = _group(caseworker, group_photo)
    first, second = photo.faces.order_by("ordinal")
    photo_select_face(user=caseworker, photo=photo, face_id=first.pk)
    photo.refresh_from_db()
    assert photo.status == Photo.Status.READY and _embedded(photo) == [first.pk]

    photo_select_face(user=caseworker, photo=photo, face_id=second.pk)
    photo.refresh_from_db()
    assert photo.status == Photo.Status.READY
    assert _embedded(photo) == [second.pk]  # the old face left matching
    assert list(photo.faces.filter(is_selected=True)) == [second]
    event = AuditEvent.objects.filter(action="photo.face_selected").order_by("-id").first()
    assert event.data == {"face": second.pk, "previous_face": first.pk}


def test_a_face_already_in_a_candidate_cannot_be_changed(caseworker, partner, group_photo):
    photo = _group(caseworker, group_photo)
    first, second = photo.faces.order_by("ordinal")
    photo_select_face(user=caseworker, photo=photo, face_id=first.pk)
    report_face = ready_photo_with_embedding(user=partner, seed=9, side="report")
    first.refresh_from_db()
    candidate_pair_record(case_face=first, report_face=report_face, score=0.99)
    with pytest.raises(ValidationError, match="already part of a possible match"):
        photo_select_face(user=caseworker, photo=photo, face_id=second.pk)
    assert _embedded(photo) == [first.pk]


def test_a_drawn_box_is_embedded(caseworker, group_photo):
    photo = _group(caseworker, group_photo)
    photo_face_draw(user=caseworker, photo=photo, x=5, y=5, w=120, h=120)
    photo.refresh_from_db()
    drawn = photo.faces.get(is_selected=True)
    assert (drawn.x, drawn.y, drawn.w, drawn.h, drawn.ordinal) == (5, 5, 120, 120, 2)
    assert drawn.selected_by == caseworker and drawn.detector_score == 0
    assert photo.status == Photo.Status.READY and _embedded(photo) == [drawn.pk]
    assert AuditEvent.objects.filter(action="photo.face_drawn").exists()


@pytest.mark.parametrize(
    ("box", "words"),
    [
        ({"x": 400, "y": 0, "w": 200, "h": 100}, "inside the photo"),
        ({"x": 0, "y": 0, "w": 20, "h": 20}, "too small"),
    ],
)
def test_a_drawn_box_outside_the_photo_or_too_small_is_refused(caseworker, group_photo, box, words):
    photo = _group(caseworker, group_photo)
    with pytest.raises(ValidationError, match=words):
        photo_face_draw(user=caseworker, photo=photo, **box)
    assert photo.faces.count() == 2


def test_the_child_not_outlined_sets_the_photo_aside_and_can_be_undone(caseworker, group_photo):
    photo = _group(caseworker, group_photo)
    photo_reject_child_not_outlined(user=caseworker, photo=photo)
    photo.refresh_from_db()
    assert photo.status == Photo.Status.REJECTED
    assert photo.rejection_code == "child_not_outlined"
    assert "not among the faces" in photo.rejection_reason
    assert not _embedded(photo)
    # Someone who then finds the child's face can still draw it.
    photo_face_draw(user=caseworker, photo=photo, x=200, y=40, w=100, h=100)
    photo.refresh_from_db()
    assert photo.status == Photo.Status.READY and photo.rejection_code == ""


@pytest.mark.usefixtures("real_engine")
def test_the_real_engine_embeds_a_box_a_person_drew(faces_dir):
    engine = face_engine()
    pixels = np.asarray(Image.open(faces_dir / "deepface" / "couple.jpg").convert("RGB"))
    detected = max(engine.detect(pixels), key=lambda f: f.w)
    # A person's box: a little looser than the detector's, and without its landmarks.
    pad = detected.w // 10
    drawn = type(detected)(
        x=detected.x - pad,
        y=detected.y - pad,
        w=detected.w + 2 * pad,
        h=detected.h + 2 * pad,
        score=0.0,
        detector="person",
    )
    same = float(engine.embed(pixels, detected) @ engine.embed(pixels, drawn))
    assert same > 0.9


@pytest.mark.usefixtures("real_engine")
def test_a_group_photo_gets_a_second_look_that_outlines_more_faces(faces_dir, settings):
    engine = face_engine()
    pixels = np.asarray(
        Image.open(faces_dir / "deepface" / "selfie-many-people.jpg").convert("RGB")
    )
    settings.DETECT_GROUP_SWEEP = False
    plain = engine.detect(pixels)
    settings.DETECT_GROUP_SWEEP = True
    swept = engine.detect(pixels)
    assert len(plain) >= 2
    assert len(swept) > len(plain)
    # The first look's faces are kept as they were; new ones do not repeat them.
    assert swept[: len(plain)] == plain
    for new in swept[len(plain) :]:
        centre = (new.x + new.w / 2, new.y + new.h / 2)
        assert not any(
            f.x <= centre[0] <= f.x + f.w and f.y <= centre[1] <= f.y + f.h for f in plain
        )
