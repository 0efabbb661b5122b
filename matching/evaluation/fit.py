"""Fitting `matching.spaces.rates` from labelled embeddings: what `calibrate` writes into a profile.

Face clusters come first (they need no labels but identities); the age cells are then
fitted on the scores that the cluster rule lets through, so each cell's stated rate is
the rate of the whole rule, as the search applies it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from matching.evaluation.metrics import threshold_for_fmr
from matching.spaces.rates import (
    AGE_BAND_LABELS,
    AgeTable,
    Cell,
    Clusters,
    age_bands,
    cell_key,
    rate_curve,
)

# Rates the words can state, from common to rare (each cell keeps those its pairs can show).
CURVE_FMRS = (0.5, 0.2, 0.1, 0.05, 0.02, 0.01, 0.005, 0.002, 1e-3, 5e-4, 2e-4, 1e-4, 1e-5)
# A threshold for a rate needs at least this many impostor pairs above it to be estimated.
MIN_FALSE_MATCHES = 2


def _impostor_mask(identities: Sequence[str] | np.ndarray) -> np.ndarray:
    ids = np.asarray(identities)
    different = ids[:, None] != ids[None, :]
    return different & np.triu(np.ones(different.shape, bool), k=1)


def _genuine_mask(identities: Sequence[str] | np.ndarray) -> np.ndarray:
    ids = np.asarray(identities)
    same = ids[:, None] == ids[None, :]
    return same & np.triu(np.ones(same.shape, bool), k=1)


def clusters_fit(
    *,
    identities: Sequence[str],
    found: np.ndarray,
    emb: np.ndarray,
    clusters: int,
    target_fmr: float,
    seed: int = 0,
) -> tuple[Clusters, dict]:
    """Unsupervised fair score normalisation (Terhörst et al. 2020): spherical k-means on
    the faces; per cluster, the threshold at the target rate among its own impostor pairs,
    less the threshold among all of them, is its offset (0 where too few pairs to say). The
    base threshold is then the target rate among all impostor pairs' normalised scores.

    Returns the clusters and a summary for the profile.
    """
    import faiss

    keep = np.flatnonzero(found)
    vectors = np.ascontiguousarray(emb[keep], dtype=np.float32)
    ids = np.asarray(identities)[keep]
    kmeans = faiss.Kmeans(vectors.shape[1], clusters, niter=30, seed=seed, spherical=True)
    kmeans.train(vectors)
    trained = np.asarray(kmeans.centroids)
    centroids = trained / np.linalg.norm(trained, axis=1, keepdims=True)
    assigned = np.argmax(vectors @ centroids.T, axis=1)
    sims = vectors @ vectors.T
    impostor = _impostor_mask(ids)
    overall = threshold_for_fmr(impostor=sims[impostor], target_fmr=target_fmr)
    offsets = np.zeros(clusters)
    sizes: list[int] = []
    pairs: list[int] = []
    for c in range(clusters):
        members = assigned == c
        scores = sims[impostor & members[:, None] & members[None, :]]
        sizes.append(int(members.sum()))
        pairs.append(len(scores))
        if len(scores) * target_fmr >= MIN_FALSE_MATCHES:
            offsets[c] = threshold_for_fmr(impostor=scores, target_fmr=target_fmr) - overall
    mean_offsets = (offsets[assigned][:, None] + offsets[assigned][None, :]) / 2
    shifted = sims[impostor] - mean_offsets[impostor]
    base = threshold_for_fmr(impostor=shifted, target_fmr=target_fmr)
    result = Clusters(
        centroids=centroids.astype(np.float32),
        offsets=offsets,
        base_threshold=base,
        base_curve=tuple((s, r) for s, r in rate_curve(impostor=shifted, fmrs=CURVE_FMRS)),
    )
    summary = {
        "how": "spherical k-means of the faces; per cluster, the threshold at the target rate "
        "among its own impostor pairs minus the one among all impostor pairs; a pair's "
        "threshold rises by the mean of its two faces' offsets",
        "clusters": clusters,
        "seed": seed,
        "faces": len(keep),
        "sizes": sizes,
        "impostor_pairs": pairs,
    }
    return result, summary


def pair_offsets(*, emb: np.ndarray, clusters: Clusters | None) -> np.ndarray:
    """The mean cluster offset of every pair of rows (zero without clusters)."""
    if clusters is None:
        return np.zeros((len(emb), len(emb)))
    offsets = clusters.offset_of(emb)
    return (offsets[:, None] + offsets[None, :]) / 2


def age_table_fit(
    *,
    identities: Sequence[str],
    found: np.ndarray,
    emb: np.ndarray,
    ages: np.ndarray,
    target_fmr: float,
    clusters: Clusters | None,
    source: str,
) -> tuple[AgeTable, dict]:
    """One threshold per pair of age bands, at the target rate among that cell's impostor
    pairs' scores, normalised by the faces' cluster offsets.

    A cell with too few impostor pairs for the target inherits the threshold of its
    strictest estimated neighbour (one band younger or older on either side; failing that,
    the strictest estimated cell), and says so.
    """
    bands = age_bands(np.asarray(ages, dtype=np.float64))
    keep = np.flatnonzero(found & (bands >= 0))
    vectors, band, ids = emb[keep], bands[keep], np.asarray(identities)[keep]
    sims = vectors @ vectors.T - pair_offsets(emb=vectors, clusters=clusters)
    impostor, genuine = _impostor_mask(ids), _genuine_mask(ids)
    n_bands = len(AGE_BAND_LABELS)
    raw: dict[tuple[int, int], dict] = {}
    for i in range(n_bands):
        for j in range(i, n_bands):
            cell = ((band[:, None] == i) & (band[None, :] == j)) | (
                (band[:, None] == j) & (band[None, :] == i)
            )
            scores = sims[impostor & cell]
            estimate = (
                threshold_for_fmr(impostor=scores, target_fmr=target_fmr) if len(scores) else 1.0
            )
            raw[(i, j)] = {
                "estimate": estimate,
                "enough": len(scores) * target_fmr >= MIN_FALSE_MATCHES,
                "scores": scores,
                "genuine": sims[genuine & cell],
            }
    cells: dict[str, Cell] = {}
    tar: dict[str, float | None] = {}
    for (i, j), r in raw.items():
        threshold, inherited = r["estimate"], None
        if not r["enough"]:
            neighbours = [
                (raw[key]["estimate"], key)
                for key in {
                    (min(i + di, j + dj), max(i + di, j + dj))
                    for di, dj in ((-1, 0), (1, 0), (0, -1), (0, 1))
                    if 0 <= i + di < n_bands and 0 <= j + dj < n_bands
                }
                if raw[key]["enough"]
            ]
            # No estimated neighbour: the strictest estimated cell of all.
            neighbours = neighbours or [
                (other["estimate"], key) for key, other in raw.items() if other["enough"]
            ]
            if neighbours:
                threshold, key = max(neighbours)
                inherited = cell_key(*key)
        n = len(r["scores"])
        # No stranger above the threshold here: the rate is below one in n, not zero.
        stated = max(float((r["scores"] >= threshold).mean()), 1.0 / n) if n else 0.0
        cells[cell_key(i, j)] = Cell(
            # Rounded up: rounding down could let in the stranger the threshold keeps out.
            threshold=math.ceil(float(threshold) * 1e5) / 1e5,
            stated_fmr=stated,
            impostor_pairs=n,
            genuine_pairs=len(r["genuine"]),
            inherited_from=inherited,
            curve=tuple((s, rate) for s, rate in rate_curve(impostor=r["scores"], fmrs=CURVE_FMRS)),
        )
        genuine_pass = int((r["genuine"] >= threshold).sum())
        tar[cell_key(i, j)] = genuine_pass / len(r["genuine"]) if len(r["genuine"]) else None
    return AgeTable(cells=cells, source=source, target_fmr=target_fmr), tar


def age_table_data(*, table: AgeTable, tar: dict[str, float | None]) -> dict:
    """The profile's JSON for an age table, with the counts behind each cell."""
    cells = {}
    for key, c in table.cells.items():
        entry: dict[str, object] = {
            "threshold": c.threshold,
            "stated_fmr": c.stated_fmr,
            "impostor_pairs": c.impostor_pairs,
            "genuine_pairs": c.genuine_pairs,
            "true_match_rate": tar.get(key),
            "curve": [list(p) for p in c.curve],
        }
        if c.inherited_from:
            entry["inherited_from"] = c.inherited_from
            entry["note"] = (
                f"{c.impostor_pairs} impostor pairs are too few to estimate a rate of "
                f"{table.target_fmr:g}: the threshold of the stricter neighbour "
                f"{c.inherited_from}"
            )
        cells[key] = entry
    return {
        "bands": list(AGE_BAND_LABELS),
        "source": table.source,
        "target_fmr": table.target_fmr,
        "min_false_matches": MIN_FALSE_MATCHES,
        "cells": cells,
    }


def clusters_data(*, clusters: Clusters, summary: dict) -> dict:
    return {
        **summary,
        "base_threshold": round(clusters.base_threshold, 5),
        "base_curve": [list(p) for p in clusters.base_curve],
        "offsets": [round(float(o), 5) for o in clusters.offsets],
        "centroids": [[round(float(x), 6) for x in row] for row in clusters.centroids],
    }
