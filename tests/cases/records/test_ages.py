"""The one age model: whole years for people, fractional years for matching."""

import datetime as dt

from cases.models import FoundReport, MissingCase, Photo
from cases.records.ages import (
    case_age_expected,
    case_age_range,
    case_photo_age,
    report_photo_age,
    years_between,
    years_elapsed,
)


def _case(**fields: object) -> MissingCase:
    defaults = {"age_min": 8, "age_max": 9, "last_seen_on": dt.date(2020, 6, 1)}
    return MissingCase(**{**defaults, **fields})


def test_whole_years_count_birthdays():
    assert years_between(dt.date(2015, 6, 2), dt.date(2025, 6, 1)) == 9
    assert years_between(dt.date(2015, 6, 1), dt.date(2025, 6, 1)) == 10


def test_a_range_grows_with_the_years_since_last_seen():
    case = _case()
    assert case_age_range(case=case, on=dt.date(2023, 6, 1)) == (11, 12)
    assert case_age_range(case=case, on=dt.date(2023, 5, 31)) == (10, 11)


def test_a_birth_date_wins_over_a_range():
    case = _case(date_of_birth=dt.date(2015, 1, 1))
    assert case_age_range(case=case, on=dt.date(2025, 6, 1)) == (10, 10)
    low, high = case_age_expected(case=case, on=dt.date(2025, 1, 1))
    assert low == high == years_elapsed(dt.date(2015, 1, 1), dt.date(2025, 1, 1))


def test_matching_widens_a_whole_year_age_to_the_day_before_the_next_birthday():
    low, high = case_age_expected(case=_case(), on=dt.date(2020, 6, 1))
    assert (low, high) == (8, 10)


def test_matching_never_makes_a_child_younger_than_when_last_seen():
    assert case_age_expected(case=_case(), on=dt.date(2019, 6, 1)) == (8, 10)


def test_photo_ages_come_from_the_stated_age_or_the_photo_date():
    case = _case(date_of_birth=dt.date(2010, 1, 1))
    assert case_photo_age(case=case, photo=Photo(age_in_photo=5)) == 5.0
    assert case_photo_age(case=case, photo=Photo()) is None
    report = FoundReport(estimated_age_min=8, estimated_age_max=10, found_on=dt.date(2025, 1, 1))
    assert report_photo_age(report=report, photo=Photo()) == 9.0
    assert report_photo_age(report=report, photo=Photo(taken_on=dt.date(2024, 1, 1))) < 9.0
