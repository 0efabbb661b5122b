"""Purpose limitation: per-organisation daily limits, and flagging sudden surges to operators.

A partner filing far more than usual may be misusing the service (e.g. building a gallery of
faces), so volume is capped per day and a surge is put in front of a person.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cases.access.permissions import Action, roles_allowed
from cases.audit.trail import audit_record
from cases.models import AuditEvent, FoundReport, Notification, Organisation, Photo, User
from reunite.kernel.errors import ReuniteError

KINDS = ("report", "photo")


class DailyLimitReached(ReuniteError):
    """The organisation has filed as many reports or photos today as it may."""

    code = "daily_limit_reached"
    status = 429
    title = gettext_lazy("Daily limit reached")

    def __init__(self, *, kind: str, limit: int, retry_after: int) -> None:
        self.kind = kind
        self.limit = limit
        self.retry_after = retry_after
        message = (
            _(
                "Your organisation has reached its limit of %(limit)s new photos today (UTC). "
                "Try again tomorrow, or ask the Reunite operators to review your limit."
            )
            if kind == "photo"
            else _(
                "Your organisation has reached its limit of %(limit)s new reports today (UTC). "
                "Try again tomorrow, or ask the Reunite operators to review your limit."
            )
        )
        super().__init__(message % {"limit": limit})

    def problem_extra(self) -> dict[str, Any]:
        return {"limit": self.limit, "kind": self.kind}

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


def _today_start(now: dt.datetime) -> dt.datetime:
    return now.astimezone(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def _count(*, organisation: Organisation, kind: str, since: dt.datetime, until: dt.datetime) -> int:
    model = FoundReport if kind == "report" else Photo
    return model.objects.filter(
        organisation=organisation, created_at__gte=since, created_at__lt=until
    ).count()


def daily_limit(*, organisation: Organisation, kind: str) -> int:
    override = (
        organisation.daily_report_limit if kind == "report" else organisation.daily_photo_limit
    )
    if override is not None:
        return override
    return settings.DAILY_REPORT_LIMIT if kind == "report" else settings.DAILY_PHOTO_LIMIT


def daily_limit_check(*, organisation: Organisation, kind: str, adding: int = 1) -> None:
    """Raise DailyLimitReached if adding `adding` more would pass today's limit.

    Call it inside the transaction that adds them: the organisation row is locked, so two
    uploads at once cannot both slip under the limit.
    """
    assert kind in KINDS
    Organisation.objects.select_for_update().filter(pk=organisation.pk).first()
    now = timezone.now()
    start = _today_start(now)
    limit = daily_limit(organisation=organisation, kind=kind)
    today = _count(organisation=organisation, kind=kind, since=start, until=now)
    if today + adding > limit:
        retry_after = int((start + dt.timedelta(days=1) - now).total_seconds()) + 1
        raise DailyLimitReached(kind=kind, limit=limit, retry_after=retry_after)


@transaction.atomic
def surge_check(*, organisation: Organisation, kind: str) -> bool:
    """Flag to operators, once per organisation per day, a day far above its usual volume.

    A surge: today's count is above REUNITE_SURGE_FACTOR x the daily average of the 14 days
    before, and at least REUNITE_SURGE_FLOOR. Returns True when this call raised the flag.
    """
    now = timezone.now()
    start = _today_start(now)
    today = _count(organisation=organisation, kind=kind, since=start, until=now)
    if today < settings.SURGE_FLOOR:
        return False
    before = _count(
        organisation=organisation, kind=kind, since=start - dt.timedelta(days=14), until=start
    )
    average = before / 14
    if today <= settings.SURGE_FACTOR * average:
        return False
    if AuditEvent.objects.filter(
        action="organisation.surge", organisation=organisation, created_at__gte=start
    ).exists():
        return False
    audit_record(
        actor=None,
        action="organisation.surge",
        obj=organisation,
        organisation=organisation,
        data={"kind": kind, "today": today, "daily_average_14d": round(average, 2)},
    )
    message = (
        f"Surge: {organisation.name} filed {today} {kind}s today against a 14-day average "
        f"of {average:.1f} a day. Check it, and pause the organisation if it is misuse."
    )
    Notification.objects.bulk_create(
        Notification(user=operator, message=message[:300], link="/admin/cases/organisation/")
        # Those who may pause an organisation are the ones to look.
        for operator in User.objects.filter(
            role__in=roles_allowed(Action.ORGANISATION_PAUSE), is_active=True
        )
    )
    return True
