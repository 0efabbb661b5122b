"""The figures: pair scores, false-match and miss rates (overall, per age cell, per group),
verification accuracy, identification ranks and candidate reach. Plain numpy on cached
vectors, so experiments (aggregation, normalisation) rerun offline.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from matching.evaluation.datasets import UNKNOWN_GROUP, Embedded, space_embeddings
from matching.spaces.calibration import evidence_score
from matching.spaces.rates import AGE_BAND_LABELS, Rates, age_bands, cell_key

if TYPE_CHECKING:
    pass

AGE_GAP_BANDS = ((0, 5), (5, 10), (10, 200))


def age_gap_rates(
    *,
    identities: Sequence[str],
    found: np.ndarray,
    emb: np.ndarray,
    ages: np.ndarray,
    threshold: float,
) -> dict[str, dict[str, float]]:
    """FNMR at the threshold for genuine pairs, by the years between the two photos."""
    ids = np.asarray(identities)
    gaps: list[float] = []
    sims: list[float] = []
    for identity in sorted(set(ids)):
        members = np.flatnonzero(ids == identity)
        for k, i in enumerate(members):
            for j in members[k + 1 :]:
                if np.isnan(ages[i]) or np.isnan(ages[j]):
                    continue
                gaps.append(abs(ages[i] - ages[j]))
                ok = found[i] and found[j]
                sims.append(float(emb[i] @ emb[j]) if ok else -1.0)
    gap_array, sim_array = np.array(gaps), np.array(sims)
    table = {}
    for low, high in AGE_GAP_BANDS:
        mask = (gap_array >= low) & (gap_array < high)
        label = f"{low}-{high} years" if high < 200 else f"{low}+ years"
        table[label] = {
            "genuine_pairs": int(mask.sum()),
            "fnmr_incl_no_face": float((sim_array[mask] < threshold).mean()) if mask.any() else 0,
        }
    return table


RANKS = (1, 10, 50)


@dataclass
class Scores:
    genuine: np.ndarray
    impostor: np.ndarray
    # Genuine pairs that could not be scored because a photo had no detected face.
    genuine_unscored: int = 0


def pair_scores(
    *,
    identities: Sequence[str],
    found: np.ndarray,
    emb: np.ndarray,
    mask: np.ndarray | None = None,
    shift: np.ndarray | None = None,
) -> Scores:
    """All genuine and impostor pair scores among found faces (restricted to `mask` if given),
    less `shift` (n x n: the face clusters' offsets, for normalised scores) when given."""
    ids = np.asarray(identities)
    keep = np.ones(len(ids), bool) if mask is None else mask.copy()
    genuine_unscored = 0
    for identity in set(ids[keep]):
        members = np.flatnonzero((ids == identity) & keep)
        n, n_found = len(members), int(found[members].sum())
        genuine_unscored += n * (n - 1) // 2 - n_found * (n_found - 1) // 2
    idx = np.flatnonzero(keep & found)
    sims = emb[idx] @ emb[idx].T
    if shift is not None:
        sims = sims - shift[np.ix_(idx, idx)]
    same = ids[idx][:, None] == ids[idx][None, :]
    upper = np.triu(np.ones_like(same), k=1)
    return Scores(
        genuine=sims[same & upper].astype(np.float64),
        impostor=sims[~same & upper].astype(np.float64),
        genuine_unscored=genuine_unscored,
    )


def rates_at(*, scores: Scores, threshold: float) -> dict[str, float]:
    """FMR per comparison, FNMR, and FNMR counting unscored genuine pairs as misses."""
    n_gen = len(scores.genuine)
    misses = int((scores.genuine < threshold).sum())
    total = n_gen + scores.genuine_unscored
    return {
        "threshold": float(threshold),
        "fmr": float((scores.impostor >= threshold).mean()) if len(scores.impostor) else 0.0,
        "fnmr": misses / n_gen if n_gen else 0.0,
        "fnmr_incl_no_face": (misses + scores.genuine_unscored) / total if total else 0.0,
    }


def pair_thresholds(*, rates: Rates, emb: np.ndarray, ages: np.ndarray | None) -> np.ndarray:
    """Every pair's threshold under a profile's rules (n x n), exactly as the search applies
    them: the age cell of the two photos' ages (unknown: the most cautious) and the faces'
    cluster offsets."""
    n = len(emb)
    bands = age_bands(np.full(n, np.nan) if ages is None else np.asarray(ages, dtype=np.float64))
    return rates.thresholds(
        bands_a=bands[:, None], bands_b=bands[None, :], offsets=rates.pair_offsets(emb, emb)
    )


def profile_rule(
    *,
    rates: Rates,
    large_gap_threshold: float,
    large_gap_years: float,
    emb: np.ndarray,
    ages: np.ndarray | None,
) -> np.ndarray:
    """Every pair's threshold under a profile: its age cells and clusters when it has them,
    else its adult threshold and large-age-gap rule."""
    if rates.ages is not None or rates.clusters is not None:
        return pair_thresholds(rates=rates, emb=emb, ages=ages)
    n = len(emb)
    if ages is None:
        return np.full((n, n), rates.base_threshold)
    gaps = np.abs(np.asarray(ages)[:, None] - np.asarray(ages)[None, :])
    return np.where(gaps >= large_gap_years, large_gap_threshold, rates.base_threshold)


def rule_rates(
    *,
    identities: Sequence[str],
    found: np.ndarray,
    emb: np.ndarray,
    rule: np.ndarray,
    mask: np.ndarray | None = None,
    pairs: np.ndarray | None = None,
) -> dict[str, float]:
    """FMR per comparison and FNMR when every pair has its own threshold (`rule`), among the
    photos in `mask` (or the pairs in `pairs`); FNMR counts pairs with an undetected face
    as misses."""
    ids = np.asarray(identities)
    keep = np.ones(len(ids), bool) if mask is None else mask
    upper = np.triu(np.ones((len(ids), len(ids)), bool), k=1) & keep[:, None] & keep[None, :]
    if pairs is not None:
        upper &= pairs
    same = ids[:, None] == ids[None, :]
    scored = found[:, None] & found[None, :]
    passed = (emb @ emb.T >= rule) & scored
    impostor = upper & ~same & scored
    genuine = upper & same
    return {
        "impostor_pairs": int(impostor.sum()),
        "genuine_pairs": int(genuine.sum()),
        "fmr": float(passed[impostor].mean()) if impostor.any() else 0.0,
        "fnmr_incl_no_face": float(1 - passed[genuine].mean()) if genuine.any() else 0.0,
    }


def group_rates(
    *,
    identities: Sequence[str],
    found: np.ndarray,
    emb: np.ndarray,
    rule: np.ndarray,
    labels: Sequence[str],
) -> dict:
    """False-match and miss rates per group at the shipped rule: strangers of the same group
    (impostor pairs within it), against the overall rate over strangers of the same group,
    every labelled group pooled. Like is compared with like: strangers of unlike sex or
    origin seldom look alike, so counting them would make the overall rate small and every
    group's excess large. The rate over every impostor pair is kept as `all_pairs`."""
    label_arr = np.asarray(labels)
    same_group = (label_arr[:, None] == label_arr[None, :]) & (label_arr != UNKNOWN_GROUP)[:, None]
    overall = rule_rates(identities=identities, found=found, emb=emb, rule=rule, pairs=same_group)
    table = {}
    for label in sorted(set(labels)):
        rates = rule_rates(
            identities=identities, found=found, emb=emb, rule=rule, mask=label_arr == label
        )
        rates["photos"] = int((label_arr == label).sum())
        rates["times_overall"] = rates["fmr"] / overall["fmr"] if overall["fmr"] else 0.0
        table[label] = rates
    return {
        "overall": overall,
        "all_pairs": rule_rates(identities=identities, found=found, emb=emb, rule=rule),
        "groups": table,
    }


def age_cell_rates(
    *,
    identities: Sequence[str],
    found: np.ndarray,
    emb: np.ndarray,
    rule: np.ndarray,
    ages: np.ndarray,
) -> dict[str, dict[str, float]]:
    """FMR and FNMR per pair of age bands (found x gallery is symmetric here) at the rule."""
    bands = age_bands(np.asarray(ages, dtype=np.float64))
    ids = np.asarray(identities)
    upper = np.triu(np.ones((len(ids), len(ids)), bool), k=1)
    same = ids[:, None] == ids[None, :]
    scored = found[:, None] & found[None, :]
    passed = (emb @ emb.T >= rule) & scored
    table = {}
    for i in range(len(AGE_BAND_LABELS)):
        for j in range(i, len(AGE_BAND_LABELS)):
            cell = ((bands[:, None] == i) & (bands[None, :] == j)) | (
                (bands[:, None] == j) & (bands[None, :] == i)
            )
            impostor = upper & cell & ~same & scored
            genuine = upper & cell & same
            table[cell_key(i, j)] = {
                "impostor_pairs": int(impostor.sum()),
                "fmr": float(passed[impostor].mean()) if impostor.any() else 0.0,
                "genuine_pairs": int(genuine.sum()),
                "fnmr_incl_no_face": float(1 - passed[genuine].mean()) if genuine.any() else 0.0,
            }
    return table


def threshold_for_fmr(*, impostor: np.ndarray, target_fmr: float) -> float:
    """The lowest threshold whose false-match rate per comparison is at most `target_fmr`."""
    ordered = np.sort(impostor)[::-1]
    allowed = int(np.floor(target_fmr * len(ordered)))
    if allowed >= len(ordered):
        return float(ordered[-1])
    # Strictly above the (allowed+1)-th highest impostor score.
    return float(np.nextafter(ordered[allowed], np.inf))


def roc_curve(*, scores: Scores, points: int = 400) -> dict[str, np.ndarray]:
    lo = min(scores.genuine.min(initial=1.0), scores.impostor.min(initial=1.0))
    thresholds = np.linspace(lo, 1.0, points)
    imp = np.sort(scores.impostor)
    gen = np.sort(scores.genuine)
    fmr = 1.0 - np.searchsorted(imp, thresholds, side="left") / max(len(imp), 1)
    fnmr = np.searchsorted(gen, thresholds, side="left") / max(len(gen), 1)
    return {"threshold": thresholds, "fmr": fmr, "fnmr": fnmr}


def verification_accuracy(
    *,
    identities: Sequence[str],
    found: np.ndarray,
    emb: np.ndarray,
    folds: int = 10,
    seed: int = 0,
) -> dict[str, float]:
    """LFW-protocol style: balanced same/different pairs, 10-fold best-threshold accuracy.

    Every genuine pair is used, with as many random impostor pairs; a pair with an
    undetected face scores -1 (counted as "different"), as the protocol requires.
    """
    ids = np.asarray(identities)
    rng = np.random.default_rng(seed)
    genuine = []
    for identity in sorted(set(ids)):
        members = np.flatnonzero(ids == identity)
        genuine += [(int(i), int(j)) for k, i in enumerate(members) for j in members[k + 1 :]]
    impostor: set[tuple[int, int]] = set()
    while len(impostor) < len(genuine):
        i, j = rng.integers(0, len(ids), size=2)
        if ids[i] != ids[j]:
            impostor.add((int(min(i, j)), int(max(i, j))))
    pairs = np.array(genuine + sorted(impostor))
    labels = np.array([1] * len(genuine) + [0] * len(impostor))
    ok = found[pairs[:, 0]] & found[pairs[:, 1]]
    sims = np.where(ok, np.einsum("ij,ij->i", emb[pairs[:, 0]], emb[pairs[:, 1]]), -1.0)
    order = rng.permutation(len(pairs))
    accuracies = []
    for fold in np.array_split(order, folds):
        train = np.setdiff1d(order, fold)
        candidates = np.unique(sims[train])
        best = max(candidates, key=lambda t: ((sims[train] >= t) == labels[train]).mean())
        accuracies.append(((sims[fold] >= best) == labels[fold]).mean())
    return {
        "accuracy": float(np.mean(accuracies)),
        "std": float(np.std(accuracies)),
        "pairs": len(pairs),
    }


def evidence_scores(*, sims: np.ndarray, threshold: float) -> float:
    """numpy twin of calibration.evidence_score for one (probe, identity) block of scores."""
    return evidence_score(scores=sims.tolist(), threshold=threshold)


def identification(
    *,
    identities: Sequence[str],
    found: np.ndarray,
    emb: np.ndarray,
    gallery_photos: str = "one",
    threshold: float = 0.925,
    aggregate: str = "evidence",
    cohort_norm: bool = False,
    mask: np.ndarray | None = None,
) -> dict[str, float]:
    """Rank-k hit rates for 1:N search. People with one photo are distractors in the gallery.

    gallery_photos="one": each person with several photos is enrolled with their first photo
    and searched with each other photo. "all": each of their photos in turn is the probe and
    the person is enrolled with all the others (aggregated per person, like a case with
    several photos); "one-other" is the same trials with only one of those photos enrolled.
    A probe with no detected face is a miss at every rank.
    """
    ids = np.asarray(identities)
    keep = np.ones(len(ids), bool) if mask is None else mask
    by_person: dict[str, list[int]] = defaultdict(list)
    for i, identity in enumerate(ids):
        by_person[identity].append(i)
    multi = {p: m for p, m in by_person.items() if len(m) >= 2}
    distractors = [m[0] for p, m in by_person.items() if len(m) == 1]
    trials: list[tuple[int, str, list[int]]] = []  # (probe, person, that person's gallery)
    for person, members in sorted(multi.items()):
        if gallery_photos == "one":
            trials += [(probe, person, [members[0]]) for probe in members[1:]]
        elif gallery_photos == "one-other":
            # Same probes as "all", but the person enrolled with one photo only.
            trials += [
                (probe, person, [next(m for m in members if m != probe)]) for probe in members
            ]
        else:
            trials += [(probe, person, [m for m in members if m != probe]) for probe in members]
    hits = {k: 0 for k in RANKS}
    counted = 0
    cohort = _cohort_stats(emb=emb, found=found, rows=distractors) if cohort_norm else None
    for probe, person, own in trials:
        if not keep[probe]:
            continue
        counted += 1
        if not found[probe]:
            continue
        # The gallery for this trial: the person's photos, the other multi-photo people's
        # enrolment photos, and every distractor.
        gallery: dict[str, list[int]] = {person: own}
        for other, members in multi.items():
            if other != person:
                gallery[other] = members if gallery_photos == "all" else [members[0]]
        for d in distractors:
            gallery[ids[d]] = [d]
        true_score = None
        others = []
        for name, rows in gallery.items():
            rows = [r for r in rows if found[r]]
            if not rows:
                continue
            sims = emb[rows] @ emb[probe]
            if cohort is not None:
                sims = _cohort_normalise(sims=sims, rows=rows, cohort=cohort)
            if aggregate == "max" or len(sims) == 1:
                score = float(sims.max())
            else:
                score = evidence_scores(sims=sims, threshold=threshold)
            if name == person:
                true_score = score
            else:
                others.append(score)
        if true_score is None:
            continue
        rank = 1 + int((np.asarray(others) > true_score).sum())
        for k in RANKS:
            hits[k] += rank <= k
    return {
        **{f"rank{k}": hits[k] / counted if counted else 0.0 for k in RANKS},
        "probes": counted,
    }


def _cohort_stats(
    *, emb: np.ndarray, found: np.ndarray, rows: list[int], top: int = 50
) -> dict[int, tuple[float, float]]:
    """Per gallery photo: mean and spread of its `top` highest scores against the cohort."""
    cohort = np.array([r for r in rows if found[r]])
    sims = emb @ emb[cohort].T
    sims[np.arange(len(emb))[:, None] == cohort[None, :]] = -1.0  # not against itself
    best = -np.sort(-sims, axis=1)[:, :top]
    return {i: (float(best[i].mean()), float(best[i].std()) or 1.0) for i in range(len(emb))}


def _cohort_normalise(
    *, sims: np.ndarray, rows: list[int], cohort: dict[int, tuple[float, float]]
) -> np.ndarray:
    # Z-normalise each gallery photo's score against its own cohort, mapped back onto the
    # raw scale's spread so thresholds stay comparable.
    mean = np.array([cohort[r][0] for r in rows])
    std = np.array([cohort[r][1] for r in rows])
    return (sims - mean) / std


# --- What a programme manager needs: reach and false candidates ---------------------------


def candidate_reach(
    *,
    identities: Sequence[str],
    found: np.ndarray,
    emb: np.ndarray,
    threshold: float,
    large_gap_threshold: float,
    large_gap_years: float,
    ages: np.ndarray | None = None,
    roles: Sequence[str] | None = None,
    groups: dict[str, list[str]] | None = None,
    rule: np.ndarray | None = None,
) -> dict:
    """At the shipped thresholds: the share of found children whose case becomes a
    candidate, and the false candidates per 10,000 gallery faces.

    `rule` (n x n, from `pair_thresholds`) gives every pair its own threshold, as a
    profile with age cells and face clusters does; it replaces the two thresholds.

    With `roles` ("case" or "found" per photo), case photos form the gallery and each found
    photo is one report searched against it. Without, each person's first photo is their
    case, their other photos are reports, and single-photo people are other cases. A pair
    whose two ages are known and at least `large_gap_years` apart must clear
    `large_gap_threshold`; any other pair `threshold`. Also broken down by age gap (between
    the report photo and the case photo nearest in age) and by each group label.
    """
    ids = np.asarray(identities)
    n = len(ids)
    ages_arr = np.full(n, np.nan) if ages is None else np.asarray(ages, dtype=np.float64)
    if roles is not None:
        role_arr = np.asarray(roles)
        gallery = np.flatnonzero(role_arr == "case")
        probes = np.flatnonzero(role_arr == "found")
    else:
        first: dict[str, int] = {}
        for i, identity in enumerate(ids):
            first.setdefault(identity, i)
        gallery = np.array(sorted(first.values()), dtype=int)
        probes = np.array([i for i in range(n) if first[ids[i]] != i], dtype=int)
    gallery_found = gallery[found[gallery]]
    gallery_ids = ids[gallery_found]
    in_gallery = set(ids[gallery].tolist())
    trials = []  # (probe, reached, false candidates, age gap)
    for probe in probes:
        if ids[probe] not in in_gallery:
            continue  # a found child with no case here: counted in no rate
        own = gallery[ids[gallery] == ids[probe]]
        own_ages = ages_arr[own]
        gap = (
            float(np.nanmin(np.abs(own_ages - ages_arr[probe])))
            if not np.isnan(ages_arr[probe]) and not np.isnan(own_ages).all()
            else np.nan
        )
        if not found[probe] or not len(gallery_found):
            trials.append((probe, False, 0, gap))
            continue
        sims = emb[gallery_found] @ emb[probe]
        pair_gaps = np.abs(ages_arr[gallery_found] - ages_arr[probe])
        needed = (
            rule[gallery_found, probe]
            if rule is not None
            else np.where(pair_gaps >= large_gap_years, large_gap_threshold, threshold)
        )
        above = sims >= needed
        reached = bool(above[gallery_ids == ids[probe]].any())
        false = len(set(gallery_ids[above & (gallery_ids != ids[probe])].tolist()))
        trials.append((probe, reached, false, gap))
    faces = max(len(gallery_found), 1)

    def summarise(rows: list) -> dict:
        if not rows:
            return {"reports": 0, "child_among_candidates": 0.0, "false_per_10k_faces": 0.0}
        return {
            "reports": len(rows),
            "child_among_candidates": float(np.mean([r[1] for r in rows])),
            "false_per_10k_faces": float(np.mean([r[2] for r in rows]) / faces * 10_000),
        }

    result = {**summarise(trials), "gallery_faces": len(gallery_found)}
    if trials and not np.isnan([t[3] for t in trials]).all():
        bands = {}
        for low, high in AGE_GAP_BANDS:
            label = f"{low}-{high} years" if high < 200 else f"{low}+ years"
            bands[label] = summarise([t for t in trials if low <= t[3] < high])
        bands["unknown"] = summarise([t for t in trials if np.isnan(t[3])])
        result["by_age_gap"] = bands
    for column, labels in (groups or {}).items():
        label_arr = np.asarray(labels)
        result.setdefault("by_group", {})[column] = {
            label: summarise([t for t in trials if label_arr[t[0]] == label])
            for label in sorted(set(labels))
        }
    return result


# --- Fusion weights ------------------------------------------------------------------------

# z-score weight of the second model relative to the first, tried by `fusion_calibrate`.
FUSION_GRID = tuple(round(x, 2) for x in np.arange(0.0, 1.51, 0.1))
FUSION_FMRS = (1e-2, 1e-3, 1e-4)


def fusion_calibrate(
    *, identities: Sequence[str], embedded: Embedded, models: Sequence[str], flip: bool = False
) -> dict:
    """Fusion weights from data: z-normalise each model's scores on impostor pairs, then
    pick the weight of the second model that maximises the mean true-match rate at FMRs
    1e-2, 1e-3 and 1e-4. Returns the weights as vector scales (squares sum to 1).

    z_a + lam * z_b = (s_a - mean_a) / sd_a + lam * (s_b - mean_b) / sd_b is an affine map
    of s_a / sd_a + lam * s_b / sd_b, so vector scales sqrt(1 / sd_a) and sqrt(lam / sd_b),
    normalised, give the same order, and thresholds on one inner product.
    """
    first, second = models
    single = {}
    for model in models:
        _, emb = space_embeddings(embedded=embedded, weights={model: 1.0}, flip=flip)
        single[model] = pair_scores(identities=identities, found=embedded.found, emb=emb)
    stats = {m: (float(single[m].impostor.mean()), float(single[m].impostor.std())) for m in models}
    table: list[dict[str, Any]] = []
    for lam in FUSION_GRID:
        wa, wb = 1.0 / stats[first][1], lam / stats[second][1]
        genuine = wa * single[first].genuine + wb * single[second].genuine
        impostor = wa * single[first].impostor + wb * single[second].impostor
        tars = []
        for fmr in FUSION_FMRS:
            t = threshold_for_fmr(impostor=impostor, target_fmr=fmr)
            tars.append(float((genuine >= t).mean()))
        table.append(
            {
                "lambda": lam,
                "tar": dict(zip(map(str, FUSION_FMRS), tars, strict=True)),
                "mean_tar": float(np.mean(tars)),
            }
        )
    # Ties go to the better TAR at 1e-3, then to the smaller weight on the second model.
    best = max(table, key=lambda row: (row["mean_tar"], row["tar"]["0.001"], -row["lambda"]))
    lam = best["lambda"]
    raw = np.array([1.0 / stats[first][1], lam / stats[second][1]])
    scales = np.sqrt(raw / raw.sum())
    return {
        "weights": {first: round(float(scales[0]), 6), second: round(float(scales[1]), 6)},
        "lambda": lam,
        "impostor_stats": {m: {"mean": mu, "std": sd} for m, (mu, sd) in stats.items()},
        "grid": table,
        "objective": "mean TAR at FMR " + ", ".join(f"{f:g}" for f in FUSION_FMRS),
    }


# --- The whole report ----------------------------------------------------------------------
