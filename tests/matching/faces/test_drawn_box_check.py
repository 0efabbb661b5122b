"""A hand-drawn box where no detector finds a face: the person is told, may confirm with a
reason, which is audited and shown to reviewers."""

import pytest
from django.test import Client

from cases.models import AuditEvent
from matching import interfaces as matching
from matching.candidates.pairs import candidate_pair_record
from matching.models import Candidate, Face
from reunite.kernel.errors import InvalidInput as ValidationError
from tests.support.faces import ready_photo_with_embedding
from tests.support.otp import force_login_verified

pytestmark = pytest.mark.django_db

BOX = {"x": 40, "y": 40, "w": 100, "h": 100}


def test_a_box_around_nothing_needs_a_reason_which_is_audited(caseworker):
    # The photo is flat grey: no detector finds a face anywhere in it.
    photo = ready_photo_with_embedding(user=caseworker, seed=1, side="case").photo
    assert not matching.drawn_box_face_found(photo=photo, **BOX)
    with pytest.raises(ValidationError, match="No face detector finds a face"):
        matching.photo_face_draw(user=caseworker, photo=photo, **BOX)

    matching.photo_face_draw(user=caseworker, photo=photo, reason="Her scarf hides it.", **BOX)

    event = AuditEvent.objects.get(action="photo.face_drawn")
    assert event.data["no_face_found"] is True
    assert event.data["reason"] == "Her scarf hides it."


def test_the_portal_tells_the_person_and_saves_only_with_a_reason(client, caseworker):
    photo = ready_photo_with_embedding(user=caseworker, seed=1, side="case").photo
    client.force_login(caseworker)
    url = f"/photos/{photo.pk}/select-face/"
    first = client.post(url, {"choice": "draw", **BOX})
    assert "No face detector finds a face in the box you drew" in first.content.decode()
    without = client.post(url, {"choice": "draw", "confirm": "on", **BOX})
    assert without.status_code == 400
    assert "Say why this is the child" in without.content.decode()
    assert not Face.objects.filter(photo=photo, detector_score=0).exists()
    saved = client.post(
        url, {"choice": "draw", "confirm": "on", "no_face_reason": "A side view.", **BOX}
    )
    assert saved.status_code == 302
    assert Face.objects.filter(photo=photo, detector_score=0, is_selected=True).exists()


def test_reviewers_see_the_reason_beside_the_face(caseworker, partner, reviewer):
    case_face = ready_photo_with_embedding(user=caseworker, seed=1, side="case")
    photo = case_face.photo
    matching.photo_face_draw(user=caseworker, photo=photo, reason="A side view.", **BOX)
    drawn = Face.objects.get(photo=photo, detector_score=0)
    candidate_pair_record(
        case_face=drawn,
        report_face=ready_photo_with_embedding(user=partner, seed=2, side="report"),
        score=0.95,
    )
    candidate = Candidate.objects.get()
    page = force_login_verified(Client(), reviewer).get(f"/review/candidates/{candidate.pk}/")
    html = page.content.decode()
    assert "Outlined by hand where no face detector found a face" in html
    assert "A side view." in html
