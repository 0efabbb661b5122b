"""Duplicate registrations: the same child registered twice, on the same side.

After a face joins its side's index and is searched against the other side
(candidates/search.py), it is also searched against its own side: case photos against other
cases' photos, report photos against other reports'. The same index, the same calibration
thresholds (by the age gap between the two photos). A close pair becomes one `Duplicate`
per unordered pair of records, shown to both records' caseworkers; nothing is merged.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone

from cases.access.permissions import Action, action_require
from cases.audit.trail import audit_record
from cases.models import FoundReport, MissingCase, Organisation, Photo, User
from cases.records.ages import case_photo_age, report_photo_age
from matching.index.queries import embedding_index_searches
from matching.index.store import Hit
from matching.models import Duplicate, Embedding, Face
from matching.spaces.calibration import pair_rule, profile_active, search_floor
from matching.spaces.profiles import Profile
from reunite.kernel.errors import model_validate

Record = MissingCase | FoundReport


class DuplicateDecision:
    SAME = "same"
    DIFFERENT = "different"
    CHOICES = (SAME, DIFFERENT)


def embedding_duplicates_search(*, embedding: Embedding) -> int:
    """Search the embedding's own side again and record the close faces of other records.

    The index worker does this in the same step as the cross-side search
    (candidates/search.py); this is for a re-run. Running it again adds nothing.
    """
    if not settings.DUPLICATE_SEARCH:
        return 0
    _, hits = embedding_index_searches(
        space=embedding.space,
        side=embedding.side,
        face_id=embedding.face_id,
        vector=embedding.as_array(),
        own_side=True,
    )
    return duplicates_record(embedding=embedding, hits=hits)


def _record_of(photo: Photo) -> Record:
    record = photo.case if photo.side == Photo.Side.CASE else photo.found_report
    assert record is not None
    return record


def _record_live(record: Record) -> bool:
    if isinstance(record, MissingCase):
        return record.status != MissingCase.Status.ERASED
    return record.status == FoundReport.Status.ACTIVE


def _photo_age(*, record: Record, photo: Photo) -> float | None:
    if isinstance(record, MissingCase):
        return case_photo_age(case=record, photo=photo)
    return report_photo_age(report=record, photo=photo)


@transaction.atomic
def duplicates_record(
    *, embedding: Embedding, hits: list[Hit], profile: Profile | None = None
) -> int:
    """Record a duplicate for each close enough face of another live record on the same side
    (`profile`: the active one, when the caller has read it already)."""
    profile = profile or profile_active()
    floor = search_floor(profile=profile)
    close = [hit for hit in hits if hit.score >= floor]
    if not close:
        return 0
    face = Face.objects.select_related(
        "photo__case__organisation", "photo__found_report__organisation"
    ).get(pk=embedding.face_id)
    record = _record_of(face.photo)
    if not _record_live(record):
        return 0
    others = Face.objects.select_related(
        "photo__case__organisation", "photo__found_report__organisation"
    ).in_bulk([hit.face_id for hit in close])
    recorded = 0
    for hit in close:
        other = others.get(hit.face_id)
        if other is None or other.photo.status != Photo.Status.READY:
            continue  # erased or withdrawn since it was indexed
        other_record = _record_of(other.photo)
        if other_record.pk == record.pk or not _record_live(other_record):
            continue  # another photo of the same record
        # Two toddlers' photos need the toddlers' threshold, as across the sides.
        threshold = pair_rule(
            score=hit.score,
            case_age=_photo_age(record=record, photo=face.photo),
            report_age=_photo_age(record=other_record, photo=other.photo),
            profile=profile,
        ).threshold
        if hit.score < threshold:
            continue
        if duplicate_pair_record(
            face=face, other_face=other, score=hit.score, threshold=threshold, profile=profile.name
        ):
            recorded += 1
    return recorded


def duplicate_pair_record(
    *, face: Face, other_face: Face, score: float, threshold: float, profile: str = ""
) -> bool:
    """Record (or strengthen) the duplicate of the two faces' records. True if it is new."""
    record, other = _record_of(face.photo), _record_of(other_face.photo)
    if record.pk > other.pk:
        record, other, face, other_face = other, record, other_face, face
    side = face.photo.side
    pair = (
        {"case_a": record, "case_b": other}
        if side == Photo.Side.CASE
        else {"report_a": record, "report_b": other}
    )
    with transaction.atomic():
        try:
            with transaction.atomic():
                duplicate, created = Duplicate.objects.get_or_create(
                    **pair,
                    defaults={
                        "side": side,
                        "best_score": score,
                        "threshold": threshold,
                        "profile": profile,
                        "face_a": face,
                        "face_b": other_face,
                    },
                )
        except IntegrityError:
            duplicate, created = Duplicate.objects.get(**pair), False
        if not created:
            duplicate = Duplicate.objects.select_for_update().get(pk=duplicate.pk)
            if score > duplicate.best_score:
                duplicate.best_score, duplicate.threshold = score, threshold
                duplicate.face_a, duplicate.face_b = face, other_face
                duplicate.save(update_fields=["best_score", "threshold", "face_a", "face_b"])
            return False
        for organisation in _organisations(duplicate):
            audit_record(
                actor=None,
                action="duplicate.created",
                obj=duplicate,
                organisation=organisation,
                data={
                    "side": side,
                    "records": [record.reference, other.reference],
                    "score": round(score, 4),
                    "threshold": round(threshold, 4),
                    "profile": profile,
                },
            )
    return True


def _organisations(duplicate: Duplicate) -> list[Organisation]:
    """The owning organisations, each once (a same-organisation duplicate has one)."""
    a, b = duplicate.records()
    return (
        [a.organisation]
        if a.organisation_id == b.organisation_id
        else [
            a.organisation,
            b.organisation,
        ]
    )


def _status_from(*, duplicate: Duplicate) -> str:
    wanted = {str(org.pk) for org in _organisations(duplicate)}
    said = {org: entry["decision"] for org, entry in duplicate.decisions.items() if org in wanted}
    if DuplicateDecision.DIFFERENT in said.values():
        return Duplicate.Status.DIFFERENT
    if said and set(said) == wanted:
        return Duplicate.Status.LINKED
    if said:
        return Duplicate.Status.PARTLY_CONFIRMED
    return Duplicate.Status.PENDING


@transaction.atomic
def duplicate_decide(*, user: User, duplicate_id: int, decision: str) -> Duplicate:
    """A caseworker of an owning organisation says "same child" or "different children".

    Each organisation answers for itself (its latest answer counts). The records are linked
    once every owning organisation said "same child"; one "different children" settles it.
    """
    action_require(user=user, action=Action.DUPLICATE_DECIDE)
    if decision not in DuplicateDecision.CHOICES:
        raise SuspiciousOperation(f"Unknown duplicate decision {decision!r}.")  # a 400
    duplicate = (
        # Only this row is locked (the records are outer joins, which PostgreSQL cannot lock).
        Duplicate.objects.select_for_update(of=("self",))
        .select_related("case_a", "case_b", "report_a", "report_b")
        .filter(pk=duplicate_id)
        .first()
    )
    if duplicate is None or user.organisation_id not in {
        org.pk for org in _organisations(duplicate)
    }:
        raise Http404("No such duplicate.")
    was = duplicate.status
    duplicate.decisions = {
        **duplicate.decisions,
        str(user.organisation_id): {
            "decision": decision,
            "by": user.pk,
            "at": timezone.now().isoformat(),
        },
    }
    duplicate.status = _status_from(duplicate=duplicate)
    model_validate(
        duplicate, exclude=["case_a", "case_b", "report_a", "report_b", "face_a", "face_b"]
    )
    duplicate.save(update_fields=["decisions", "status", "updated_at"])
    a, b = duplicate.records()
    for organisation in _organisations(duplicate):
        audit_record(
            # The other organisation's trail names the organisation, not its staff member.
            actor=user if organisation.pk == user.organisation_id else None,
            action=f"duplicate.decision.{decision}",
            obj=duplicate,
            organisation=organisation,
            data={
                "records": [a.reference, b.reference],
                "by_organisation": user.organisation_id,
                "status": duplicate.status,
                "was": was,
            },
        )
    return duplicate
