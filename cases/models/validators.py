"""What people type, checked in one place: the models' fields and `clean()` use these, so the
API, the portal forms and bulk filing refuse the same things with the same words."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.utils import timezone
from django.utils.translation import gettext as _

EARLIEST_DATE = dt.date(1900, 1, 1)
# A field alone does not know whose date it is, so it allows today anywhere on Earth (the
# last zone is UTC+14); the record's clean() then holds it to its organisation's today.
LATEST_ZONE_OFFSET = dt.timedelta(hours=14)
# Free text (descriptions, notes, consent scope): enough for a page, never a megabyte.
TEXT_MAX_LENGTH = 5000
# Reunite is for children: anyone 18 or older is not a case or a found child here.
CHILD_AGE_MAX = 17


def _as_date(value: dt.date | dt.datetime, zone: dt.tzinfo = dt.UTC) -> dt.date:
    if isinstance(value, dt.datetime):
        return timezone.localtime(value, zone).date() if timezone.is_aware(value) else value.date()
    return value


def _future(latest: dt.date, time_zone: str = "") -> ValidationError:
    if time_zone:
        message = _(
            "This date is in the future; enter a date on or before %(date)s (today in "
            "%(time_zone)s)."
        ) % {"date": latest.isoformat(), "time_zone": time_zone}
    else:
        message = _("This date is in the future; enter a date on or before %(date)s.") % {
            "date": latest.isoformat()
        }
    return ValidationError(message, code="date_in_future")


def date_not_in_future(value: dt.date | dt.datetime | None) -> None:
    if value is None:
        return
    latest = (timezone.now() + LATEST_ZONE_OFFSET).date()
    if _as_date(value) > latest:
        raise _future(latest)


def time_zone_valid(value: str) -> None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError(
            _("Enter a time zone by its IANA name, such as Africa/Nairobi or UTC."),
            code="time_zone_unknown",
        ) from exc


def local_today(*, time_zone: str) -> dt.date:
    """Today's date where the organisation is."""
    return timezone.localdate(timezone=zoneinfo.ZoneInfo(time_zone))


def dates_not_after_today(*, record: Any, fields: Iterable[str], time_zone: str) -> None:
    """Each of the record's `fields` (dates or date-times) is on or before today in
    `time_zone`, the organisation's: tomorrow in UTC is still the future in UTC."""
    today = local_today(time_zone=time_zone)
    zone = zoneinfo.ZoneInfo(time_zone)
    errors = {
        field: _future(today, time_zone)
        for field in fields
        if getattr(record, field, None) is not None
        and _as_date(getattr(record, field), zone) > today
    }
    if errors:
        raise ValidationError(errors)


def missing_child_age(value: int | None) -> None:
    if value is not None and value > CHILD_AGE_MAX:
        raise ValidationError(
            _("Reunite is for children: enter an age when last seen from 0 to %(max)s.")
            % {"max": CHILD_AGE_MAX},
            code="not_a_child",
        )


def found_child_age(value: int | None) -> None:
    if value is not None and value > CHILD_AGE_MAX:
        raise ValidationError(
            _(
                "A found child is under 18: enter an estimated age from 0 to %(max)s. Adults "
                "are not filed as found children."
            )
            % {"max": CHILD_AGE_MAX},
            code="not_a_child",
        )


def child_when_last_seen(*, date_of_birth: dt.date | None, last_seen_on: dt.date | None) -> None:
    """Someone born on `date_of_birth` was under 18 on `last_seen_on`."""
    if not date_of_birth or not last_seen_on:
        return
    years = last_seen_on.year - date_of_birth.year
    years -= (last_seen_on.month, last_seen_on.day) < (date_of_birth.month, date_of_birth.day)
    if years > CHILD_AGE_MAX:
        raise ValidationError(
            {
                "date_of_birth": ValidationError(
                    _(
                        "With this date of birth the child was %(years)s when last seen "
                        "(%(date)s); Reunite is for children under 18. Check the date of birth."
                    )
                    % {"years": years, "date": last_seen_on.isoformat()},
                    code="not_a_child",
                )
            }
        )


def date_not_before_1900(value: dt.date | dt.datetime | None) -> None:
    if value is None:
        return
    if _as_date(value) < EARLIEST_DATE:
        raise ValidationError(_("Enter a date on or after 1900-01-01."), code="date_too_early")


DATE_VALIDATORS = [date_not_in_future, date_not_before_1900]
TEXT_VALIDATORS = [MaxLengthValidator(TEXT_MAX_LENGTH)]


def birth_before(
    *, date_of_birth: dt.date | None, later: dt.date | None, field: str, what: str
) -> None:
    """The date of birth is on or before `later` (last seen, a photo's date)."""
    if date_of_birth and later and date_of_birth > later:
        raise ValidationError(
            {
                field: ValidationError(
                    # Translators: what is "last-seen date", "date the photo was taken"...
                    _("The %(what)s (%(date)s) is before the date of birth (%(birth)s).")
                    % {
                        "what": what,
                        "date": later.isoformat(),
                        "birth": date_of_birth.isoformat(),
                    },
                    code="before_birth",
                )
            }
        )
