"""Erasure proof: photo bytes, embeddings, FAISS entries and candidates are gone, the record
is a tombstone, and the audit chain still verifies. Real photos, real model, real index."""

import pytest
from django.utils import timezone

from cases.audit.trail import audit_verify
from cases.models import AuditEvent, FoundReport, MissingCase, Photo
from cases.records.services import PhotoUpload, case_create, report_create
from cases.records.storage import photo_file_exists
from cases.safeguards.erasure import (
    case_biometrics_erase,
    case_consent_withdraw,
    report_biometrics_erase,
)
from matching.index.sync import index_forget_cache, index_get
from matching.models import Candidate, Embedding, Face
from matching.review.decisions import candidate_decide
from matching.spaces.active import space_active
from reunite.kernel.errors import InvalidInput as ValidationError
from reunite.kernel.errors import NotAllowed as PermissionDenied

pytestmark = pytest.mark.django_db(transaction=True)

CASE_FIELDS = {
    "given_name": "Amina",
    "family_name": "Kariuki",
    "sex": "female",
    "date_of_birth": "2016-04-02",
    "last_seen_on": "2025-01-10",
    "last_seen_place": "Market square",
    "description": "Red coat",
    "distinguishing_marks": "Scar above left eye",
    "consent_given_by": "Fatima Kariuki",
    "consent_relationship": "Mother",
    "consent_given_at": "2025-01-11T09:00:00Z",
    "consent_method": "in_person",
}
REPORT_FIELDS = {
    "found_on": "2025-06-01",
    "found_place": "Riverside shelter",
    "estimated_age_min": 7,
    "estimated_age_max": 11,
    "sex": "female",
    "notes": "Says her name is Amina",
}


@pytest.fixture
def matched(caseworker, partner, matching_pair):
    """A case and a report of the same child, processed, indexed and matched."""
    case = case_create(
        user=caseworker,
        photos=[PhotoUpload(data=matching_pair[0].read_bytes(), filename="amina.png")],
        **CASE_FIELDS,
    )
    report, _ = report_create(
        user=partner,
        photos=[PhotoUpload(data=matching_pair[1].read_bytes())],
        external_ref="HS-1",
        **REPORT_FIELDS,
    )
    assert Candidate.objects.filter(case=case, found_report=report).exists()
    return case, report


def _embedding(owner) -> Embedding:
    return Embedding.objects.get(face__photo__in=owner.photos.all())


def _index_face_ids(side: str, vector) -> set[int]:
    index = index_get(space=space_active().name, side=side, dim=len(vector))
    return {hit.face_id for hit in index.search(vector=vector, k=100)}


def test_case_erasure_removes_files_embeddings_index_entries_and_candidates(
    matched, caseworker, reviewer
):
    case, report = matched
    candidate = Candidate.objects.get(case=case)
    candidate_decide(user=reviewer, candidate=candidate, decision="unsure", note="Unclear.")
    photo = case.photos.get()
    embedding = _embedding(case)
    vector, face_id = embedding.as_array(), embedding.face_id
    assert photo_file_exists(path=photo.file)
    assert face_id in _index_face_ids("case", vector)

    case_biometrics_erase(case=case, actor=caseworker, reason="test")

    assert not photo_file_exists(path=photo.file)
    assert not Photo.objects.filter(case=case).exists()
    assert not Face.objects.filter(pk=face_id).exists()
    assert not Embedding.objects.filter(face_id=face_id).exists()
    assert not Candidate.objects.filter(case=case).exists()
    assert face_id not in _index_face_ids("case", vector)
    # ...and the saved file agrees, not only this process's copy.
    index_forget_cache()
    assert face_id not in _index_face_ids("case", vector)
    # The other side is untouched.
    assert report.photos.get().status == Photo.Status.READY
    assert _embedding(report).face_id in _index_face_ids("report", vector)

    checked, broken = audit_verify()
    assert broken is None and checked > 0
    event = AuditEvent.objects.get(action="case.erased")
    assert event.data["photos"] == 1 and event.data["embeddings"] == 1
    assert event.data["candidates"] == {"disputed": 1}
    assert event.data["review_decisions"] == 1


def test_erased_case_is_a_tombstone_without_personal_data(matched, caseworker):
    case, _ = matched

    case_biometrics_erase(case=case, actor=caseworker, reason="test")

    case.refresh_from_db()
    assert case.status == MissingCase.Status.ERASED and case.erased_at
    for field in (
        "given_name",
        "family_name",
        "last_seen_place",
        "description",
        "distinguishing_marks",
        "consent_given_by",
        "consent_relationship",
    ):
        assert getattr(case, field) == "", field
    assert case.date_of_birth is None
    assert case.reference and case.organisation_id and case.consent_given_at


def test_report_erasure_removes_its_biometrics_and_leaves_a_tombstone(matched, partner):
    case, report = matched
    photo = report.photos.get()
    embedding = _embedding(report)
    vector, face_id = embedding.as_array(), embedding.face_id

    report_biometrics_erase(report=report, actor=partner, reason="test")

    report.refresh_from_db()
    assert report.status == FoundReport.Status.ERASED
    assert report.found_place == "" and report.notes == ""
    assert not photo_file_exists(path=photo.file)
    assert not Embedding.objects.filter(face_id=face_id).exists()
    assert face_id not in _index_face_ids("report", vector)
    assert not Candidate.objects.filter(found_report=report).exists()
    assert case.photos.get().status == Photo.Status.READY
    assert audit_verify()[1] is None


def test_erasing_twice_changes_nothing(matched, caseworker):
    case, _ = matched
    case_biometrics_erase(case=case, actor=caseworker, reason="test")
    case_biometrics_erase(case=case, actor=caseworker, reason="test")
    assert AuditEvent.objects.filter(action="case.erased").count() == 1


def test_withdrawing_consent_erases_the_case_at_once(matched, caseworker):
    case, _ = matched

    case_consent_withdraw(user=caseworker, case=case, reason="Mother phoned, 2025-07-01")

    case.refresh_from_db()
    assert case.status == MissingCase.Status.ERASED
    assert not Embedding.objects.filter(side="case").exists()
    actions = list(AuditEvent.objects.values_list("action", flat=True))
    assert actions[-2:] == ["case.consent_withdrawn", "case.erased"]


def test_another_organisation_may_not_withdraw_consent(matched, partner):
    case, _ = matched
    with pytest.raises(PermissionDenied):
        case_consent_withdraw(user=partner, case=case, reason="x")
    assert MissingCase.objects.get(pk=case.pk).status != MissingCase.Status.ERASED


def test_a_legal_hold_blocks_erasure(matched, caseworker):
    case, _ = matched
    MissingCase.objects.filter(pk=case.pk).update(
        legal_hold_at=timezone.now(), legal_hold_reason="Court order 12/2025"
    )
    case.refresh_from_db()
    with pytest.raises(ValidationError, match="legal hold"):
        case_biometrics_erase(case=case, actor=caseworker, reason="test")
    assert case.photos.exists()
