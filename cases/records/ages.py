"""The one age model: a child's age from a birth date, or from an age range true on a date.

Two precisions, on purpose, both computed here:
- whole years (`years_between`, `case_age_range`): what people read on a page and filter
  by, counting birthdays;
- fractional years (`years_elapsed`, `case_age_expected`, `case_photo_age`,
  `report_photo_age`): what matching compares, where a whole-year floor would throw away
  up to a year.

An age "8" given for a case is whole years, so the child may be up to a day short of 9;
`case_age_expected` widens the top of the range by one year for that.
"""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _

from cases.models import FoundReport, MissingCase, Photo

DAYS_PER_YEAR = 365.25

# Age bands in whole years, for reports on accuracy by age and for filtering.
AGE_BANDS: tuple[tuple[int, int], ...] = (
    (0, 5),
    (6, 11),
    (12, 17),
    (18, 29),
    (30, 49),
    (50, 200),
)
# The review queue filters found children by these.
CHILD_AGE_BANDS = AGE_BANDS[:3]


def years_between(start: dt.date, end: dt.date) -> int:
    """Whole years from `start` to `end`, counting birthdays."""
    return end.year - start.year - ((end.month, end.day) < (start.month, start.day))


def years_elapsed(start: dt.date, end: dt.date) -> float:
    """Fractional years from `start` to `end` (negative when `end` is earlier)."""
    return (end - start).days / DAYS_PER_YEAR


def age_range_on(
    *,
    date_of_birth: dt.date | None,
    age_min: int | None,
    age_max: int | None,
    known_on: dt.date,
    on: dt.date,
) -> tuple[int, int] | None:
    """The child's possible ages on `on` in whole years, given a birth date or an age range
    true on `known_on`. None when neither is known.
    """
    if date_of_birth is not None:
        age = years_between(date_of_birth, on)
        return age, age
    if age_min is None or age_max is None:
        return None
    elapsed = years_between(known_on, on) if on >= known_on else -years_between(on, known_on)
    return age_min + elapsed, age_max + elapsed


def case_age_range(*, case: MissingCase, on: dt.date) -> tuple[int, int] | None:
    """A missing child's possible ages on `on`, in whole years (for pages and filters)."""
    return age_range_on(
        date_of_birth=case.date_of_birth,
        age_min=case.age_min,
        age_max=case.age_max,
        known_on=case.last_seen_on,
        on=on,
    )


def case_age_expected(*, case: MissingCase, on: dt.date) -> tuple[float, float]:
    """A missing child's age on `on` in fractional years (for matching), from the birth
    date or from the age when last seen; never younger than when last seen.
    """
    if case.date_of_birth is not None:
        age = years_elapsed(case.date_of_birth, on)
        return age, age
    elapsed = max(0.0, years_elapsed(case.last_seen_on, on))
    if case.age_min is None or case.age_max is None:
        raise ValueError(f"Case {case.pk} has neither a birth date nor an age range.")
    # Whole years when last seen: a child "8" may be up to a day short of 9.
    return case.age_min + elapsed, case.age_max + 1 + elapsed


def case_photo_age(*, case: MissingCase, photo: Photo) -> float | None:
    """The child's age in a case photo: stated, or from its date and the birth date or age."""
    if photo.age_in_photo is not None:
        return float(photo.age_in_photo)
    if photo.taken_on is None:
        return None
    if case.date_of_birth is not None:
        return years_elapsed(case.date_of_birth, photo.taken_on)
    if case.age_min is not None and case.age_max is not None:
        age_when_last_seen = (case.age_min + case.age_max) / 2
        return age_when_last_seen - years_elapsed(photo.taken_on, case.last_seen_on)
    return None


def report_photo_age(*, report: FoundReport, photo: Photo) -> float:
    """The found child's age in a report photo: stated, or the estimate at its date.

    An undated report photo is taken to show the child as found.
    """
    if photo.age_in_photo is not None:
        return float(photo.age_in_photo)
    estimate = (report.estimated_age_min + report.estimated_age_max) / 2
    if photo.taken_on is None:
        return estimate
    return estimate - years_elapsed(photo.taken_on, report.found_on)


def report_photo_age_known(*, photo: Photo) -> bool:
    """Whether a report photo's age is known (stated, or dated), not assumed from the found
    date. Pages say "unknown" when it is not, even though matching assumes it.
    """
    return photo.age_in_photo is not None or photo.taken_on is not None


def ages_words(ages: tuple[int, int] | None) -> str:
    """Whole-year ages for people: "8", "7 to 9", or "unknown"."""
    if ages is None:
        return _("unknown")
    low, high = ages
    # Translators: an age range in years, "7 to 9".
    return str(low) if low == high else _("%(low)s to %(high)s") % {"low": low, "high": high}
