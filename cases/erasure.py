"""Erasing a child's biometric data: photos and their files, faces, embeddings, FAISS entries
and candidates. What remains of the case or report is a tombstone for the audit trail.

Candidates are deleted whatever their status, confirmed ones included: a candidate holds
protected links to the faces being erased, and a confirmed match without its photos is no
evidence. The audit trail keeps the record that the candidate and its decisions existed.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from cases.audit import audit_record
from cases.models import FoundReport, MissingCase, Photo, User
from cases.permissions import Action, action_require
from cases.storage import photo_file_delete


def _photo_files_delete(paths: list[str]) -> None:
    for path in paths:
        photo_file_delete(path=path)


def _faces_unindex_enqueue(groups: dict[tuple[str, str], list[int]]) -> None:
    from matching.tasks import index_faces_remove

    for (model_name, side), face_ids in groups.items():
        # Bind the loop values now; on_commit runs the lambda later.
        transaction.on_commit(
            lambda m=model_name, s=side, ids=face_ids: index_faces_remove.delay(m, s, ids)
        )


def _biometrics_delete(*, owner: MissingCase | FoundReport) -> dict[str, Any]:
    """Delete candidates, photos, faces and embeddings of one owner; queue files and FAISS.

    Runs inside the caller's transaction. Returns counts for the audit row.
    """
    from matching.models import Embedding, Face, ReviewDecision

    photos = list(owner.photos.all())
    paths = [photo.file for photo in photos]
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    embeddings = Embedding.objects.filter(face__photo__in=photos).values_list(
        "model_name", "side", "face_id"
    )
    for model_name, side, face_id in embeddings:
        groups[(model_name, side)].append(face_id)

    # Candidates first: they hold PROTECT links to the faces (pairs and decisions cascade).
    candidates = owner.candidates.all()
    by_status = dict(
        candidates.order_by().values("status").annotate(n=Count("pk")).values_list("status", "n")
    )
    decisions = ReviewDecision.objects.filter(candidate__in=candidates).count()
    candidates.delete()
    faces = Face.objects.filter(photo__in=photos).count()
    Photo.objects.filter(pk__in=[p.pk for p in photos]).delete()

    # Only once the rows are gone for good: a rollback must not leave rows without files.
    transaction.on_commit(lambda: _photo_files_delete(paths))
    _faces_unindex_enqueue(dict(groups))
    return {
        "photos": len(photos),
        "photo_kinds": dict(Counter(p.kind for p in photos)),
        "faces": faces,
        "embeddings": sum(len(ids) for ids in groups.values()),
        "candidates": by_status,
        "review_decisions": decisions,
    }


def _hold_refuse(owner: MissingCase | FoundReport) -> None:
    if owner.legal_hold_at is not None:
        raise ValidationError(
            f"{owner.reference} is under a legal hold ({owner.legal_hold_reason}); "
            "an operator must lift it before it can be erased."
        )


@transaction.atomic
def case_biometrics_erase(*, case: MissingCase, actor: User | None, reason: str) -> MissingCase:
    """Erase a case's biometric and personal data and leave a tombstone. Idempotent.

    Keeps: reference, organisation, creator, consent date and method, dates, status `erased`.
    """
    case = MissingCase.objects.select_for_update().get(pk=case.pk)
    if case.status == MissingCase.Status.ERASED:
        return case
    _hold_refuse(case)
    counts = _biometrics_delete(owner=case)
    now = timezone.now()
    # A tombstone is deliberately not a valid live case (no name, no place), so it is
    # written with update() rather than through full_clean().
    MissingCase.objects.filter(pk=case.pk).update(
        status=MissingCase.Status.ERASED,
        erased_at=now,
        updated_at=now,
        given_name="",
        family_name="",
        other_names="",
        sex="unknown",
        date_of_birth=None,
        age_min=None,
        age_max=None,
        last_seen_place="",
        description="",
        distinguishing_marks="",
        consent_given_by="",
        consent_relationship="",
    )
    audit_record(
        actor=actor,
        action="case.erased",
        obj=case,
        organisation=case.organisation,
        data={"reason": reason, "previous_status": case.status, **counts},
    )
    case.refresh_from_db()
    return case


@transaction.atomic
def report_biometrics_erase(*, report: FoundReport, actor: User | None, reason: str) -> FoundReport:
    """Erase a found report's biometric and personal data and leave a tombstone. Idempotent.

    Keeps: reference, organisation, creator, external_ref (so a retry does not re-create
    it), found date, age range, legal basis, status `erased`.
    """
    report = FoundReport.objects.select_for_update().get(pk=report.pk)
    if report.status == FoundReport.Status.ERASED:
        return report
    _hold_refuse(report)
    counts = _biometrics_delete(owner=report)
    now = timezone.now()
    FoundReport.objects.filter(pk=report.pk).update(
        status=FoundReport.Status.ERASED,
        erased_at=now,
        updated_at=now,
        found_place="",
        notes="",
        sex="unknown",
    )
    audit_record(
        actor=actor,
        action="report.erased",
        obj=report,
        organisation=report.organisation,
        data={"reason": reason, "previous_status": report.status, **counts},
    )
    report.refresh_from_db()
    return report


@transaction.atomic
def case_consent_withdraw(*, user: User, case: MissingCase, reason: str) -> MissingCase:
    """The guardian withdrew consent: record it and erase the case's biometric data now."""
    action_require(user=user, action=Action.CASE_EDIT)
    if case.organisation_id != user.organisation_id:
        raise PermissionDenied("You may withdraw consent only for your organisation's cases.")
    if not reason.strip():
        raise ValidationError({"reason": "Record how and when the guardian withdrew consent."})
    audit_record(
        actor=user, action="case.consent_withdrawn", obj=case, data={"reason": reason.strip()}
    )
    return case_biometrics_erase(case=case, actor=user, reason="consent withdrawn")
