"""Writes for cases, found reports and their photos."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from cases.access.permissions import Action, action_require, user_organisation
from cases.audit.trail import audit_record
from cases.models import FoundReport, MissingCase, Photo, User
from cases.records.images import NormalisedPhoto, PhotoRejected, photo_normalise
from cases.records.limits import daily_limit_check, surge_check
from cases.records.storage import PhotoStorageUnavailable, photo_file_delete, photo_file_write
from matching import interfaces as matching
from reunite.kernel.errors import InvalidInput, model_validate

logger = logging.getLogger(__name__)

# The one list of a case's fields a caseworker fills in and may change later, in the order
# forms show them. external_ref is set once: it is how retries find the case.
CASE_EDITABLE_FIELDS = (
    "given_name",
    "family_name",
    "other_names",
    "sex",
    "date_of_birth",
    "age_min",
    "age_max",
    "last_seen_on",
    "last_seen_place",
    "description",
    "distinguishing_marks",
    "relatives_names",
    "home_place",
    "languages",
    "consent_given_by",
    "consent_relationship",
    "consent_given_at",
    "consent_method",
    "consent_scope",
    "consent_photo_sharing",
)


@dataclass(frozen=True)
class PhotoUpload:
    data: bytes
    filename: str = ""
    taken_on: dt.date | None = None
    age_in_photo: int | None = None
    kind: str = Photo.Kind.PHOTO


@dataclass(frozen=True)
class _PreparedPhoto:
    upload: PhotoUpload
    clean: NormalisedPhoto


def _photos_prepare(uploads: list[PhotoUpload]) -> list[_PreparedPhoto]:
    """Validate and normalise every upload before any transaction opens (it is CPU work)."""
    prepared = []
    for index, upload in enumerate(uploads):
        try:
            prepared.append(_PreparedPhoto(upload=upload, clean=photo_normalise(data=upload.data)))
        except PhotoRejected as exc:
            exc.index = index
            raise
    return prepared


@contextmanager
def _files_written(prepared: list[_PreparedPhoto]) -> Iterator[list[str]]:
    """Encrypt and store every file before the transaction opens (object storage is a
    network call, and no lock may wait on it); remove them again if the block fails, so a
    rolled-back upload leaves no file behind."""
    written: list[str] = []
    try:
        for item in prepared:
            written.append(photo_file_write(data=item.clean.jpeg))
        yield written
    except BaseException:
        for path in written:
            try:
                photo_file_delete(path=path)
            except PhotoStorageUnavailable:
                # The first error is the one to answer; the orphan sweep removes the file.
                logger.warning("Could not remove %s after a failed upload", path)
        raise


def _photos_store(
    *,
    owner: MissingCase | FoundReport,
    prepared: list[_PreparedPhoto],
    paths: list[str],
    user: User,
) -> list[Photo]:
    """Store the rows of already written files, inside the caller's transaction."""
    is_case = isinstance(owner, MissingCase)
    if owner.status in ("erased", "withdrawn"):
        if owner.status == "erased":
            raise InvalidInput(_("This record has been erased; it takes no new photos."))
        if owner.status == "withdrawn":
            raise InvalidInput(_("This record has been withdrawn; it takes no new photos."))
        raise InvalidInput(
            _("This record has been %(status)s; it takes no new photos.") % {"status": owner.status}
        )
    if prepared:
        daily_limit_check(organisation=owner.organisation, kind="photo", adding=len(prepared))
    photos = []
    for item, path in zip(prepared, paths, strict=True):
        photo = Photo(
            side=Photo.Side.CASE if is_case else Photo.Side.REPORT,
            case=owner if isinstance(owner, MissingCase) else None,
            found_report=owner if isinstance(owner, FoundReport) else None,
            organisation=owner.organisation,
            uploaded_by=user,
            file=path,
            width=item.clean.width,
            height=item.clean.height,
            original_filename=item.upload.filename[:200],
            taken_on=item.upload.taken_on,
            age_in_photo=item.upload.age_in_photo,
            kind=item.upload.kind,
        )
        model_validate(photo)
        photo.save()
        audit_record(actor=user, action="photo.added", obj=photo, data={"owner": str(owner)})
        photos.append(photo)
    if photos:
        surge_check(organisation=owner.organisation, kind="photo")
    for photo in photos:
        matching.photo_process_enqueue(photo_id=photo.pk)
    return photos


def case_create(
    *,
    user: User,
    photos: list[PhotoUpload],
    on_created: Callable[[MissingCase], None] | None = None,
    **fields: Any,
) -> MissingCase:
    """Create a case with its photos. `on_created` runs inside the case's transaction (the
    idempotency key's row), so its failure rolls the case back."""
    action_require(user=user, action=Action.CASE_CREATE)
    prepared = _photos_prepare(photos)
    with _files_written(prepared) as paths, transaction.atomic():
        case = MissingCase(organisation=user.organisation, created_by=user, **fields)
        model_validate(case)
        case.save()
        audit_record(actor=user, action="case.created", obj=case)
        _photos_store(owner=case, prepared=prepared, paths=paths, user=user)
        if on_created is not None:
            on_created(case)
    return case


@transaction.atomic
def case_update(*, user: User, case: MissingCase, **fields: Any) -> MissingCase:
    action_require(user=user, action=Action.CASE_EDIT)
    for name, value in fields.items():
        setattr(case, name, value)
    model_validate(case)
    case.save()
    audit_record(actor=user, action="case.updated", obj=case, data={"fields": sorted(fields)})
    matching.candidates_recheck(candidate_ids=matching.candidate_ids_list(owner=case))
    return case


# A case's match status follows its candidates, which matching decides on; the candidate's
# own audit row (`candidate.confirmed`, `candidate.withdrawn`, `reunification.*`) says why.
@transaction.atomic
def case_possible_match_set(*, case_id: int) -> MissingCase:
    """Reviewers confirmed a possible match: the case waits on its owner to verify it."""
    case = MissingCase.objects.select_for_update().get(pk=case_id)
    case.status = MissingCase.Status.POSSIBLE_MATCH
    case.save(update_fields=["status", "updated_at"])
    return case


@transaction.atomic
def case_reopen(*, case_id: int) -> MissingCase:
    """No possible match is left to verify: a case that waited on one is open again."""
    case = MissingCase.objects.select_for_update().get(pk=case_id)
    if case.status == MissingCase.Status.POSSIBLE_MATCH:
        case.status = MissingCase.Status.OPEN
        case.save(update_fields=["status", "updated_at"])
    return case


def report_create(
    *, user: User, photos: list[PhotoUpload], external_ref: str, **fields: Any
) -> tuple[FoundReport, bool]:
    """Create a found report, or return the existing one with the same external_ref.

    Returns (report, created). The unique constraint settles concurrent duplicates.
    """
    action_require(user=user, action=Action.REPORT_CREATE)
    existing = FoundReport.objects.filter(
        organisation=user.organisation, external_ref=external_ref
    ).first()
    if existing is not None:
        return existing, False
    prepared = _photos_prepare(photos)
    organisation = user_organisation(user=user)
    try:
        with _files_written(prepared) as paths, transaction.atomic():
            daily_limit_check(organisation=organisation, kind="report")
            report = FoundReport(
                organisation=organisation, created_by=user, external_ref=external_ref, **fields
            )
            model_validate(report, validate_constraints=False)
            report.save()
            audit_record(actor=user, action="report.created", obj=report)
            surge_check(organisation=organisation, kind="report")
            _photos_store(owner=report, prepared=prepared, paths=paths, user=user)
    except IntegrityError:
        existing = FoundReport.objects.filter(
            organisation=user.organisation, external_ref=external_ref
        ).first()
        if existing is None:
            raise
        return existing, False
    return report, True


def photos_add(
    *, user: User, owner: MissingCase | FoundReport, uploads: list[PhotoUpload]
) -> list[Photo]:
    """Add several photos to a case or report: all of them, or none if one is refused."""
    action_require(user=user, action=Action.PHOTO_ADD)
    prepared = _photos_prepare(uploads)
    with _files_written(prepared) as paths, transaction.atomic():
        return _photos_store(owner=owner, prepared=prepared, paths=paths, user=user)


def photo_add(*, user: User, owner: MissingCase | FoundReport, upload: PhotoUpload) -> Photo:
    (photo,) = photos_add(user=user, owner=owner, uploads=[upload])
    return photo


@transaction.atomic
def notification_mark_read(*, user: User, notification_id: int) -> bool:
    """Mark one of the user's notifications read; it stays in their history."""
    from django.utils import timezone

    notification = user.notifications.filter(pk=notification_id, read_at__isnull=True).first()
    if notification is None:
        return False
    notification.read_at = timezone.now()
    notification.save(update_fields=["read_at"])
    audit_record(actor=user, action="notification.read", obj=notification)
    return True


@transaction.atomic
def notifications_read_for_link(*, user: User, link: str) -> int:
    """Opening the page a notification points to reads it: mark each such one read."""
    ids = list(
        user.notifications.filter(link=link, read_at__isnull=True).values_list("pk", flat=True)
    )
    for notification_id in ids:
        notification_mark_read(user=user, notification_id=notification_id)
    return len(ids)


def case_summary_printed(*, user: User, case: MissingCase) -> None:
    """Audit one printed case summary (a PDF carrying the case's photos), like a photo view."""
    photo_ids = list(case.photos.values_list("pk", flat=True))
    audit_record(actor=user, action="case.summary_printed", obj=case, data={"photos": photo_ids})


def record_page_view(*, user: User, owner: MissingCase | FoundReport) -> None:
    """Audit one view of a case's or report's page, thumbnails included (one row, not one
    per thumbnail); full-size photos are audited one by one when opened.
    """
    action = "case.viewed" if isinstance(owner, MissingCase) else "report.viewed"
    photo_ids = list(owner.photos.values_list("pk", flat=True))
    audit_record(actor=user, action=action, obj=owner, data={"photos": photo_ids})
