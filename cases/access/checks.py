"""`manage.py check --deploy`: superusers are break-glass accounts, not standing ones."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core import checks
from django.db import DatabaseError
from django.utils import timezone

from cases.models import User


def break_glass_open(*, now: dt.datetime | None = None) -> bool:
    """True while REUNITE_BREAK_GLASS_UNTIL (an ISO date-time) lies in the future."""
    until = settings.BREAK_GLASS_UNTIL
    return until is not None and (now or timezone.now()) < until


@checks.register(checks.Tags.security, deploy=True)
def superuser_check(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    if break_glass_open():
        return []
    try:
        names = list(
            User.objects.filter(is_superuser=True, is_active=True)
            .order_by("username")
            .values_list("username", flat=True)[:5]
        )
    except DatabaseError:
        return []  # no database yet (an image build): nothing to say about its accounts
    if not names:
        return []
    return [
        checks.Warning(
            f"Active superuser accounts outside a break-glass window: {', '.join(names)}.",
            hint=(
                "Superusers are for incidents only (docs/safeguards.md). Deactivate them, or "
                "set REUNITE_BREAK_GLASS_UNTIL to the end of the incident's window."
            ),
            id="reunite.W001",
        )
    ]
