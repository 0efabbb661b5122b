"""Matching accuracy on the development set, before and after each accuracy measure.

Embeds every photo of the development set once with the product's own pipeline
(cases.images normalisation + matching.engine), keeping both the plain and the mirrored
descriptor and which detector found the face, so every variant below is computed from the
same run:

- before: HOG only, plain descriptor, one photo per person, threshold 0.925 (the old default);
- robustness (point 6): flip averaging; dlib jitter averaging instead (kept), and with
  flip on top (not kept); + MMOD detector when HOG finds nothing (kept); + cohort score
  normalisation (not kept);
- several photos per child (point 3): the same probes against one enrolled photo vs. all
  of a person's other photos, aggregated by max and by the product's evidence score;
- metadata (point 4): the share of false candidates held back when sex is known on both
  sides (simulated: the development set has no labels);
- cross-age (point 5): what the widened band costs in false matches (no ages in the set);
- after: the product as configured, at the shipped profile's threshold.

Run from the project root (about 10 minutes on 2 free cores with --workers 2, most of it
jitter averaging):
    .venv/bin/python bench/accuracy.py [--faces DIR] [--workers N] [--embeddings FILE.npz]

With --embeddings FILE and FILE present, the photos are not embedded again.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

PROJECT = Path(__file__).resolve().parent.parent
OLD_THRESHOLD = 0.925


def django_setup() -> None:
    sys.path.insert(0, str(PROJECT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "reunite.settings.local")
    os.environ.setdefault("REUNITE_DATA_DIR", tempfile.mkdtemp(prefix="reunite-bench-"))
    import django

    django.setup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--faces", type=Path, help="default $REUNITE_FACES_DIR/lfw-dev")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--embeddings", type=Path, help="cache file (.npz): read or written")
    args = parser.parse_args()
    django_setup()
    from django.conf import settings
    from tqdm import tqdm

    from matching import evaluation as ev
    from matching.calibration import profile_active

    root = args.faces or Path(settings.FACES_DIR) / "lfw-dev"
    if args.embeddings and args.embeddings.is_file():
        samples, embedded = ev.embeddings_load(path=args.embeddings)
        print(f"Embeddings read from {args.embeddings}")
    else:
        samples = ev.dataset_scan(root=root)
        started = time.perf_counter()
        embedded = ev.dataset_embed(
            root=root,
            samples=samples,
            workers=args.workers,
            progress=lambda it: tqdm(it, total=len(samples), desc="embedding", file=sys.stderr),
            jitters=settings.EMBED_JITTERS or 10,
        )
        print(f"Embedded {len(samples)} photos in {time.perf_counter() - started:.0f} s")
        if args.embeddings:
            ev.embeddings_save(path=args.embeddings, samples=samples, embedded=embedded)
    ids = [s.identity for s in samples]
    profile = profile_active()

    def line(
        label: str,
        *,
        flip: bool,
        cnn: bool,
        threshold: float | None,
        jitter: bool = False,
        **kw: object,
    ) -> None:
        found, emb = ev.variant_embeddings(
            embedded=embedded, flip=flip, cnn_fallback=cnn, jitter=jitter
        )
        scores = ev.pair_scores(identities=ids, found=found, emb=emb)
        own = ev.threshold_for_fmr(impostor=scores.impostor, target_fmr=profile.target_fmr)
        at = ev.rates_at(scores=scores, threshold=threshold or own)
        tight = ev.rates_at(
            scores=scores, threshold=ev.threshold_for_fmr(impostor=scores.impostor, target_fmr=1e-4)
        )
        ver = ev.verification_accuracy(identities=ids, found=found, emb=emb)
        ident = ev.identification(
            identities=ids, found=found, emb=emb, threshold=threshold or own, **kw
        )
        print(
            f"| {label} | {int((~found).sum())} | {at['threshold']:.4f} | {at['fmr']:.3%} | "
            f"{at['fnmr_incl_no_face']:.1%} | {tight['fnmr_incl_no_face']:.1%} | "
            f"{ver['accuracy']:.2%} | {ident['rank1']:.1%} | {ident['rank10']:.1%} | "
            f"{ident['rank50']:.1%} |"
        )

    people = len(set(ids))
    print(f"\nDevelopment set: {len(samples)} photos of {people} people ({root}).")
    print(
        "FNMR counts a genuine pair with an undetected face as a miss. Verification: all "
        "genuine pairs + as many random impostor pairs, 10-fold. Rank-k: 1:N search, one "
        "enrolled photo per person, single-photo people as distractors.\n"
    )
    print(
        "| pipeline | no face | threshold | FMR | FNMR @thr | FNMR @FMR 1e-4 | verification "
        "| rank-1 | rank-10 | rank-50 |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    line("before: HOG, plain, 0.925", flip=False, cnn=False, threshold=OLD_THRESHOLD)
    line("before, threshold at FMR 1e-3", flip=False, cnn=False, threshold=None)
    line("+ flip averaging", flip=True, cnn=False, threshold=None)
    line("jitter averaging instead (kept)", flip=False, cnn=False, threshold=None, jitter=True)
    line("jitter + flip (not kept)", flip=True, cnn=False, threshold=None, jitter=True)
    line("jitter + MMOD when HOG finds nothing", flip=False, cnn=True, threshold=None, jitter=True)
    line(
        "+ cohort normalisation (not kept)",
        flip=False,
        cnn=True,
        threshold=None,
        jitter=True,
        cohort_norm=True,
    )
    shipped = {
        "flip": settings.EMBED_FLIP,
        "cnn_fallback": settings.DETECT_CNN_FALLBACK,
        "jitter": settings.EMBED_JITTERS > 0,
    }
    line(
        f"after: as shipped (profile {profile.name})",
        flip=shipped["flip"],
        cnn=shipped["cnn_fallback"],
        jitter=shipped["jitter"],
        threshold=profile.threshold,
    )

    found, emb = ev.variant_embeddings(embedded=embedded, **shipped)
    t = profile.threshold
    print("\nSeveral photos per child (same probes: each photo of each person with 2+ photos).")
    print("| enrolled | probes | rank-1 | rank-10 | rank-50 |")
    print("| --- | --- | --- | --- | --- |")
    for label, kw in (
        ("one other photo", {"gallery_photos": "one-other"}),
        ("all other photos, max", {"gallery_photos": "all", "aggregate": "max"}),
        ("all other photos, evidence score", {"gallery_photos": "all", "aggregate": "evidence"}),
    ):
        r = ev.identification(identities=ids, found=found, emb=emb, threshold=t, **kw)
        print(
            f"| {label} | {r['probes']} | {r['rank1']:.1%} | {r['rank10']:.1%} | "
            f"{r['rank50']:.1%} |"
        )

    # Metadata: sex drawn at random per person (the set has no labels), known on both sides.
    rng = np.random.default_rng(0)
    sex = {p: rng.choice(["female", "male"]) for p in sorted(set(ids))}
    idx = np.flatnonzero(found)
    sims = emb[idx] @ emb[idx].T
    names = np.asarray(ids)[idx]
    upper = np.triu(np.ones_like(sims, dtype=bool), k=1)
    impostor_close = (names[:, None] != names[None, :]) & upper & (sims >= t)
    sexes = np.array([sex[n] for n in names])
    compatible = sexes[:, None] == sexes[None, :]
    false_total = int(impostor_close.sum())
    false_kept = int((impostor_close & compatible).sum())
    print(
        f"\nMetadata (simulated sex labels): of {false_total} false candidates at {t:.4f}, "
        f"{false_total - false_kept} ({(false_total - false_kept) / max(false_total, 1):.0%}) "
        f"are held back for a sex mismatch; {false_kept} stay in the default queue. Genuine "
        "pairs are never held back by sex."
    )

    scores = ev.pair_scores(identities=ids, found=found, emb=emb)
    wide = ev.rates_at(scores=scores, threshold=profile.weak_floor)
    print(
        f"Cross-age band: with a large age gap, 'possible' starts at {profile.weak_floor:.4f} "
        f"(FMR {wide['fmr']:.2%} per comparison on this set, FNMR {wide['fnmr']:.1%}). The set "
        "has no ages or age-progressed images, so cross-age accuracy is not measured here."
    )
    gallery = 10_000
    print(
        f"Expected false candidates per search at FMR {profile.data['measured_fmr']:.3%}: "
        f"{gallery * profile.data['measured_fmr']:.0f} per {gallery:,} gallery faces."
    )


if __name__ == "__main__":
    main()
