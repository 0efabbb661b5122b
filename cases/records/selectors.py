"""Reads for cases, found reports and photos, always scoped to the reader's organisation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext_lazy, pgettext

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
    "case.consent_withdrawn": gettext_lazy("The guardian withdrew consent"),
    "report.withdrawn": gettext_lazy("The filing organisation withdrew the report"),
}


# "no photos", "1 photo", "3 photos": lazy, so read in the active language.
_COUNT_WORDS = {
    "photo": (
        gettext_lazy("no photos"),
        ngettext_lazy("%(count)s photo", "%(count)s photos", "count"),
    ),
    "face": (
        gettext_lazy("no faces"),
        ngettext_lazy("%(count)s face", "%(count)s faces", "count"),
    ),
    "face template": (
        gettext_lazy("no face templates"),
        ngettext_lazy("%(count)s face template", "%(count)s face templates", "count"),
    ),
    "possible match": (
        gettext_lazy("no possible matches"),
        ngettext_lazy("%(count)s possible match", "%(count)s possible matches", "count"),
    ),
    "reviewer decision": (
        gettext_lazy("no reviewer decisions"),
        ngettext_lazy("%(count)s reviewer decision", "%(count)s reviewer decisions", "count"),
    ),
}


def _count(n: int, what: str) -> str:
    none, some = _COUNT_WORDS[what]
    return str(none) if not n else some % {"count": n}


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
    why = str(_REMOVAL_REASONS.get(cause.action, "")) if cause else ""
    note = (cause.data.get("reason") or "").strip() if cause else ""
    if not why:
        reason = str(data.get("reason") or "erased")
        if reason.startswith("retention"):
            why = _("The retention period ended")
        elif reason == "erased":
            why = pgettext("why a record's data is gone", "erased")
        else:
            why = reason
        why = why[:1].upper() + why[1:]
    candidates = data.get("candidates", 0)
    if isinstance(candidates, dict):  # counted by status
        candidates = sum(candidates.values())
    removed = [
        _("%(photos)s and the stored image files")
        % {"photos": _count(data.get("photos", 0), "photo")},
        _("%(faces)s and %(templates)s, also taken out of the search index")
        % {
            "faces": _count(data.get("faces", 0), "face"),
            "templates": _count(data.get("embeddings", 0), "face template"),
        },
        _("%(matches)s and %(decisions)s")
        % {
            "matches": _count(candidates, "possible match"),
            "decisions": _count(data.get("review_decisions", 0), "reviewer decision"),
        },
        _("the child's name, description, place and the guardian's details")
        if kind == "case"
        else _("the place found, the notes and the sex"),
    ]
    return Removal(
        what=(
            pgettext("a record whose data is gone", "erased")
            if owner.status == "erased"
            else pgettext("a record whose data is gone", "withdrawn")
        ),
        when=first.created_at if first else owner.erased_at,
        who=account_name(user=first.actor, label=first.actor_label, full=True)
        if first
        else _("the system"),
        why=_("%(why)s: “%(note)s”") % {"why": why, "note": note} if note else why,
        removed=removed,
    )
