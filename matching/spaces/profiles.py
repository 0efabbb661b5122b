"""Profiles: the files that define an embedding space and its calibrated thresholds.

A profile (matching/profiles/<name>.json, written by `manage.py calibrate`) names the
space (its name under the file format's `model_name` key, and the recognisers and their
fusion weights under `space`), the candidate
thresholds for photos close in age and a large age gap apart, the review bands, and how
they were measured. This module only reads them; which one is in force is
`calibration.profile_active`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path

from matching.spaces.rates import Rates

PROFILES_DIR = Path(__file__).resolve().parents[1] / "profiles"


@dataclass(frozen=True)
class Profile:
    name: str
    space: str  # the embedding space: Embedding.space and the index's folder
    threshold: float  # photos close in age, from impostor pairs of adults
    target_fmr: float
    strong: float  # band edge: "strong" at or above this
    # Photos a large age gap apart: from cross-age impostor pairs when calibrated on a set
    # with ages, else the same as `threshold` (see `large_gap_source`).
    large_gap_threshold: float
    large_gap_source: str
    # With a large age gap, the "possible" band starts here (at most large_gap_threshold).
    weak_floor: float
    data: dict

    @property
    def key(self) -> str:
        return self.name

    @cached_property
    def rates(self) -> Rates:
        """Per-pair thresholds and rates: by age cell and face cluster, when calibrated."""
        return Rates.from_profile_data(self.data, base_threshold=self.threshold)

    @property
    def by_age(self) -> bool:
        """Thresholds come from age cells, not from one adult threshold and an age gap."""
        return self.rates.ages is not None


def profile_path(*, name: str) -> Path:
    path = Path(name)
    return path if path.suffix == ".json" else PROFILES_DIR / f"{name}.json"


@cache
def _profile_read(path: str) -> Profile:
    data = json.loads(Path(path).read_text())
    threshold = float(data["threshold"])
    large_gap = data.get("large_age_gap") or {}
    large_gap_threshold = float(large_gap.get("threshold", threshold))
    return Profile(
        name=data["name"],
        space=data["model_name"],
        threshold=threshold,
        target_fmr=float(data["target_fmr"]),
        strong=float(data["bands"]["strong"]),
        large_gap_threshold=large_gap_threshold,
        large_gap_source=large_gap.get("source", "adult impostor pairs (no cross-age set)"),
        weak_floor=min(
            large_gap_threshold,
            float(data["bands"].get("large_age_gap_possible", large_gap_threshold)),
        ),
        data=data,
    )


def profile_read(*, name: str) -> Profile:
    return _profile_read(str(profile_path(name=name)))
