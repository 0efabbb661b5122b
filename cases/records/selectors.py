"""Reads for cases, found reports and photos, always scoped to the reader's organisation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404

from cases.access.audit_log import account_name
from cases.access.permissions import Action, action_require
from cases.audit.events import audit_event_words, timeline_event_names
from cases.models import AuditEvent, FoundReport, MissingCase, Photo, User
from matching import interfaces as matching


def case_list(*, user: User) -> QuerySet[MissingCase]:
    action_require(user=user, action=Action.CASE_VIEW)
    return MissingCase.objects.filter(organisation=user.organisation).prefetch_related(
        Prefetch("photos", queryset=Photo.objects.order_by("created_at", "id"))
    )


def case_get(*, user: User, case_id: int, action: Action = Action.CASE_VIEW) -> MissingCase:
    """The case, if the user may do `action` to it; another organisation's case is a 404."""
    action_require(user=user, action=action)
    try:
        return case_list(user=user).get(pk=case_id)
    except (MissingCase.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such case.") from exc


def report_list(*, user: User) -> QuerySet[FoundReport]:
    action_require(user=user, action=Action.REPORT_VIEW)
    return FoundReport.objects.filter(organisation=user.organisation).prefetch_related(
        Prefetch("photos", queryset=Photo.objects.order_by("created_at", "id"))
    )


def report_get(*, user: User, report_id: int, action: Action = Action.REPORT_VIEW) -> FoundReport:
    action_require(user=user, action=action)
    try:
        return report_list(user=user).get(pk=report_id)
    except (FoundReport.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such report.") from exc


def photo_get(*, user: User, photo_id: int, action: Action) -> Photo:
    """A photo of the user's own organisation."""
    action_require(user=user, action=action)
    try:
        return Photo.objects.select_related("case", "found_report").get(
            pk=photo_id, organisation=user.organisation
        )
    except (Photo.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such photo.") from exc


def case_timeline(*, case: MissingCase) -> list[dict]:
    """What happened to a case, in words, with who did it and the photo it concerns.

    Read from the audit trail; views and housekeeping are left out.
    """
    photos = {str(p.pk): p for p in case.photos.all()}
    candidate_ids = [str(pk) for pk in matching.candidate_ids_list(owner=case)]
    events = (
        AuditEvent.objects.filter(
            Q(object_type="cases.missingcase", object_id=str(case.pk))
            | Q(object_type="cases.photo", object_id__in=list(photos))
            | Q(object_type=matching.CANDIDATE_OBJECT_TYPE, object_id__in=candidate_ids),
            action__in=timeline_event_names(),
        )
        .select_related("actor")
        .order_by("id")
    )
    rows = []
    for e in events:
        photo = photos.get(e.object_id) if e.object_type == "cases.photo" else None
        rows.append(
            {
                "when": e.created_at,
                "what": audit_event_words(e.action),
                # "system" rows are the matching pipeline's own steps; a deactivated or
                # erased account is "a former account".
                "who": account_name(user=e.actor, label=e.actor_label, full=True),
                "photo": photo,
                "photo_number": list(photos).index(e.object_id) + 1 if photo else None,
                "object_id": e.object_id,
                "object_type": e.object_type,
            }
        )
    return rows


def notification_list(*, user: User, unread_only: bool = False) -> QuerySet:
    """A user's notifications, newest first; read ones stay, marked with when."""
    notifications = user.notifications.order_by("-created_at", "-id")
    return notifications.filter(read_at__isnull=True) if unread_only else notifications


def notification_unread_count(*, user: User) -> int:
    return user.notifications.filter(read_at__isnull=True).count()


@dataclass(frozen=True)
class Removal:
    """What was removed from an erased or withdrawn case or report, when, by whom and why."""

    what: str  # "erased", "withdrawn"
    when: Any
    who: str
    why: str
    removed: list[str]


_REMOVAL_REASONS = {
    "case.consent_withdrawn": "The guardian withdrew consent",
    "report.withdrawn": "The filing organisation withdrew the report",
}


def _count(n: int, one: str, many: str = "") -> str:
    if not n:
        return f"no {many or one + 's'}"
    return f"{n} {one}" if n == 1 else f"{n} {many or one + 's'}"


def record_removal(*, owner: MissingCase | FoundReport) -> Removal | None:
    """For a record whose data is gone: the one page's facts, read from the audit trail."""
    if owner.status not in ("erased", "withdrawn"):
        return None
    kind = "case" if isinstance(owner, MissingCase) else "report"
    rows = {
        e.action: e
        for e in AuditEvent.objects.filter(
            object_type=f"cases.{type(owner).__name__.lower()}",
            object_id=str(owner.pk),
            action__in=[f"{kind}.erased", *_REMOVAL_REASONS],
        )
        .select_related("actor")
        .order_by("id")
    }
    erased = rows.get(f"{kind}.erased")
    cause = rows.get("case.consent_withdrawn") or rows.get("report.withdrawn")
    first = cause or erased
    data = erased.data if erased else {}
    why = _REMOVAL_REASONS.get(cause.action, "") if cause else ""
    note = (cause.data.get("reason") or "").strip() if cause else ""
    if not why:
        reason = str(data.get("reason") or "erased")
        why = "The retention period ended" if reason.startswith("retention") else reason
        why = why[:1].upper() + why[1:]
    candidates = data.get("candidates", 0)
    if isinstance(candidates, dict):  # counted by status
        candidates = sum(candidates.values())
    removed = [
        f"{_count(data.get('photos', 0), 'photo')} and the stored image files",
        f"{_count(data.get('faces', 0), 'face')} and "
        f"{_count(data.get('embeddings', 0), 'face template')}, also taken out of the search index",
        f"{_count(candidates, 'possible match', 'possible matches')} and "
        f"{_count(data.get('review_decisions', 0), 'reviewer decision')}",
        "the child's name, description, place and the guardian's details"
        if kind == "case"
        else "the place found, the notes and the sex",
    ]
    return Removal(
        what=owner.status,
        when=first.created_at if first else owner.erased_at,
        who=account_name(user=first.actor, label=first.actor_label, full=True)
        if first
        else "the system",
        why=f"{why}: “{note}”" if note else why,
        removed=removed,
    )
