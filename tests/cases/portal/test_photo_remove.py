"""A caseworker removes a wrong photo while it is in no candidate; otherwise it is set aside."""

import pytest

from cases.models import AuditEvent, Photo
from cases.records.storage import photo_file_read, photo_file_write
from cases.safeguards.erasure import PhotoInCandidate, photo_remove
from matching.candidates.pairs import candidate_pair_record
from matching.models import Candidate, Embedding, Face
from reunite.kernel.errors import NotAllowed as PermissionDenied
from tests.support.data import image_bytes
from tests.support.faces import ready_photo_with_embedding

pytestmark = pytest.mark.django_db


def test_a_photo_in_no_candidate_is_removed_with_its_file_faces_and_templates(
    client, caseworker, django_capture_on_commit_callbacks
):
    face = ready_photo_with_embedding(user=caseworker, seed=1, side="case")
    photo, case = face.photo, face.photo.case
    client.force_login(caseworker)
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert f"/photos/{photo.pk}/remove/" in page
    assert client.post(f"/photos/{photo.pk}/remove/", {"reason": ""}).status_code == 400
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/photos/{photo.pk}/remove/", {"reason": "Wrong child"})
    assert response.status_code == 302
    assert not Photo.objects.filter(pk=photo.pk).exists()
    assert not Face.objects.filter(pk=face.pk).exists()
    assert not Embedding.objects.filter(face_id=face.pk).exists()
    with pytest.raises(FileNotFoundError):
        photo_file_read(path=photo.file)
    event = AuditEvent.objects.get(action="photo.removed")
    assert event.object_id == str(case.pk)
    assert event.data["reason"] == "Wrong child" and event.data["embeddings"] == 1
    timeline = client.get(f"/cases/{case.pk}/").content.decode()
    assert "A wrong photo removed" in timeline


def test_a_photo_in_a_candidate_can_only_be_set_aside_and_the_candidate_is_rescored(
    client, caseworker, partner
):
    face = ready_photo_with_embedding(user=caseworker, seed=1, side="case")
    other = Photo.objects.create(
        side="case",
        case=face.photo.case,
        organisation=face.photo.organisation,
        uploaded_by=caseworker,
        file=photo_file_write(data=image_bytes(size=(200, 200))),
        width=200,
        height=200,
        status=Photo.Status.READY,
    )
    other_face = Face.objects.create(
        photo=other, ordinal=0, x=10, y=10, w=100, h=100, detector_score=1, is_selected=True
    )
    report_face = ready_photo_with_embedding(user=partner, seed=2, side="report")
    candidate_pair_record(case_face=face, report_face=report_face, score=0.95)
    candidate_pair_record(case_face=other_face, report_face=report_face, score=0.80)
    candidate = Candidate.objects.get()
    assert candidate.best_score == pytest.approx(0.95)

    with pytest.raises(PhotoInCandidate, match="possible match #"):
        photo_remove(user=caseworker, photo=face.photo, reason="Wrong child")
    client.force_login(caseworker)
    page = client.get(f"/photos/{face.photo.pk}/remove/").content.decode()
    assert "Set this photo aside" in page
    response = client.post(f"/photos/{face.photo.pk}/remove/", {"reason": "Wrong child"})

    assert response.status_code == 302
    photo = Photo.objects.get(pk=face.photo.pk)  # kept, set aside
    assert photo.status == Photo.Status.REJECTED and photo.rejection_code == "set_aside"
    assert not Embedding.objects.filter(face=face).exists()
    candidate.refresh_from_db()
    assert candidate.status == Candidate.Status.PENDING
    assert candidate.best_score == pytest.approx(0.80)  # re-scored on the pair left
    assert candidate.pairs.count() == 1
    assert AuditEvent.objects.filter(action="photo.set_aside").exists()


def test_a_photo_whose_candidate_has_no_other_pair_withdraws_it_when_set_aside(caseworker, partner):
    from matching import interfaces as matching

    face = ready_photo_with_embedding(user=caseworker, seed=1, side="case")
    candidate_pair_record(
        case_face=face,
        report_face=ready_photo_with_embedding(user=partner, seed=2, side="report"),
        score=0.95,
    )
    matching.photo_set_aside(user=caseworker, photo=face.photo, reason="Wrong child")
    assert Candidate.objects.get().status == Candidate.Status.WITHDRAWN


def test_a_photo_of_another_organisation_cannot_be_removed(caseworker, partner):
    face = ready_photo_with_embedding(user=partner, seed=1, side="report")
    with pytest.raises(PermissionDenied):
        photo_remove(user=caseworker, photo=face.photo, reason="Not ours")
    assert Photo.objects.filter(pk=face.photo.pk).exists()
