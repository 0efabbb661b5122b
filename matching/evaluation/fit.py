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
    ADULT_BAND,
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
    identities: Sequence[str] | np.ndarray,
    found: np.ndarray,
    emb: np.ndarray,
    clusters: int,
    target_fmr: float,
    seed: int = 0,
    pairs: bool = False,
) -> tuple[Clusters, dict]:
    """Unsupervised fair score normalisation (Terhörst et al. 2020): spherical k-means on
    the faces, then `cluster_offsets`, one per face or (`pairs`) per pair of clusters, for
    adults' pairs only. The base threshold is the target rate among all impostor pairs'
    normalised scores.

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
    offsets, counts, estimated = cluster_offsets(
        assigned=assigned,
        sims=sims,
        impostor=impostor,
        clusters=clusters,
        target_fmr=target_fmr,
        pairs=pairs,
    )
    scores_all = sims[impostor]
    shifted = scores_all - offsets[assigned][:, assigned][impostor]
    base = threshold_for_fmr(impostor=shifted, target_fmr=target_fmr)
    result = Clusters(
        centroids=centroids.astype(np.float32),
        offsets=offsets,
        base_threshold=base,
        base_curve=tuple((s, r) for s, r in rate_curve(impostor=shifted, fmrs=CURVE_FMRS)),
        adults_only=pairs,
    )
    how = (
        "spherical k-means of the faces; per pair of clusters, the threshold at the target "
        "rate among impostor pairs between them minus the one among all impostor pairs (too "
        "few pairs: the mean of the two clusters' own); an adults' pair's threshold rises by "
        "its clusters' offset"
        if pairs
        else "spherical k-means of the faces; per cluster, the threshold at the target rate "
        "among its own impostor pairs minus the one among all impostor pairs; a pair's "
        "threshold rises by the mean of its two faces' offsets"
    )
    summary = {
        "how": how,
        "clusters": clusters,
        "seed": seed,
        "faces": len(keep),
        "sizes": np.bincount(assigned, minlength=clusters).tolist(),
        "cluster_pairs_estimated": estimated,
        "impostor_pairs": counts.tolist(),
    }
    return result, summary


def cluster_offsets(
    *,
    assigned: np.ndarray,
    sims: np.ndarray,
    impostor: np.ndarray,
    clusters: int,
    target_fmr: float,
    pairs: bool = True,
) -> tuple[np.ndarray, np.ndarray, int]:
    """Per pair of clusters, the threshold at the target rate among impostor pairs between
    them, less the one among all impostor pairs. Too few pairs to say: the mean of the two
    clusters' own offsets (each 0 where too few to say). With `pairs` False, every pair of
    clusters takes that mean: one offset per face, as profiles before v3.

    Returns the offsets and impostor pair counts (clusters x clusters) and how many pairs of
    clusters were estimated.
    """
    overall = threshold_for_fmr(impostor=sims[impostor], target_fmr=target_fmr)
    low, high = np.minimum.outer(assigned, assigned), np.maximum.outer(assigned, assigned)
    cell_of = (low * clusters + high)[impostor]
    scores_all = sims[impostor]
    order = np.argsort(cell_of, kind="stable")
    cells, starts = np.unique(cell_of[order], return_index=True)
    by_cell = dict(zip(cells.tolist(), np.split(scores_all[order], starts[1:]), strict=True))

    def offset(i: int, j: int) -> float | None:
        scores = by_cell.get(min(i, j) * clusters + max(i, j), np.empty(0))
        if len(scores) * target_fmr < MIN_FALSE_MATCHES:
            return None
        return threshold_for_fmr(impostor=scores, target_fmr=target_fmr) - overall

    own = np.array([offset(c, c) or 0.0 for c in range(clusters)])
    offsets = (own[:, None] + own[None, :]) / 2
    counts = np.zeros((clusters, clusters), dtype=int)
    estimated = 0
    for i in range(clusters):
        for j in range(i, clusters):
            counts[i, j] = counts[j, i] = len(by_cell.get(i * clusters + j, ()))
            value = offset(i, j) if pairs else None
            if value is not None:
                offsets[i, j] = offsets[j, i] = value
                estimated += 1
    return offsets, counts, estimated


def pair_offsets(*, emb: np.ndarray, clusters: Clusters | None) -> np.ndarray:
    """The clusters' offset of every pair of rows (zero without clusters)."""
    if clusters is None:
        return np.zeros((len(emb), len(emb)))
    return clusters.pair_offsets(emb, emb)


def age_table_fit(
    *,
    identities: Sequence[str],
    found: np.ndarray,
    emb: np.ndarray,
    ages: np.ndarray,
    target_fmr: float,
    clusters: Clusters | None,
    source: str,
    adult_identities: Sequence[str] | np.ndarray = (),
    adult_emb: np.ndarray | None = None,
) -> tuple[AgeTable, dict]:
    """One threshold per pair of age bands, at the target rate among that cell's impostor
    pairs' scores, normalised by the faces' clusters.

    The adults' cell pools this set's adult photos with the adult sets given
    (`adult_identities`, `adult_emb`: found faces only): a cross-age set has few adults, and
    old scanned photos, and the adults' threshold is the one most photos meet.

    A cell with too few impostor pairs for the target inherits the threshold of its
    strictest estimated neighbour (one band younger or older on either side; failing that,
    the strictest estimated cell), and says so.
    """
    bands = age_bands(np.asarray(ages, dtype=np.float64))
    keep = np.flatnonzero(found & (bands >= 0))
    vectors, band, ids = emb[keep], bands[keep], np.asarray(identities)[keep]
    plain = vectors @ vectors.T
    normalised = plain - pair_offsets(emb=vectors, clusters=clusters)
    # Clusters fitted on adults normalise only the adults' cell (matching.spaces.rates).
    sims = plain if clusters is not None and clusters.adults_only else normalised
    impostor, genuine = _impostor_mask(ids), _genuine_mask(ids)
    n_bands = len(AGE_BAND_LABELS)
    pooled = None
    if adult_emb is not None and len(adult_emb):
        pool = np.concatenate([vectors[band == ADULT_BAND], adult_emb])
        pool_ids = np.concatenate([ids[band == ADULT_BAND], np.asarray(adult_identities)])
        pool_sims = pool @ pool.T - pair_offsets(emb=pool, clusters=clusters)
        pooled = (
            pool_sims[_impostor_mask(pool_ids)],
            pool_sims[_genuine_mask(pool_ids)],
        )
    raw: dict[tuple[int, int], dict] = {}
    for i in range(n_bands):
        for j in range(i, n_bands):
            cell = ((band[:, None] == i) & (band[None, :] == j)) | (
                (band[:, None] == j) & (band[None, :] == i)
            )
            within = normalised if i == j == ADULT_BAND else sims
            scores = within[impostor & cell]
            genuine_scores = within[genuine & cell]
            if pooled is not None and i == j == ADULT_BAND:
                scores, genuine_scores = pooled
            estimate = (
                threshold_for_fmr(impostor=scores, target_fmr=target_fmr) if len(scores) else 1.0
            )
            raw[(i, j)] = {
                "estimate": estimate,
                "enough": len(scores) * target_fmr >= MIN_FALSE_MATCHES,
                "scores": scores,
                "genuine": genuine_scores,
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
        "applies_to": "adults" if clusters.adults_only else "all",
        "base_threshold": round(clusters.base_threshold, 5),
        "base_curve": [list(p) for p in clusters.base_curve],
        "offsets": [[round(float(o), 5) for o in row] for row in clusters.offsets],
        "centroids": [[round(float(x), 6) for x in row] for row in clusters.centroids],
    }
