"""Ages in whole years, from a date of birth or an age range when the birth date is unknown."""

from __future__ import annotations

import datetime as dt


def years_between(start: dt.date, end: dt.date) -> int:
    return end.year - start.year - ((end.month, end.day) < (start.month, start.day))


def age_range_on(
    *,
    date_of_birth: dt.date | None,
    age_min: int | None,
    age_max: int | None,
    known_on: dt.date,
    on: dt.date,
) -> tuple[int, int] | None:
    """The child's possible ages on `on`, given a birth date or an age range true on `known_on`."""
    if date_of_birth is not None:
        age = years_between(date_of_birth, on)
        return age, age
    if age_min is None or age_max is None:
        return None
    elapsed = years_between(known_on, on) if on >= known_on else -years_between(on, known_on)
    return age_min + elapsed, age_max + elapsed
