"""What people type, checked in one place: the models' fields and `clean()` use these, so the
API, the portal forms and bulk filing refuse the same things with the same words."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.utils import timezone

EARLIEST_DATE = dt.date(1900, 1, 1)
# Clocks differ, and a date typed in a time zone ahead of UTC is already tomorrow.
CLOCK_SKEW = dt.timedelta(days=1)
# Free text (descriptions, notes, consent scope): enough for a page, never a megabyte.
TEXT_MAX_LENGTH = 5000


def _as_date(value: dt.date | dt.datetime) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def date_not_in_future(value: dt.date | dt.datetime | None) -> None:
    if value is None:
        return
    latest = (timezone.now() + CLOCK_SKEW).date()
    if _as_date(value) > latest:
        raise ValidationError(
            f"This date is in the future; enter a date on or before {latest.isoformat()}.",
            code="date_in_future",
        )


def date_not_before_1900(value: dt.date | dt.datetime | None) -> None:
    if value is None:
        return
    if _as_date(value) < EARLIEST_DATE:
        raise ValidationError("Enter a date on or after 1900-01-01.", code="date_too_early")


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
                    f"The {what} ({later.isoformat()}) is before the date of birth "
                    f"({date_of_birth.isoformat()}).",
                    code="before_birth",
                )
            }
        )
