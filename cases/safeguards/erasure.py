"""Erasing a child's biometric data: photos and their files, faces, embeddings, FAISS entries
and candidates. What remains of the case or report is a tombstone for the audit trail.

Candidates are deleted whatever their status, confirmed ones included: a candidate holds
protected links to the faces being erased, and a confirmed match without its photos is no
evidence. The audit trail keeps the record that the candidate and its decisions existed.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, TypeVar

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.access.permissions import Action, action_require
from cases.audit.trail import audit_record
from cases.models import FoundReport, MissingCase, Photo, User
from cases.records.storage import photo_file_delete
from matching import interfaces as matching
from reunite.kernel.errors import InvalidInput, NotAllowed


def _photo_files_delete(paths: list[str]) -> None:
    for path in paths:
        photo_file_delete(path=path)


def _biometrics_delete(*, owner: MissingCase | FoundReport) -> dict[str, Any]:
    """Delete candidates, photos, faces and embeddings of one owner; queue files and FAISS.

    Runs inside the caller's transaction. Returns counts for the audit row.
    """
    photos = list(owner.photos.all())
    paths = [photo.file for photo in photos]
    counts = matching.matching_data_delete(owner=owner, photos=photos)
    Photo.objects.filter(pk__in=[p.pk for p in photos]).delete()

    # Only once the rows are gone for good: a rollback must not leave rows without files.
    transaction.on_commit(lambda: _photo_files_delete(paths))
    return {
        "photos": len(photos),
        "photo_kinds": dict(Counter(p.kind for p in photos)),
        "faces": counts["faces"],
        "embeddings": counts["embeddings"],
        "candidates": counts["candidates"],
        "review_decisions": counts["review_decisions"],
        "duplicates": counts["duplicates"],
    }


def _hold_refuse(owner: MissingCase | FoundReport) -> None:
    if owner.legal_hold_at is not None:
        raise InvalidInput(
            _(
                "%(reference)s is under a legal hold (%(reason)s); an operator must lift it "
                "before it can be erased."
            )
            % {"reference": owner.reference, "reason": owner.legal_hold_reason}
        )


# What a tombstone blanks. It is deliberately not a valid live record (no name, no place),
# so it is written with update() rather than through full_clean().
CASE_PERSONAL_FIELDS = {
    "given_name": "",
    "family_name": "",
    "other_names": "",
    "sex": "unknown",
    "date_of_birth": None,
    "age_min": None,
    "age_max": None,
    "last_seen_place": "",
    "description": "",
    "distinguishing_marks": "",
    "relatives_names": "",
    "home_place": "",
    "languages": "",
    "consent_given_by": "",
    "consent_relationship": "",
}
# external_ref stays, so a partner's retry does not re-create an erased report.
REPORT_PERSONAL_FIELDS = {
    "found_place": "",
    "notes": "",
    "sex": "unknown",
    "child_names": "",
    "relatives_names": "",
    "home_place": "",
    "languages": "",
    "distinguishing_marks": "",
}


Owner = TypeVar("Owner", MissingCase, FoundReport)


def _tombstone(*, owner: Owner, blank: dict[str, Any], actor: User | None, reason: str) -> Owner:
    model = type(owner)
    owner = model.objects.select_for_update().get(pk=owner.pk)
    if owner.status == model.Status.ERASED:
        return owner
    _hold_refuse(owner)
    counts = _biometrics_delete(owner=owner)
    now = timezone.now()
    model.objects.filter(pk=owner.pk).update(
        status=model.Status.ERASED, erased_at=now, updated_at=now, **blank
    )
    audit_record(
        actor=actor,
        action=f"{'case' if model is MissingCase else 'report'}.erased",
        obj=owner,
        organisation=owner.organisation,
        data={"reason": reason, "previous_status": owner.status, **counts},
    )
    owner.refresh_from_db()
    return owner


@transaction.atomic
def case_biometrics_erase(*, case: MissingCase, actor: User | None, reason: str) -> MissingCase:
    """Erase a case's biometric and personal data and leave a tombstone. Idempotent.

    Keeps: reference, organisation, creator, consent date and method, dates, status `erased`.
    """
    return _tombstone(owner=case, blank=CASE_PERSONAL_FIELDS, actor=actor, reason=reason)


@transaction.atomic
def report_biometrics_erase(*, report: FoundReport, actor: User | None, reason: str) -> FoundReport:
    """Erase a found report's biometric and personal data and leave a tombstone. Idempotent.

    Keeps: reference, organisation, creator, external_ref, found date, age range, legal
    basis, status `erased`.
    """
    return _tombstone(owner=report, blank=REPORT_PERSONAL_FIELDS, actor=actor, reason=reason)


@transaction.atomic
def case_consent_withdraw(*, user: User, case: MissingCase, reason: str) -> MissingCase:
    """The guardian withdrew consent: record it and erase the case's biometric data now."""
    action_require(user=user, action=Action.CASE_EDIT)
    if case.organisation_id != user.organisation_id:
        raise NotAllowed(_("You may withdraw consent only for your organisation's cases."))
    if not reason.strip():
        raise InvalidInput({"reason": _("Record how and when the guardian withdrew consent.")})
    audit_record(
        actor=user, action="case.consent_withdrawn", obj=case, data={"reason": reason.strip()}
    )
    return case_biometrics_erase(case=case, actor=user, reason="consent withdrawn")


@transaction.atomic
def report_withdraw(*, user: User, report: FoundReport, reason: str = "") -> FoundReport:
    """Withdraw a report: its photos, faces, embeddings, candidates and index entries go.

    Idempotent: withdrawing a withdrawn report changes nothing.
    """
    action_require(user=user, action=Action.REPORT_EDIT)
    report = FoundReport.objects.select_for_update().get(pk=report.pk)
    if report.status != FoundReport.Status.ACTIVE:
        return report
    audit_record(actor=user, action="report.withdrawn", obj=report, data={"reason": reason[:300]})
    report_biometrics_erase(report=report, actor=user, reason="withdrawn by its organisation")
    # The erasure leaves an `erased` tombstone; say why it went.
    FoundReport.objects.filter(pk=report.pk).update(status=FoundReport.Status.WITHDRAWN)
    report.refresh_from_db()
    return report


class PhotoInCandidate(InvalidInput):
    """The photo is part of a possible match: it can only be set aside, not removed."""


@transaction.atomic
def photo_remove(*, user: User, photo: Photo, reason: str) -> dict[str, Any]:
    """Remove a wrong photo from a live case or report: its file, faces, face templates and
    index entries go, and the removal is audited. Refused while a candidate holds the photo.
    """
    action_require(user=user, action=Action.PHOTO_ADD)
    photo = (
        Photo.objects.select_for_update(of=("self",))
        .select_related("case", "found_report")
        .get(pk=photo.pk)
    )
    if photo.organisation_id != user.organisation_id:
        raise NotAllowed(_("You may remove only your organisation's photos."))
    if not reason.strip():
        raise InvalidInput({"reason": _("Say why this photo is wrong.")})
    owner = photo.case or photo.found_report
    assert owner is not None
    if owner.status in ("erased", "withdrawn"):
        if owner.status == "erased":
            message = _("%(reference)s was erased: its photos are gone.")
        else:
            message = _("%(reference)s was withdrawn: its photos are gone.")
        raise InvalidInput(message % {"reference": owner.reference})
    held = matching.photo_candidate_ids(photo=photo)
    if held:
        numbers = ", ".join(f"#{pk}" for pk in held)
        raise PhotoInCandidate(
            _(
                "This photo is part of possible match %(numbers)s, so it cannot be removed: "
                "the reviewers' evidence would change under them. Set it aside instead."
            )
            % {"numbers": numbers}
        )
    counts = matching.photo_matching_data_delete(photo=photo)
    path = photo.file
    # On the owner, so the record's timeline keeps it once the photo row is gone.
    audit_record(
        actor=user,
        action="photo.removed",
        obj=owner,
        organisation=photo.organisation,
        data={"photo": photo.pk, "reason": reason.strip()[:500], "kind": photo.kind, **counts},
    )
    photo.delete()
    # Only once the row is gone for good: a rollback must not leave a row without its file.
    transaction.on_commit(lambda: photo_file_delete(path=path))
    return counts
