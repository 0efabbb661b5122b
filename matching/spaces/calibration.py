"""What a score means: the active threshold profile, the review bands, and evidence scores.

A profile (matching/profiles/<name>.json, written by `manage.py calibrate`) holds, for one
model and pipeline, the candidate threshold for a target false-match rate per comparison,
the band edges, and how the figures were measured. Never a bare percentage to reviewers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from django.conf import settings
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from matching.spaces.active import space_active
from matching.spaces.profiles import Profile, profile_read
from matching.spaces.rates import PairRule, rate_words

# Each further agreeing photo pair adds this share of its margin above the threshold.
AGREEMENT_WEIGHT = 0.5


@dataclass(frozen=True)
class Band:
    """A band's words, in the active language when score_band was called."""

    key: str
    words: str
    explanation: str


class _BandWords(NamedTuple):
    key: str
    words: Promise
    explanation: Promise


STRONG = _BandWords(
    "strong",
    _("Strong similarity"),
    _("Scores this high are rare between different people, but they do happen."),
)
POSSIBLE = _BandWords(
    "possible",
    _("Possible similarity"),
    _("Above the candidate threshold; different people often score this high too."),
)
WEAK = _BandWords(
    "weak", _("Weak similarity"), _("Below the candidate threshold: weak evidence on its own.")
)


def age_gap_note(*, gap: float) -> str:
    """The sentence added to a band's explanation when the photos are years apart (with its
    leading space), in the active language."""
    return " " + _(
        "The photos were taken about %(years)s years apart: faces change, so the same child "
        "often scores lower, and this band is wider than usual."
    ) % {"years": f"{gap:.0f}"}


def _band(band: _BandWords, explanation: str | Promise | None = None) -> Band:
    """A band's words as text in the active language."""
    return Band(
        band.key, str(band.words), str(band.explanation if explanation is None else explanation)
    )


def profile_active() -> Profile:
    """The profile of the active embedding space.

    REUNITE_MATCH_PROFILE wins when it is for the same space (new thresholds need no
    re-embedding); a profile for another space takes effect through `manage.py reembed`.
    """
    embedding_space = space_active()
    configured = profile_read(name=settings.MATCH_PROFILE)
    if configured.space == embedding_space.name:
        return configured
    return profile_read(name=embedding_space.profile)


def candidate_threshold(
    *, age_gap_years: float | None = None, profile: Profile | None = None
) -> float:
    """REUNITE_CANDIDATE_THRESHOLD when set, else the profile's (default: the active one)
    threshold for photos this far apart in age (unknown gaps get the close-in-age one)."""
    if settings.CANDIDATE_THRESHOLD is not None:
        return float(settings.CANDIDATE_THRESHOLD)
    profile = profile or profile_active()
    if age_gap_years is not None and age_gap_years >= settings.LARGE_AGE_GAP_YEARS:
        return profile.large_gap_threshold
    return profile.threshold


def pair_rule(
    *,
    score: float,
    case_age: float | None,
    report_age: float | None,
    offset: float = 0.0,
    profile: Profile | None = None,
) -> PairRule:
    """The threshold one (case photo, report photo) pair must clear, and the calibrated
    false-match rate at its score, for the ages in the two photos (unknown: the most
    cautious band) and the faces' cluster `offset` (see matching.spaces.rates).

    A profile without age cells keeps its adult threshold and large-age-gap rule.
    """
    if settings.CANDIDATE_THRESHOLD is not None:
        return PairRule(threshold=float(settings.CANDIDATE_THRESHOLD), fmr=0.0, cell="")
    profile = profile or profile_active()
    if profile.by_age:
        return profile.rates.pair(score=score, age_a=case_age, age_b=report_age, offset=offset)
    gap = None if case_age is None or report_age is None else abs(case_age - report_age)
    return PairRule(
        threshold=candidate_threshold(age_gap_years=gap, profile=profile), fmr=0.0, cell=""
    )


def search_floor(*, profile: Profile | None = None) -> float:
    """The lowest threshold any pair may need: hits below it are never candidates."""
    if settings.CANDIDATE_THRESHOLD is not None:
        return float(settings.CANDIDATE_THRESHOLD)
    profile = profile or profile_active()
    return min(profile.threshold, profile.large_gap_threshold, profile.rates.floor())


def evidence_floor(*, profile: Profile | None = None) -> float:
    """The lowest face score searched at all: under the search floor, a pair reaches review
    only when the other evidence carries it (matching/evidence/). An operator's threshold
    override has no calibrated rates to weigh a face by, so it searches from the override."""
    if settings.CANDIDATE_THRESHOLD is not None:
        return float(settings.CANDIDATE_THRESHOLD)
    profile = profile or profile_active()
    return min(search_floor(profile=profile), profile.rates.evidence_floor())


def expected_false_candidates(*, gallery_size: int, fmr: float | None = None) -> float:
    """False candidates expected per search of a gallery this size, at the profile's FMR."""
    profile = profile_active()
    return gallery_size * (profile.data["measured_fmr"] if fmr is None else fmr)


def score_band(
    *,
    score: float,
    age_gap_years: float | None = None,
    fmr: float | None = None,
    cell: str = "",
    threshold: float | None = None,
) -> Band:
    """The words a reviewer sees for a score.

    With the pair's calibrated rate (`fmr`, its age `cell` and the `threshold` it had to
    clear), the words say how often strangers of these ages, with faces like these, score
    this high. Without, a large age gap between the two photos widens the band: the same
    child photographed years apart scores lower, so a lower score still reads as
    "possible", and "strong" is not claimed.
    """
    if fmr and threshold is not None:
        return _calibrated_band(score=score, fmr=fmr, cell=cell, threshold=threshold)
    threshold = candidate_threshold()
    strong = _strong_edge(threshold=threshold)
    large_gap = age_gap_years is not None and age_gap_years >= settings.LARGE_AGE_GAP_YEARS
    note = age_gap_note(gap=age_gap_years) if large_gap and age_gap_years is not None else ""
    if large_gap:
        if settings.CANDIDATE_THRESHOLD is not None:
            floor = threshold - 0.025  # an operator override: keep the old fixed widening
        else:
            floor = profile_active().weak_floor
        if score >= floor:
            return _band(POSSIBLE, str(POSSIBLE.explanation) + note)
        return _band(WEAK, str(WEAK.explanation) + note)
    if score >= strong:
        return _band(STRONG)
    if score >= threshold:
        return _band(POSSIBLE)
    return _band(WEAK)


def _calibrated_band(*, score: float, fmr: float, cell: str, threshold: float) -> Band:
    profile = profile_active()
    ages = profile.rates.ages
    pairs = ages.cells[cell].impostor_pairs if ages is not None and cell in ages.cells else None
    words = rate_words(fmr=fmr, cell=cell, pairs=pairs)
    if score < threshold:
        return _band(WEAK, f"{words} {_('Below the threshold for these ages.')}")
    # "Strong": strangers ten times rarer than the candidate threshold allows.
    if fmr <= profile.target_fmr / 10:
        return _band(STRONG, f"{words} {STRONG.explanation}")
    return _band(POSSIBLE, f"{words} {_('Above the threshold for these ages.')}")


def _strong_edge(*, threshold: float) -> float:
    if settings.CANDIDATE_THRESHOLD is not None:
        return threshold + 0.025  # an operator override: keep the old fixed margin
    return profile_active().strong


def evidence_score(*, scores: Sequence[float], threshold: float) -> float:
    """One number for a (case, report) pair from all its photo-pair scores.

    The best pair's score, plus half of each further pair's margin above the threshold:
    one strong pair counts fully, and every other photo pair that also clears the
    threshold raises confidence a little. Pairs below the threshold add nothing (a poor
    photo must not lower a good match).
    """
    ordered = sorted(scores, reverse=True)
    if not ordered:
        return 0.0
    bonus = sum(max(0.0, s - threshold) for s in ordered[1:])
    return float(ordered[0] + AGREEMENT_WEIGHT * bonus)
