"""The labelled photos an evaluation runs on, and their embeddings.

Embeddings come from the product's own code (cases.records.images normalisation, then
matching.engine), so a figure measured here is a figure about what runs in production.
They are cached in an `.npz` file, so everything after embedding can be rerun offline.
"""

from __future__ import annotations

import csv
import datetime as dt
import multiprocessing
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from cases.records.ages import AGE_BANDS
from cases.records.images import PhotoRejected, photo_normalise, photo_pixels
from matching.engine import normalise
from matching.engine.deepface_engine import DeepFaceEngine, SpaceSpec

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp"}


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


# A photo whose metadata gives no label for a group column: listed, never pooled.
UNKNOWN_GROUP = "unknown"


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
                labels.append(age_band(age) if age is not None else UNKNOWN_GROUP)
            else:
                labels.append(row.get(column) or UNKNOWN_GROUP)
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
    return DeepFaceEngine(SpaceSpec(name="evaluation", weights=(("SFace", 1.0), ("Dlib", 1.0))))


_engine: DeepFaceEngine | None = None


def photo_embed(*, path: Path, jitters: int = 0) -> dict:
    """Every descriptor of one photo file, through the product's pipeline.

    A photo with several faces uses the face nearest the centre. Returns `found`,
    `detector` and the normalised descriptors named in DESCRIPTORS (jittered ones only
    when `jitters` > 0).
    """

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
