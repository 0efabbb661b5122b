"""Fitting `matching.rates` from labelled embeddings: what `calibrate` writes into a profile.

Face clusters come first (they need no labels but identities); the age cells are then
fitted on the scores that the cluster rule lets through, so each cell's stated rate is
the rate of the whole rule, as the search applies it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from matching.evaluation import threshold_for_fmr
from matching.rates import (
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
MIN_FALSE_MATCHES = 5


def _impostor_mask(identities: Sequence[str]) -> np.ndarray:
    ids = np.asarray(identities)
    different = ids[:, None] != ids[None, :]
    return different & np.triu(np.ones(different.shape, bool), k=1)


def _genuine_mask(identities: Sequence[str]) -> np.ndarray:
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
    """Unsupervised fair score normalisation: spherical k-means on the faces, a threshold at
    the target rate among each cluster's own impostor pairs, and offsets above the lowest.
    The base threshold is then set so that all impostor pairs together meet the target.

    Returns the clusters and a summary for the profile.
    """
    import faiss

    keep = np.flatnonzero(found)
    vectors = np.ascontiguousarray(emb[keep], dtype=np.float32)
    ids = np.asarray(identities)[keep]
    kmeans = faiss.Kmeans(vectors.shape[1], clusters, niter=30, seed=seed, spherical=True)
    kmeans.train(vectors)
    centroids = kmeans.centroids / np.linalg.norm(kmeans.centroids, axis=1, keepdims=True)
    assigned = np.argmax(vectors @ centroids.T, axis=1)
    sims = vectors @ vectors.T
    impostor = _impostor_mask(ids)
    own: list[float | None] = []
    sizes: list[int] = []
    pairs: list[int] = []
    for c in range(clusters):
        members = assigned == c
        inside = impostor & members[:, None] & members[None, :]
        scores = sims[inside]
        sizes.append(int(members.sum()))
        pairs.append(len(scores))
        enough = len(scores) * target_fmr >= MIN_FALSE_MATCHES
        own.append(threshold_for_fmr(impostor=scores, target_fmr=target_fmr) if enough else None)
    known = [t for t in own if t is not None]
    lowest = min(known) if known else 0.0
    # A cluster too small to estimate is held to the strictest rule measured.
    offsets = np.array([(t if t is not None else max(known, default=0.0)) - lowest for t in own])
    mean_offsets = (offsets[assigned][:, None] + offsets[assigned][None, :]) / 2
    # The base: all impostor pairs together meet the target once offsets are added.
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
        "among its own impostor pairs; offset = that threshold minus the lowest one",
        "clusters": clusters,
        "faces": len(keep),
        "sizes": sizes,
        "impostor_pairs": pairs,
    }
    return result, summary


def pair_rule_thresholds(*, emb: np.ndarray, base: float, clusters: Clusters | None) -> np.ndarray:
    """The cluster rule's threshold for every pair of rows (base when there are no clusters)."""
    if clusters is None:
        return np.full((len(emb), len(emb)), base)
    offsets = clusters.offset_of(emb)
    return base + (offsets[:, None] + offsets[None, :]) / 2


def age_table_fit(
    *,
    identities: Sequence[str],
    found: np.ndarray,
    emb: np.ndarray,
    ages: np.ndarray,
    target_fmr: float,
    base: float,
    clusters: Clusters | None,
    source: str,
) -> tuple[AgeTable, dict]:
    """One threshold per pair of age bands, at the target rate among that cell's impostor
    pairs (counted only where the cluster rule lets them through too).

    A cell with too few impostor pairs for the target inherits the threshold of its
    strictest estimated neighbour (one band younger or older on either side; failing that,
    the strictest estimated cell), and says so.
    """
    bands = age_bands(np.asarray(ages, dtype=np.float64))
    keep = np.flatnonzero(found & (bands >= 0))
    vectors, band, ids = emb[keep], bands[keep], np.asarray(identities)[keep]
    sims = vectors @ vectors.T
    rule = pair_rule_thresholds(emb=vectors, base=base, clusters=clusters)
    impostor, genuine = _impostor_mask(ids), _genuine_mask(ids)
    n_bands = len(AGE_BAND_LABELS)
    raw: dict[tuple[int, int], dict] = {}
    for i in range(n_bands):
        for j in range(i, n_bands):
            cell = ((band[:, None] == i) & (band[None, :] == j)) | (
                (band[:, None] == j) & (band[None, :] == i)
            )
            scores = sims[impostor & cell]
            # A pair the cluster rule refuses can never be a false candidate of this cell.
            passing = np.where(scores >= rule[impostor & cell], scores, -np.inf)
            enough = len(scores) * target_fmr >= MIN_FALSE_MATCHES
            estimate = (
                threshold_for_fmr(impostor=passing, target_fmr=target_fmr) if len(scores) else base
            )
            raw[(i, j)] = {
                "estimate": estimate,
                "enough": enough,
                "scores": scores,
                "passing": passing,
                "genuine": sims[genuine & cell],
                "genuine_rule": rule[genuine & cell],
            }
    cells: dict[str, Cell] = {}
    for (i, j), r in raw.items():
        threshold, inherited = r["estimate"], None
        if not r["enough"]:
            neighbours = [
                (raw[key]["estimate"], key)
                for key in {
                    tuple(sorted((i + di, j + dj)))
                    for di, dj in ((-1, 0), (1, 0), (0, -1), (0, 1))
                    if 0 <= i + di < n_bands and 0 <= j + dj < n_bands
                }
                if raw[key]["enough"]
            ]
            # No estimated neighbour: the strictest estimated cell of all.
            neighbours = neighbours or [
                (r2["estimate"], k2) for k2, r2 in raw.items() if r2["enough"]
            ]
            if neighbours:
                threshold, key = max(neighbours)
                inherited = cell_key(*key)
        n = len(r["scores"])
        # No stranger above the threshold here: the rate is below one in n, not zero.
        stated = max(float((r["passing"] >= threshold).mean()), 1.0 / n) if n else 0.0
        genuine_pass = (r["genuine"] >= np.maximum(threshold, r["genuine_rule"])).sum()
        cells[cell_key(i, j)] = Cell(
            threshold=round(float(threshold), 5),
            stated_fmr=stated,
            impostor_pairs=n,
            genuine_pairs=len(r["genuine"]),
            inherited_from=inherited,
            curve=tuple((s, rate) for s, rate in rate_curve(impostor=r["scores"], fmrs=CURVE_FMRS)),
        )
        raw[(i, j)]["tar"] = genuine_pass / len(r["genuine"]) if len(r["genuine"]) else None
    table = AgeTable(cells=cells, source=source, target_fmr=target_fmr)
    tar = {cell_key(i, j): r["tar"] for (i, j), r in raw.items()}
    return table, tar


def age_table_data(*, table: AgeTable, tar: dict[str, float | None]) -> dict:
    """The profile's JSON for an age table, with the counts behind each cell."""
    cells = {}
    for key, c in table.cells.items():
        entry = {
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
