"""What a case and a report say about the child, compared: sex, age and dates."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from cases.models import FoundReport, MissingCase, Photo, Sex
from cases.records.ages import (
    ages_words,
    case_age_expected,
    case_age_range,
    case_photo_age,
    report_photo_age,
)


def photo_age_gap(
    *, case: MissingCase, case_photo: Photo, report: FoundReport, report_photo: Photo
) -> float | None:
    case_age = case_photo_age(case=case, photo=case_photo)
    if case_age is None:
        return None
    return round(abs(report_photo_age(report=report, photo=report_photo) - case_age), 1)


@dataclass
class Compatibility:
    notes: dict = field(default_factory=dict)
    hold_reasons: list[str] = field(default_factory=list)


def _sex_word(sex: str) -> str:
    """The stored value in English ("female"), as the reason always said; else translated."""
    words: dict[str, str] = {
        Sex.FEMALE: pgettext("sex", "female"),
        Sex.MALE: pgettext("sex", "male"),
    }
    return str(words.get(sex, sex))


def compatibility_check(*, case: MissingCase, report: FoundReport) -> Compatibility:
    """Sex, age and dates of a case and a report, each noted; reasons to hold back listed."""
    result = Compatibility()
    known = {Sex.FEMALE, Sex.MALE}
    if case.sex in known and report.sex in known:
        result.notes["sex"] = "same" if case.sex == report.sex else "different"
        if case.sex != report.sex:
            # Translators: the values are the recorded sexes ("female", "male").
            result.hold_reasons.append(
                _("Sex differs: the case says %(case)s, the report says %(report)s.")
                % {"case": _sex_word(case.sex), "report": _sex_word(report.sex)}
            )
    else:
        result.notes["sex"] = "unknown"

    if report.found_on < case.last_seen_on:
        result.notes["dates"] = "found_before_last_seen"
        result.hold_reasons.append(
            _(
                "The child was found on %(found)s, before the missing child was last seen "
                "(%(last_seen)s)."
            )
            % {
                "found": formats.date_format(report.found_on, "d M Y"),
                "last_seen": formats.date_format(case.last_seen_on, "d M Y"),
            }
        )
    else:
        result.notes["dates"] = "ok"

    low, high = case_age_expected(case=case, on=report.found_on)
    est_low, est_high = report.estimated_age_min, report.estimated_age_max + 1
    tolerance = settings.AGE_TOLERANCE_YEARS
    result.notes["age_expected"] = [round(low, 1), round(high, 1)]
    result.notes["age_estimated"] = [report.estimated_age_min, report.estimated_age_max]
    if high >= est_low and low <= est_high:
        result.notes["age"] = "compatible"
    elif high + tolerance >= est_low and low - tolerance <= est_high:
        # Age estimates of children are rough; a near miss is flagged, not held back.
        result.notes["age"] = "borderline"
    else:
        result.notes["age"] = "incompatible"
        # Whole years, as the candidate page shows them ("11", not "about 11 to 11").
        expected = ages_words(case_age_range(case=case, on=report.found_on))
        estimated = ages_words((report.estimated_age_min, report.estimated_age_max))
        result.hold_reasons.append(
            _(
                "Age does not fit: the missing child would be %(expected)s when found; the "
                "found child is estimated at %(estimated)s."
            )
            % {"expected": expected, "estimated": estimated}
        )
    return result
