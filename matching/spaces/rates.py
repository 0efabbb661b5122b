"""What a score means for one pair of faces: thresholds and false-match rates that hold for
the two photos' ages and for the kind of faces they are.

Plain numpy and the profile's numbers, so `evaluate` measures exactly what the search runs.

Two tables come from `calibrate`:
- **face clusters** (unsupervised fair score normalisation after Terhörst et al. 2020): the
  face space is split into clusters without any label; each pair of clusters has an offset,
  how much higher (or lower) than overall strangers from those two clusters score at the
  target rate (in the shipped profile, the mean of the two clusters' own offsets). A pair's
  score is normalised by its two faces' clusters' offset, so faces among look-alikes need
  more. Demographic labels are used only to measure this, never to fit or run it.
- **age cells**: one threshold per pair of age bands (the age in each photo), each set to
  the target false-match rate on cross-age impostor pairs' normalised scores, with the
  counts behind it. Young children's faces look far more alike than adults', so one adult
  threshold lets strangers through hundreds of times more often than it says.

A pair clears its cell's threshold plus its clusters' offset; its stated rate is the cell's
rate at its normalised score.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

# Upper edges (exclusive) of the age bands, in years: under 6, 6-12, 13-17, 18 and over.
AGE_BAND_EDGES = (6.0, 13.0, 18.0)
AGE_BAND_LABELS = ("under 6", "6-12", "13-17", "18+")
# Translators: these complete "For photos of …, faces this similar are seen…".
AGE_BAND_PHRASES = (
    gettext_lazy("young children (under 6)"),
    gettext_lazy("children aged 6 to 12"),
    gettext_lazy("teenagers (13 to 17)"),
    gettext_lazy("adults"),
)


ADULT_BAND = len(AGE_BAND_LABELS) - 1
ADULT_CELL = f"{AGE_BAND_LABELS[-1]}|{AGE_BAND_LABELS[-1]}"


def age_band(age: float | None) -> int | None:
    """The band index of an age in years; None when the age is unknown."""
    if age is None or (isinstance(age, float) and math.isnan(age)):
        return None
    return int(np.searchsorted(AGE_BAND_EDGES, age, side="right"))


def age_bands(ages: np.ndarray) -> np.ndarray:
    """Band index per age; -1 where the age is unknown (NaN)."""
    bands = np.searchsorted(AGE_BAND_EDGES, np.nan_to_num(ages, nan=0.0), side="right")
    return np.where(np.isnan(ages), -1, bands)


def cell_key(a: int, b: int) -> str:
    low, high = sorted((a, b))
    return f"{AGE_BAND_LABELS[low]}|{AGE_BAND_LABELS[high]}"


@dataclass(frozen=True)
class Cell:
    threshold: float
    stated_fmr: float  # false matches per comparison at the threshold, on the calibration set
    impostor_pairs: int
    genuine_pairs: int
    # Too few impostor pairs to estimate: the threshold of a stricter neighbouring cell.
    inherited_from: str | None
    # (score, false-match rate) points, score ascending, for the words at any score.
    curve: tuple[tuple[float, float], ...]

    def rate_at(self, score: float) -> float:
        return curve_rate(curve=self.curve, score=score)


def curve_rate(*, curve: Sequence[Sequence[float]], score: float) -> float:
    """The false-match rate at `score`, log-interpolated between measured points."""
    if not curve:
        return 0.0
    scores = np.array([p[0] for p in curve])
    logs = np.log(np.maximum([p[1] for p in curve], 1e-12))
    return float(np.exp(np.interp(score, scores, logs)))


def rate_curve(*, impostor: np.ndarray, fmrs: Sequence[float]) -> list[list[float]]:
    """(score, rate) points where impostor scores reach each rate in `fmrs` (largest first),
    down to the rarest rate these pairs can show."""
    ordered = np.sort(impostor)[::-1]
    points: list[list[float]] = []
    for fmr in sorted(fmrs, reverse=True):
        allowed = math.floor(fmr * len(ordered))
        if allowed < 1:
            break
        points.append([round(float(ordered[allowed - 1]), 5), fmr])
    if len(ordered):
        # The highest stranger seen: rarer than one in this many.
        points.append([round(float(ordered[0]) + 1e-5, 5), 1.0 / len(ordered)])
    return sorted(points)


@dataclass(frozen=True)
class AgeTable:
    cells: dict[str, Cell]
    source: str
    target_fmr: float

    def cell(self, a: int | None, b: int | None) -> tuple[str, Cell]:
        """The cell for two photos' bands; an unknown age takes its most cautious band."""
        options_a = range(len(AGE_BAND_LABELS)) if a is None else (a,)
        options_b = range(len(AGE_BAND_LABELS)) if b is None else (b,)
        keys = {cell_key(x, y) for x in options_a for y in options_b}
        key = max(sorted(keys), key=lambda k: self.cells[k].threshold)
        return key, self.cells[key]

    def thresholds(self, bands_a: np.ndarray, bands_b: np.ndarray) -> np.ndarray:
        """Vectorised `cell(...).threshold` over pairs of band indices (-1: unknown)."""
        n = len(AGE_BAND_LABELS)
        matrix = np.array(
            [[self.cells[cell_key(i, j)].threshold for j in range(n)] for i in range(n)]
        )
        # Row n / column n: an unknown age takes the strictest band for the other photo.
        row_max = matrix.max(axis=1)
        full = np.zeros((n + 1, n + 1))
        full[:n, :n] = matrix
        full[:n, n] = row_max
        full[n, :n] = row_max
        full[n, n] = matrix.max()
        a = np.where(bands_a < 0, n, bands_a)
        b = np.where(bands_b < 0, n, bands_b)
        return full[a, b]

    @classmethod
    def from_data(cls, data: dict) -> AgeTable:
        cells = {
            key: Cell(
                threshold=float(c["threshold"]),
                stated_fmr=float(c["stated_fmr"]),
                impostor_pairs=int(c["impostor_pairs"]),
                genuine_pairs=int(c.get("genuine_pairs", 0)),
                inherited_from=c.get("inherited_from"),
                curve=tuple((float(s), float(r)) for s, r in c.get("curve", [])),
            )
            for key, c in data["cells"].items()
        }
        return cls(cells=cells, source=data.get("source", ""), target_fmr=data["target_fmr"])


@dataclass(frozen=True)
class Clusters:
    """Face clusters, and the offset each pair of clusters adds to a pair's threshold.

    `offsets[i, j]`: the threshold the target rate needs among strangers of clusters i and j,
    less the one it needs among all strangers. Per pair of clusters, not per face: strangers
    of one kind score higher than strangers of unlike kinds, and an offset per face cannot
    say which pair it is in. `base_threshold` and `base_curve` are for normalised scores.
    """

    centroids: np.ndarray  # unit vectors, one row per cluster
    offsets: np.ndarray  # (clusters x clusters), symmetric
    base_threshold: float
    base_curve: tuple[tuple[float, float], ...]
    # Fitted on adults' faces, offsets per pair of clusters apply only to two adults'
    # photos: children fall into the adults' clusters in ways that say nothing of children
    # (measured: they hid up to a third of the children found). Earlier profiles apply
    # their offsets to every pair.
    adults_only: bool = False

    def assign(self, vectors: np.ndarray) -> np.ndarray:
        return np.argmax(np.atleast_2d(vectors) @ self.centroids.T, axis=1)

    def pair_offsets(self, vectors_a: np.ndarray, vectors_b: np.ndarray) -> np.ndarray:
        """The offset of every (a, b) pair of faces: len(a) x len(b)."""
        return self.offsets[np.ix_(self.assign(vectors_a), self.assign(vectors_b))]

    @classmethod
    def from_data(cls, data: dict) -> Clusters:
        offsets = np.asarray(data["offsets"], dtype=np.float64)
        if offsets.ndim == 1:
            # Profiles before sface-dlib-ages-v3 kept one offset per face: a pair took the mean.
            offsets = (offsets[:, None] + offsets[None, :]) / 2
        return cls(
            centroids=np.asarray(data["centroids"], dtype=np.float32),
            offsets=offsets,
            base_threshold=float(data["base_threshold"]),
            base_curve=tuple((float(s), float(r)) for s, r in data["base_curve"]),
            adults_only=data.get("applies_to") == "adults",
        )


@dataclass(frozen=True)
class PairRule:
    """The threshold and rate words for one pair: what a search and a reviewer both use."""

    threshold: float
    fmr: float  # false matches per comparison at this pair's score, for faces like these
    cell: str  # the age cell, e.g. "under 6|6-12"; "" without an age table


@dataclass(frozen=True)
class Rates:
    """A profile's age table and face clusters, applied to pairs."""

    base_threshold: float
    base_curve: tuple[tuple[float, float], ...]
    ages: AgeTable | None
    clusters: Clusters | None

    @classmethod
    def from_profile_data(cls, data: dict, *, base_threshold: float) -> Rates:
        table = data.get("age_cells")
        clusters = Clusters.from_data(data["clusters"]) if data.get("clusters") else None
        curve = tuple((float(s), float(r)) for s, r in data.get("rate_curve", []))
        return cls(
            base_threshold=base_threshold,
            base_curve=clusters.base_curve if clusters is not None else curve,
            ages=AgeTable.from_data(table) if table else None,
            clusters=clusters,
        )

    def floor(self) -> float:
        """No pair's threshold is lower than this."""
        lowest = self.base_threshold
        if self.ages is not None:
            lowest = min(lowest, min(c.threshold for c in self.ages.cells.values()))
        if self.clusters is not None:
            lowest += min(0.0, float(self.clusters.offsets.min()))
        return lowest

    def evidence_floor(self) -> float:
        """The lowest score whose false-match rate the curves still measure (about one
        stranger in two): a weaker face says nothing, so no other evidence is weighed
        with it. Pairs between this and their threshold reach review only when the other
        evidence carries them (matching/evidence/)."""
        curves = [self.base_curve]
        if self.ages is not None:
            curves += [c.curve for c in self.ages.cells.values()]
        lowest = min((curve[0][0] for curve in curves if curve), default=self.floor())
        if self.clusters is not None:
            lowest += min(0.0, float(self.clusters.offsets.min()))
        return min(lowest, self.floor())

    def thresholds(
        self,
        *,
        bands_a: np.ndarray,
        bands_b: np.ndarray,
        offsets: np.ndarray | None = None,
    ) -> np.ndarray:
        """Each pair's threshold: its age cell's (without an age table, the base) plus its
        clusters' offset (`pair_offsets`)."""
        n = np.broadcast(bands_a, bands_b).shape
        if self.ages is not None:
            cell = self.ages.thresholds(np.asarray(bands_a), np.asarray(bands_b))
        else:
            cell = np.full(n, self.base_threshold)
        if self.clusters is None or offsets is None:
            return np.broadcast_to(cell, n).astype(np.float64)
        if self.ages is not None and self.clusters.adults_only:
            adults = (np.asarray(bands_a) == ADULT_BAND) & (np.asarray(bands_b) == ADULT_BAND)
            return cell + np.where(adults, offsets, 0.0)
        return cell + np.asarray(offsets)

    def pair_offsets(self, vectors_a: np.ndarray, vectors_b: np.ndarray) -> np.ndarray:
        """The clusters' offset of every (a, b) pair of faces: len(a) x len(b). Vectors of
        another space (the test suite's fake engine) have no clusters, so no offset."""
        vectors_a, vectors_b = np.atleast_2d(vectors_a), np.atleast_2d(vectors_b)
        if self.clusters is None or vectors_a.shape[1] != self.clusters.centroids.shape[1]:
            return np.zeros((len(vectors_a), len(vectors_b)))
        return self.clusters.pair_offsets(vectors_a, vectors_b)

    def pair_offset(self, vector_a: np.ndarray, vector_b: np.ndarray | None) -> float:
        """The clusters' offset of one pair of faces (0 without the other's vector)."""
        if vector_b is None:
            return 0.0
        return float(self.pair_offsets(vector_a, vector_b)[0, 0])

    def pair(
        self, *, score: float, age_a: float | None, age_b: float | None, offset: float = 0.0
    ) -> PairRule:
        """The rule for one pair: its threshold and its calibrated rate at `score`.

        `offset` is the two faces' clusters' offset (`pair_offset`).
        """
        if self.ages is None:
            normalised = score - offset
            fmr = curve_rate(curve=self.base_curve, score=normalised) if self.base_curve else 0.0
            return PairRule(threshold=self.base_threshold + offset, fmr=fmr, cell="")
        key, cell = self.ages.cell(age_band(age_a), age_band(age_b))
        if self.clusters is not None and self.clusters.adults_only and key != ADULT_CELL:
            offset = 0.0
        normalised = score - offset
        return PairRule(threshold=cell.threshold + offset, fmr=cell.rate_at(normalised), cell=key)


def rate_words(*, fmr: float, cell: str, pairs: int | None = None) -> str:
    """The calibrated rate in words, true for the two photos' ages.

    E.g. "For photos of young children (under 6), faces this similar are seen between
    different children about 1 time in 20." At the rarest rate the `pairs` measured can
    show, no stranger scored this high: the words say so, not "about".
    """
    if fmr <= 0:
        return ""
    children, ages = False, ""
    if cell:
        low, high = (AGE_BAND_LABELS.index(part) for part in cell.split("|"))
        if low < 3:
            children = high < 3
            ages = (
                str(AGE_BAND_PHRASES[low])
                if low == high
                else _("%(younger)s and %(older)s")
                % {"younger": AGE_BAND_PHRASES[low], "older": AGE_BAND_PHRASES[high]}
            )
    values = {"ages": ages, "rate": _one_in(fmr), "pairs": _grouped(pairs or 0)}
    # Whole sentences, one per case, so that each language words it as it needs.
    if pairs and fmr * pairs <= 1 + 1e-6:
        if not ages:
            return (
                _(
                    "Faces this similar were not seen between different people in the "
                    "%(pairs)s pairs measured: rarer than %(rate)s."
                )
                % values
            )
        if children:
            return (
                _(
                    "For photos of %(ages)s, faces this similar were not seen between "
                    "different children in the %(pairs)s pairs measured: rarer than %(rate)s."
                )
                % values
            )
        return (
            _(
                "For photos of %(ages)s, faces this similar were not seen between different "
                "people in the %(pairs)s pairs measured: rarer than %(rate)s."
            )
            % values
        )
    if not ages:
        return _("Faces this similar are seen between different people about %(rate)s.") % values
    if children:
        return (
            _(
                "For photos of %(ages)s, faces this similar are seen between different "
                "children about %(rate)s."
            )
            % values
        )
    return (
        _(
            "For photos of %(ages)s, faces this similar are seen between different people "
            "about %(rate)s."
        )
        % values
    )


def _grouped(number: int) -> str:
    """A whole number with the language's thousands separator ("12,000" in English)."""
    return formats.number_format(number, force_grouping=True)


def _one_in(fmr: float) -> str:
    n = 1.0 / fmr
    if n < 1.5:
        # Translators: completes "…seen between different people about every time."
        return _("every time")
    if n >= 100:
        # Two significant figures: the counts behind the rate are not finer than that.
        magnitude = 10 ** (math.floor(math.log10(n)) - 1)
        n = round(n / magnitude) * magnitude
    # Translators: completes "…seen between different children about 1 time in 20."
    return _("1 time in %(count)s") % {"count": _grouped(round(n))}
