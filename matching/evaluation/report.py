"""Measuring the matching pipeline on a folder of labelled photos.

Embeddings come from the product's own code (cases.records.images normalisation, then
matching.engine), so a figure measured here is a figure about what runs in production.
Everything after embedding is plain numpy on the cached vectors, so experiments
(aggregation, normalisation) can be rerun offline from an `.npz` file.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import multiprocessing
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from cases.records.ages import AGE_BANDS
from matching.spaces.rates import AGE_BAND_LABELS, Rates, age_bands, cell_key

if TYPE_CHECKING:
    from matching.engine.deepface_engine import DeepFaceEngine

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp"}
RANKS = (1, 10, 50)


# --- The dataset ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    path: str  # relative to the dataset folder
    identity: str


def dataset_scan(*, root: Path) -> list[Sample]:
    """One sample per image under `root/<identity>/` (subfolders included, other files skipped)."""
    samples = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        for path in sorted(folder.rglob("*")):
            if path.is_file() and path.suffix.lower() in IMAGE_SUFFIXES:
                samples.append(Sample(path=str(path.relative_to(root)), identity=folder.name))
    return samples


def metadata_read(*, csv_path: Path) -> dict[str, dict[str, str]]:
    """Rows keyed by `path` (relative to the dataset folder) or, failing that, `identity`.

    Recognised columns: `age` (years in the photo), `taken_on` and `date_of_birth` (ISO
    dates, giving the age), and any other column used as a group label (e.g. `sex`).
    """
    rows: dict[str, dict[str, str]] = {}
    with open(csv_path, newline="") as handle:
        for row in csv.DictReader(handle):
            key = (row.get("path") or row.get("identity") or "").strip()
            if key:
                rows[key] = {k: (v or "").strip() for k, v in row.items()}
                # Paths written from the set's parent folder (`lfw-dev/<person>/<photo>`).
                parts = Path(key).parts
                if len(parts) >= 3:
                    rows.setdefault(str(Path(*parts[1:])), rows[key])
    return rows


def sample_age(*, row: dict[str, str]) -> float | None:
    if row.get("age"):
        return float(row["age"])
    if row.get("taken_on") and row.get("date_of_birth"):
        taken = dt.date.fromisoformat(row["taken_on"])
        born = dt.date.fromisoformat(row["date_of_birth"])
        return (taken - born).days / 365.25
    return None


def age_band(age: float) -> str:
    for low, high in AGE_BANDS:
        if low <= age < high + 1:
            return f"{low}-{high}" if high < 200 else f"{low}+"
    return "unknown"


def sample_ages(*, samples: Sequence[Sample], metadata: dict[str, dict[str, str]]) -> np.ndarray:
    """Age in each photo (NaN when unknown)."""
    ages = []
    for sample in samples:
        row = metadata.get(sample.path) or metadata.get(sample.identity) or {}
        age = sample_age(row=row)
        ages.append(np.nan if age is None else age)
    return np.array(ages, dtype=np.float64)


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


def sample_roles(
    *, samples: Sequence[Sample], metadata: dict[str, dict[str, str]]
) -> list[str] | None:
    """`role` per photo ("case" or "found"), when the metadata says; else None."""
    roles = []
    for sample in samples:
        row = metadata.get(sample.path) or {}
        roles.append((row.get("role") or "").lower())
    if not any(roles):
        return None
    return roles


def sample_groups(
    *, samples: Sequence[Sample], metadata: dict[str, dict[str, str]], columns: Iterable[str]
) -> dict[str, list[str]]:
    """Group column -> one label per sample. `age` becomes an age band."""
    groups: dict[str, list[str]] = {}
    for column in columns:
        labels = []
        for sample in samples:
            row = metadata.get(sample.path) or metadata.get(sample.identity) or {}
            if column == "age":
                age = sample_age(row=row)
                labels.append(age_band(age) if age is not None else "unknown")
            else:
                labels.append(row.get(column) or "unknown")
        groups[column] = labels
    return groups


# --- Embedding with the product's pipeline ------------------------------------------------

# Every raw descriptor kept per photo, normalised: each recogniser's, of the aligned chip
# and of its mirror image, and dlib's jittered ones when asked for.
DESCRIPTORS = (
    "sface",
    "sface_flipped",
    "dlib",
    "dlib_flipped",
    "dlib_jittered",
    "dlib_jittered_flipped",
)
DESCRIPTOR_DIM = 128


@dataclass
class Embedded:
    found: np.ndarray  # bool per sample
    emb: np.ndarray  # float32, the evaluated space's vectors (zeros when not found)
    detector: np.ndarray  # "yunet", "hog", "cnn" or "" per sample
    descriptors: dict[str, np.ndarray] = field(default_factory=dict)


def evaluation_engine() -> DeepFaceEngine:
    """The real engine with both recognisers loaded, for measuring any space built of them."""
    from matching.engine.deepface_engine import DeepFaceEngine, SpaceSpec

    return DeepFaceEngine(SpaceSpec(name="evaluation", weights=(("SFace", 1.0), ("Dlib", 1.0))))


_engine: DeepFaceEngine | None = None


def photo_embed(*, path: Path, jitters: int = 0) -> dict:
    """Every descriptor of one photo file, through the product's pipeline.

    A photo with several faces uses the face nearest the centre. Returns `found`,
    `detector` and the normalised descriptors named in DESCRIPTORS (jittered ones only
    when `jitters` > 0).
    """
    from cases.records.images import PhotoRejected, photo_normalise, photo_pixels
    from matching.engine import normalise

    global _engine
    if _engine is None:
        _engine = evaluation_engine()
    engine = _engine
    empty = {"found": False, "detector": ""}
    try:
        normalised = photo_normalise(data=path.read_bytes())
    except PhotoRejected:
        return empty
    pixels = photo_pixels(jpeg=normalised.jpeg)
    faces = engine.detect(pixels, cnn_fallback=True)
    if not faces:
        return empty
    height, width = pixels.shape[:2]
    face = min(faces, key=lambda f: f.distance_to_centre(width, height))
    result: dict = {"found": True, "detector": face.detector}
    rows = engine.sface_descriptors(engine.sface_chip(pixels, face), flip=True)
    result["sface"], result["sface_flipped"] = normalise(rows[0]), normalise(rows[1])
    chip = engine.dlib_chip(pixels, face)
    rows = engine.dlib_descriptors(chip, flip=True)
    result["dlib"], result["dlib_flipped"] = normalise(rows[0]), normalise(rows[1])
    if jitters > 0:
        rows = engine.dlib_descriptors(chip, flip=True, jitters=jitters)
        result["dlib_jittered"] = normalise(rows[0])
        result["dlib_jittered_flipped"] = normalise(rows[1])
    return result


def _embed_worker(job: tuple[str, int]) -> dict:
    return photo_embed(path=Path(job[0]), jitters=job[1])


def dataset_embed(
    *,
    root: Path,
    samples: Sequence[Sample],
    workers: int = 1,
    progress: Callable[[Iterable], Iterable] | None = None,
    jitters: int = 0,
) -> Embedded:
    """Embed every sample. All descriptors are kept so spaces can be compared offline."""
    jobs = [(str(root / s.path), jitters) for s in samples]
    wrap = progress or (lambda it: it)
    if workers > 1:
        # Forked workers inherit Django's setup; each loads the models once.
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            results = list(wrap(pool.imap(_embed_worker, jobs, chunksize=4)))
    else:
        results = [_embed_worker(job) for job in wrap(jobs)]
    zeros = np.zeros(DESCRIPTOR_DIM, np.float32)
    names = DESCRIPTORS if jitters > 0 else DESCRIPTORS[:4]
    found = np.array([r["found"] for r in results], dtype=bool)
    descriptors = {
        n: np.stack([r.get(n, zeros) for r in results]).astype(np.float32) for n in names
    }
    return Embedded(
        found=found,
        emb=descriptors["sface"],
        detector=np.array([r["detector"] for r in results]),
        descriptors=descriptors,
    )


def space_embeddings(
    *,
    embedded: Embedded,
    weights: dict[str, float],
    flip: bool = False,
    jitter: bool = False,
    cnn_fallback: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """(found, emb) as a space with these recogniser weights and options would give them.

    The same arithmetic as the engine: each model's descriptor (mirror-averaged with
    `flip`), normalised, scaled by its weight, concatenated and normalised.
    """
    found = embedded.found.copy()
    if not cnn_fallback:
        found &= embedded.detector != "cnn"
    parts = []
    for model, weight in weights.items():
        key = model.lower()
        if jitter and key == "dlib":
            if "dlib_jittered" not in embedded.descriptors:
                raise ValueError("These embeddings were made without jitter.")
            key = "dlib_jittered"
        base = embedded.descriptors[key]
        if flip:
            base = base + embedded.descriptors[f"{key}_flipped"]
        parts.append(_rows_normalised(base) * weight)
    emb = _rows_normalised(np.concatenate(parts, axis=1))
    emb[~found] = 0.0
    return found, emb


def _rows_normalised(rows: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    return (rows / np.maximum(norms, 1e-12)).astype(np.float32)


def profile_space(*, data: dict) -> dict:
    """A profile's space as `space_embeddings` keywords."""
    from matching.engine.deepface_engine import SpaceSpec

    spec = SpaceSpec.from_profile(data)
    return {"weights": dict(spec.weights), "flip": spec.flip, "jitter": spec.jitters > 0}


def embeddings_save(*, path: Path, samples: Sequence[Sample], embedded: Embedded) -> None:
    arrays: dict[str, Any] = {
        "paths": np.array([s.path for s in samples]),
        "identities": np.array([s.identity for s in samples]),
        "emb": embedded.emb.astype(np.float32),
        "found": embedded.found,
        "detector": embedded.detector,
        **embedded.descriptors,
    }
    # After minutes of embedding, a missing folder must not lose the result.
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, **arrays)


def embeddings_load(*, path: Path) -> tuple[list[Sample], Embedded]:
    data = np.load(path, allow_pickle=False)
    paths = [str(p) for p in data["paths"]]
    if "identities" in data:
        identities = [str(i) for i in data["identities"]]
    else:
        identities = [Path(p).parts[0] for p in paths]
    samples = [Sample(path=p, identity=i) for p, i in zip(paths, identities, strict=True)]
    emb = data["emb"].astype(np.float32)
    embedded = Embedded(
        found=data["found"].astype(bool),
        emb=emb,
        detector=data["detector"] if "detector" in data else np.where(data["found"], "hog", ""),
        descriptors={n: data[n].astype(np.float32) for n in DESCRIPTORS if n in data},
    )
    return samples, embedded


# --- Figures -------------------------------------------------------------------------------


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
    less `shift` (n x n: face clusters' mean offsets, for normalised scores) when given."""
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
    offsets = rates.offsets(emb)
    return rates.thresholds(
        bands_a=bands[:, None],
        bands_b=bands[None, :],
        offsets_a=offsets[:, None],
        offsets_b=offsets[None, :],
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
) -> dict[str, float]:
    """FMR per comparison and FNMR when every pair has its own threshold (`rule`), among the
    photos in `mask`; FNMR counts pairs with an undetected face as misses."""
    ids = np.asarray(identities)
    keep = np.ones(len(ids), bool) if mask is None else mask
    upper = np.triu(np.ones((len(ids), len(ids)), bool), k=1) & keep[:, None] & keep[None, :]
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
    (impostor pairs within it), against the rate over every impostor pair in the set."""
    overall = rule_rates(identities=identities, found=found, emb=emb, rule=rule)
    label_arr = np.asarray(labels)
    table = {}
    for label in sorted(set(labels)):
        rates = rule_rates(
            identities=identities, found=found, emb=emb, rule=rule, mask=label_arr == label
        )
        rates["photos"] = int((label_arr == label).sum())
        rates["times_overall"] = rates["fmr"] / overall["fmr"] if overall["fmr"] else 0.0
        table[label] = rates
    return {"overall": overall, "groups": table}


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
    from matching.spaces.calibration import evidence_score

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


@dataclass
class Report:
    summary: dict = field(default_factory=dict)
    scores: Scores | None = None
    groups: dict[str, dict[str, dict]] = field(default_factory=dict)
    # Per group column, at the shipped rule: {"overall": rates, "groups": {label: rates}}.
    fairness: dict[str, dict] = field(default_factory=dict)


def evaluation_run(
    *,
    samples: Sequence[Sample],
    found: np.ndarray,
    emb: np.ndarray,
    thresholds: dict[str, float],
    groups: dict[str, list[str]] | None = None,
    threshold: float,
    ages: np.ndarray | None = None,
    large_gap_threshold: float | None = None,
    large_gap_years: float = 5.0,
    roles: Sequence[str] | None = None,
    rule: np.ndarray | None = None,
) -> Report:
    """Every figure of an evaluation, from embeddings. With `rule` (`pair_thresholds`),
    candidates, age cells and groups are measured at each pair's own threshold."""
    identities = [s.identity for s in samples]
    reach = candidate_reach(
        rule=rule,
        identities=identities,
        found=found,
        emb=emb,
        threshold=threshold,
        large_gap_threshold=threshold if large_gap_threshold is None else large_gap_threshold,
        large_gap_years=large_gap_years,
        ages=ages,
        roles=roles,
        groups=groups,
    )
    scores = pair_scores(identities=identities, found=found, emb=emb)
    summary = {
        "photos": len(samples),
        "people": len(set(identities)),
        "no_face": int((~found).sum()),
        "no_face_rate": float((~found).mean()) if len(found) else 0.0,
        "genuine_pairs": len(scores.genuine),
        "impostor_pairs": len(scores.impostor),
        "genuine_pairs_unscored": scores.genuine_unscored,
        "rates": {name: rates_at(scores=scores, threshold=t) for name, t in thresholds.items()},
        "verification": verification_accuracy(identities=identities, found=found, emb=emb),
        "identification": identification(
            identities=identities, found=found, emb=emb, threshold=threshold
        ),
        "candidates": reach,
    }
    if ages is not None and not np.isnan(ages).all():
        summary["by_age_gap"] = age_gap_rates(
            identities=identities, found=found, emb=emb, ages=ages, threshold=threshold
        )
    if rule is not None:
        summary["shipped_rule"] = rule_rates(identities=identities, found=found, emb=emb, rule=rule)
        if ages is not None and not np.isnan(ages).all():
            summary["by_age_cell"] = age_cell_rates(
                identities=identities, found=found, emb=emb, rule=rule, ages=ages
            )
    report = Report(summary=summary, scores=scores)
    for column, labels in (groups or {}).items():
        table = {}
        label_array = np.asarray(labels)
        for label in sorted(set(labels)):
            mask = label_array == label
            group_scores = pair_scores(identities=identities, found=found, emb=emb, mask=mask)
            table[label] = {
                "photos": int(mask.sum()),
                "no_face_rate": float((~found[mask]).mean()),
                "genuine_pairs": len(group_scores.genuine),
                "impostor_pairs": len(group_scores.impostor),
                "rates": rates_at(scores=group_scores, threshold=threshold),
                "identification": identification(
                    identities=identities, found=found, emb=emb, threshold=threshold, mask=mask
                ),
            }
        report.groups[column] = table
        if rule is not None:
            report.fairness[column] = group_rates(
                identities=identities, found=found, emb=emb, rule=rule, labels=labels
            )
    return report


def report_write(*, report: Report, out: Path, title: str) -> None:
    """summary.json, scores.npz, roc.png, det.png, distributions.png, fairness-<column>.png
    (with groups at the shipped rule) and report.md."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out.mkdir(parents=True, exist_ok=True)
    scores = report.scores
    assert scores is not None
    (out / "summary.json").write_text(
        json.dumps(
            {**report.summary, "groups": report.groups, "fairness": report.fairness}, indent=2
        )
        + "\n"
    )
    np.savez_compressed(out / "scores.npz", genuine=scores.genuine, impostor=scores.impostor)
    curve = roc_curve(scores=scores)

    fig, ax = plt.subplots(figsize=(7, 4.5))
    bins = np.linspace(min(scores.impostor.min(initial=1), scores.genuine.min(initial=1)), 1, 80)
    ax.hist(scores.impostor, bins=bins.tolist(), density=True, alpha=0.6, label="different people")
    ax.hist(scores.genuine, bins=bins.tolist(), density=True, alpha=0.6, label="same person")
    # Thresholds close together: one label each, stepped down so none covers another.
    top = ax.get_ylim()[1]
    ordered = sorted(report.summary["rates"].items(), key=lambda item: item[1]["threshold"])
    for step, (name, rates) in enumerate(ordered):
        ax.axvline(rates["threshold"], color="k", linestyle="--", linewidth=0.8)
        ax.text(
            rates["threshold"],
            top * (0.95 - 0.08 * (step % 6)),
            f" {name} ({rates['threshold']:.3f})",
            fontsize=7,
            va="top",
            bbox={"facecolor": "white", "alpha": 0.8, "edgecolor": "none", "pad": 1},
        )
    ax.set_xlabel("cosine similarity")
    ax.set_ylabel("density")
    ax.set_title("Score distributions\n" + title, fontsize=9)
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "distributions.png", dpi=120)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(5, 4))
    ax.plot(curve["fmr"], 1 - curve["fnmr"])
    ax.set_xscale("log")
    ax.set_xlim(1e-6, 1)
    ax.set_xlabel("false-match rate per comparison")
    ax.set_ylabel("true-match rate")
    ax.set_title(f"ROC: {title}")
    ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(out / "roc.png", dpi=120)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(5, 4))
    ax.plot(np.maximum(curve["fmr"], 1e-7), np.maximum(curve["fnmr"], 1e-4))
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("false-match rate per comparison")
    ax.set_ylabel("false non-match rate")
    ax.set_title(f"DET: {title}")
    ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(out / "det.png", dpi=120)
    plt.close(fig)

    for column, fair in report.fairness.items():
        _fairness_plot(
            fairness=fair, column=column, title=title, path=out / f"fairness-{column}.png"
        )
    (out / "report.md").write_text(report_markdown(report=report, title=title))


# Groups with fewer impostor pairs than this are listed, but too small to compare rates.
MIN_GROUP_IMPOSTOR_PAIRS = 1000


def _fairness_plot(*, fairness: dict, column: str, title: str, path: Path) -> None:
    """False-match rate per group (log scale) against the overall rate, and misses."""
    import matplotlib.pyplot as plt

    rows = [
        (label, g)
        for label, g in fairness["groups"].items()
        if g["impostor_pairs"] >= MIN_GROUP_IMPOSTOR_PAIRS
    ]
    if not rows:
        return
    overall = fairness["overall"]["fmr"]
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 0.5 * len(rows) + 1.8), sharey=True)
    labels = [label for label, _ in rows]
    left.barh(labels, [max(g["fmr"], 1e-6) for _, g in rows], color="tab:red")
    left.set_xscale("log")
    left.axvline(overall, color="k", linestyle="--", linewidth=0.8, label="overall")
    left.axvline(3 * overall, color="grey", linestyle=":", linewidth=0.8, label="3x overall")
    left.set_xlabel("false-match rate, strangers of the same group")
    left.legend(fontsize=7)
    right.barh(labels, [g["fnmr_incl_no_face"] for _, g in rows], color="tab:blue")
    right.set_xlabel("missed: same person below the threshold")
    fig.suptitle(f"By {column}, at the shipped thresholds\n{title}", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def report_markdown(*, report: Report, title: str) -> str:
    s = report.summary
    lines = [
        f"# Evaluation: {title}",
        "",
        f"{s['photos']} photos of {s['people']} people; no face found in {s['no_face']} "
        f"({s['no_face_rate']:.1%}). {s['genuine_pairs']} genuine and "
        f"{s['impostor_pairs']} impostor pairs scored.",
        "",
        "| threshold | value | FMR per comparison | FNMR | FNMR incl. no face |",
        "| --- | --- | --- | --- | --- |",
    ]
    for name, r in s["rates"].items():
        lines.append(
            f"| {name} | {r['threshold']:.4f} | {r['fmr']:.4%} | {r['fnmr']:.2%} | "
            f"{r['fnmr_incl_no_face']:.2%} |"
        )
    v, ident = s["verification"], s["identification"]
    lines += [
        "",
        f"Verification (balanced pairs, 10-fold): {v['accuracy']:.2%} ± {v['std']:.2%} "
        f"over {v['pairs']} pairs.",
        "",
        f"1:N search ({ident['probes']} probes, single-photo people as distractors): "
        + ", ".join(f"rank-{k} {ident[f'rank{k}']:.1%}" for k in RANKS),
        "",
    ]
    c = s["candidates"]
    lines += [
        "## At the shipped thresholds",
        "",
        f"{c['reports']} reports searched against {c['gallery_faces']} gallery faces: the child "
        f"is among the candidates for **{c['child_among_candidates']:.1%}** of reports, with "
        f"**{c['false_per_10k_faces']:.1f} false candidates per 10,000 gallery faces**.",
        "",
    ]
    for title_, table_ in [("age gap", c.get("by_age_gap", {}))] + [
        (column, t) for column, t in c.get("by_group", {}).items()
    ]:
        if not table_:
            continue
        lines += [
            f"| {title_} | reports | child among candidates | false per 10,000 faces |",
            "| --- | --- | --- | --- |",
        ]
        for label, row in table_.items():
            lines.append(
                f"| {label} | {row['reports']} | {row['child_among_candidates']:.1%} | "
                f"{row['false_per_10k_faces']:.1f} |"
            )
        lines.append("")
    if "by_age_gap" in s:
        lines += [
            "## Genuine pairs by age gap",
            "",
            "| gap | pairs | FNMR |",
            "| --- | --- | --- |",
        ]
        for label, row in s["by_age_gap"].items():
            lines.append(f"| {label} | {row['genuine_pairs']} | {row['fnmr_incl_no_face']:.1%} |")
        lines.append("")
    if "by_age_cell" in s:
        lines += [
            "## By age band of the two photos, at the shipped thresholds",
            "",
            "| age bands | impostor pairs | FMR | genuine pairs | missed |",
            "| --- | --- | --- | --- | --- |",
        ]
        for label, row in s["by_age_cell"].items():
            lines.append(
                f"| {label.replace('|', ' × ')} | {row['impostor_pairs']} | {row['fmr']:.4%} | "
                f"{row['genuine_pairs']} | {row['fnmr_incl_no_face']:.1%} |"
            )
        lines.append("")
    for column, fair in report.fairness.items():
        overall = fair["overall"]
        lines += [
            f"## False matches by {column}, at the shipped thresholds",
            "",
            f"Overall: {overall['fmr']:.4%} of {overall['impostor_pairs']} impostor pairs; "
            f"missed {overall['fnmr_incl_no_face']:.1%} of {overall['genuine_pairs']} genuine "
            f"pairs. Groups with fewer than {MIN_GROUP_IMPOSTOR_PAIRS} impostor pairs are "
            "too small to compare.",
            "",
            "| group | photos | impostor pairs | FMR | × overall | genuine pairs | missed |",
            "| --- | --- | --- | --- | --- | --- | --- |",
        ]
        for label, g in fair["groups"].items():
            ratio = (
                f"{g['times_overall']:.1f}"
                if g["impostor_pairs"] >= MIN_GROUP_IMPOSTOR_PAIRS
                else "(too few)"
            )
            lines.append(
                f"| {label} | {g['photos']} | {g['impostor_pairs']} | {g['fmr']:.4%} | {ratio} | "
                f"{g['genuine_pairs']} | {g['fnmr_incl_no_face']:.1%} |"
            )
        lines.append("")
    for column, table in report.groups.items():
        lines += [
            f"## By {column}",
            "",
            "| group | photos | no face | genuine | FMR | FNMR | rank-1 | rank-10 |",
            "| --- | --- | --- | --- | --- | --- | --- | --- |",
        ]
        for label, g in table.items():
            lines.append(
                f"| {label} | {g['photos']} | {g['no_face_rate']:.1%} | {g['genuine_pairs']} | "
                f"{g['rates']['fmr']:.4%} | {g['rates']['fnmr']:.2%} | "
                f"{g['identification']['rank1']:.1%} | {g['identification']['rank10']:.1%} |"
            )
        lines.append("")
    lines += [
        "Files: distributions.png, roc.png, det.png, scores.npz (raw genuine/impostor "
        "scores), summary.json.",
        "",
    ]
    return "\n".join(lines)
