"""Reads for cases, found reports and photos, always scoped to the reader's organisation."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet
from django.http import Http404

from cases.models import FoundReport, MissingCase, Photo, User
from cases.permissions import Action, action_require


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
