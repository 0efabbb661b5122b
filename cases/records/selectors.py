"""Reads for cases, found reports and photos, always scoped to the reader's organisation."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet
from django.http import Http404

from cases.access.permissions import Action, action_require
from cases.audit.events import audit_event_words, timeline_event_names
from cases.models import FoundReport, MissingCase, Photo, User


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
    """What happened to a case, in words, from the audit trail (views are left out)."""
    from django.db.models import Q

    from cases.models import AuditEvent

    photo_ids = [str(pk) for pk in case.photos.values_list("pk", flat=True)]
    candidate_ids = [str(pk) for pk in case.candidates.values_list("pk", flat=True)]
    events = AuditEvent.objects.filter(
        Q(object_type="cases.missingcase", object_id=str(case.pk))
        | Q(object_type="cases.photo", object_id__in=photo_ids)
        | Q(object_type="matching.candidate", object_id__in=candidate_ids),
        action__in=timeline_event_names(),
    ).order_by("id")
    return [
        {
            "when": e.created_at,
            "what": audit_event_words(e.action),
            "object_id": e.object_id,
            "object_type": e.object_type,
        }
        for e in events
    ]


def notification_list(*, user: User) -> QuerySet:
    return user.notifications.filter(read_at__isnull=True)
