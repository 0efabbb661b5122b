"""What a score means: the active threshold profile, the review bands, and evidence scores.

A profile (matching/profiles/<name>.json, written by `manage.py calibrate`) holds, for one
model and pipeline, the candidate threshold for a target false-match rate per comparison,
the band edges, and how the figures were measured. Never a bare percentage to reviewers.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.conf import settings

PROFILES_DIR = Path(__file__).resolve().parent / "profiles"
# Each further agreeing photo pair adds this share of its margin above the threshold.
AGREEMENT_WEIGHT = 0.5


@dataclass(frozen=True)
class Band:
    key: str
    words: str
    explanation: str


STRONG = Band(
    "strong",
    "Strong similarity",
    "Scores this high are rare between different people, but they do happen.",
)
POSSIBLE = Band(
    "possible",
    "Possible similarity",
    "Above the candidate threshold; different people often score this high too.",
)
WEAK = Band("weak", "Weak similarity", "Below the candidate threshold: weak evidence on its own.")
AGE_GAP_NOTE = (
    " The photos were taken about {gap:.0f} years apart: faces change, so the same child "
    "often scores lower, and this band is wider than usual."
)


@dataclass(frozen=True)
class Profile:
    name: str
    model_name: str
    threshold: float
    target_fmr: float
    strong: float  # band edge: "strong" at or above this
    weak_floor: float  # with a large age gap, "possible" starts here instead of `threshold`
    data: dict

    @property
    def key(self) -> str:
        return self.name


def profile_path(*, name: str) -> Path:
    path = Path(name)
    return path if path.suffix == ".json" else PROFILES_DIR / f"{name}.json"


@cache
def _profile_read(path: str) -> Profile:
    data = json.loads(Path(path).read_text())
    return Profile(
        name=data["name"],
        model_name=data["model_name"],
        threshold=float(data["threshold"]),
        target_fmr=float(data["target_fmr"]),
        strong=float(data["bands"]["strong"]),
        weak_floor=float(data["bands"]["large_age_gap_possible"]),
        data=data,
    )


def profile_active() -> Profile:
    """The profile named by REUNITE_MATCH_PROFILE, for the configured model."""
    profile = _profile_read(str(profile_path(name=settings.MATCH_PROFILE)))
    if profile.model_name != settings.FACE_MODEL:
        raise RuntimeError(
            f"Profile {profile.name} is for {profile.model_name}, not {settings.FACE_MODEL}: "
            "run `manage.py calibrate` for the active model."
        )
    return profile


def candidate_threshold() -> float:
    """REUNITE_CANDIDATE_THRESHOLD when set, else the active profile's threshold."""
    if settings.CANDIDATE_THRESHOLD is not None:
        return float(settings.CANDIDATE_THRESHOLD)
    return profile_active().threshold


def expected_false_candidates(*, gallery_size: int, fmr: float | None = None) -> float:
    """False candidates expected per search of a gallery this size, at the profile's FMR."""
    profile = profile_active()
    return gallery_size * (profile.data["measured_fmr"] if fmr is None else fmr)


def score_band(*, score: float, age_gap_years: float | None = None) -> Band:
    """The words a reviewer sees for a score.

    A large age gap between the two photos widens the band: the same child photographed
    years apart scores lower, so a lower score still reads as "possible", and "strong"
    is not claimed.
    """
    threshold = candidate_threshold()
    strong = _strong_edge(threshold=threshold)
    large_gap = age_gap_years is not None and age_gap_years >= settings.LARGE_AGE_GAP_YEARS
    note = AGE_GAP_NOTE.format(gap=age_gap_years) if large_gap else ""
    if large_gap:
        floor = threshold - _gap_widening(threshold=threshold)
        if score >= floor:
            return Band(POSSIBLE.key, POSSIBLE.words, POSSIBLE.explanation + note)
        return Band(WEAK.key, WEAK.words, WEAK.explanation + note)
    if score >= strong:
        return STRONG
    if score >= threshold:
        return POSSIBLE
    return WEAK


def _strong_edge(*, threshold: float) -> float:
    if settings.CANDIDATE_THRESHOLD is not None:
        return threshold + 0.025  # an operator override: keep the old fixed margin
    return profile_active().strong


def _gap_widening(*, threshold: float) -> float:
    if settings.CANDIDATE_THRESHOLD is not None:
        return 0.025
    profile = profile_active()
    return max(0.0, profile.threshold - profile.weak_floor)


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
