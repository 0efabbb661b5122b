"""One date format everywhere: `{{ value|day }}` and `{{ value|moment }}` (built in: no load).

Dates and times follow the page's language through Django's locale formats: in English
dates read "3 Mar 2025" and times "3 Mar 2025, 14:05" (UTC, the service's time zone); in
French "3 mars 2025", in Arabic "3 مارس، 2025". Times are always on the 24-hour clock.
"""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils import formats, timezone
from django.utils.dateformat import time_format
from django.utils.translation import pgettext

register = template.Library()

TIME = "H:i"


@register.filter
def day(value: dt.date | dt.datetime | None) -> str:
    if not value:
        return ""
    if isinstance(value, dt.datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    return formats.date_format(value, "DATE_FORMAT")


@register.filter
def moment(value: dt.datetime | None) -> str:
    if not value:
        return ""
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    # The order of date and time and what joins them are the language's own.
    return pgettext("a date and a time of day", "%(date)s, %(time)s") % {
        "date": formats.date_format(value, "DATE_FORMAT"),
        "time": time_format(value, TIME),
    }
