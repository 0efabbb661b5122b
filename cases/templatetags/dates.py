"""One date format everywhere: `{{ value|day }}` and `{{ value|moment }}` (built in: no load).

Dates read "3 Mar 2025" and times "3 Mar 2025, 14:05" (UTC, the service's time zone),
whatever the page.
"""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils import timezone
from django.utils.dateformat import format as date_format

register = template.Library()

DAY = "j M Y"
MOMENT = "j M Y, H:i"


@register.filter
def day(value: dt.date | dt.datetime | None) -> str:
    if not value:
        return ""
    if isinstance(value, dt.datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    return date_format(value, DAY)


@register.filter
def moment(value: dt.datetime | None) -> str:
    if not value:
        return ""
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return date_format(value, MOMENT)
