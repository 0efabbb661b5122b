"""Matching accuracy on the development set: dlib, SFace and their fusion side by side.

Embeds every photo of the development set once with the product's own pipeline
(cases.records.images normalisation, then matching.engine: YuNet detection with dlib HOG and CNN
fallbacks, SFace on the ArcFace-aligned chip, dlib on its own aligned chip), keeping each
recogniser's plain and mirrored descriptor, so every row below comes from the same run and
the same detections:

- dlib alone (wave 1's recogniser, without jitter; with --jitters 10 also wave 1's jitter);
- SFace alone, plain and mirror-averaged;
- the fusion, with the weights the shipped profile was calibrated with, plain and mirrored;
- the shipped profile at its own thresholds: the share of found children who become
  candidates and the false candidates per 10,000 gallery faces.

Each row's threshold is its own, at FMR 1e-3 per comparison on this set, so rows compare
fairly. Run from the project root (about 8 minutes on 2 free cores; jitter adds ~40):
    .venv/bin/python bench/accuracy.py [--faces DIR] [--workers N] [--embeddings FILE.npz]
        [--jitters 10]

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
    parser.add_argument("--jitters", type=int, default=0, help="also measure dlib jitter")
    args = parser.parse_args()
    django_setup()
    from django.conf import settings
    from tqdm import tqdm

    from matching.evaluation import datasets, metrics
    from matching.spaces.profiles import profile_read

    root = args.faces or Path(settings.FACES_DIR) / "lfw-dev"
    if args.embeddings and args.embeddings.is_file():
        samples, embedded = datasets.embeddings_load(path=args.embeddings)
        print(f"Embeddings read from {args.embeddings}")
    else:
        samples = datasets.dataset_scan(root=root)
        started = time.perf_counter()
        embedded = datasets.dataset_embed(
            root=root,
            samples=samples,
            workers=args.workers,
            progress=lambda it: tqdm(it, total=len(samples), desc="embedding", file=sys.stderr),
            jitters=args.jitters,
        )
        print(f"Embedded {len(samples)} photos in {time.perf_counter() - started:.0f} s")
        if args.embeddings:
            datasets.embeddings_save(path=args.embeddings, samples=samples, embedded=embedded)
    ids = [s.identity for s in samples]
    profile = profile_read(name=settings.MATCH_PROFILE)
    fused = dict(datasets.profile_space(data=profile.data)["weights"])

    def line(
        label: str, *, weights: dict[str, float], flip: bool = False, jitter: bool = False
    ) -> None:
        found, emb = datasets.space_embeddings(
            embedded=embedded, weights=weights, flip=flip, jitter=jitter
        )
        scores = metrics.pair_scores(identities=ids, found=found, emb=emb)
        own = metrics.threshold_for_fmr(impostor=scores.impostor, target_fmr=1e-3)
        at = metrics.rates_at(scores=scores, threshold=own)
        tight = metrics.rates_at(
            scores=scores,
            threshold=metrics.threshold_for_fmr(impostor=scores.impostor, target_fmr=1e-4),
        )
        ver = metrics.verification_accuracy(identities=ids, found=found, emb=emb)
        ident = metrics.identification(identities=ids, found=found, emb=emb, threshold=own)
        reach = metrics.candidate_reach(
            identities=ids,
            found=found,
            emb=emb,
            threshold=own,
            large_gap_threshold=own,
            large_gap_years=5,
        )
        print(
            f"| {label} | {int((~found).sum())} | {at['threshold']:.4f} | "
            f"{at['fnmr_incl_no_face']:.1%} | {tight['fnmr_incl_no_face']:.1%} | "
            f"{ver['accuracy']:.2%} | {ident['rank1']:.1%} | {ident['rank10']:.1%} | "
            f"{ident['rank50']:.1%} | {reach['child_among_candidates']:.1%} | "
            f"{reach['false_per_10k_faces']:.1f} |"
        )

    people = len(set(ids))
    print(f"\nDevelopment set: {len(samples)} photos of {people} people ({root}).")
    print(
        "Each row at its own threshold for FMR 1e-3 per comparison on this set. FNMR counts a "
        "genuine pair with an undetected face as a miss. Verification: all genuine pairs + as "
        "many random impostor pairs, 10-fold. Rank-k and candidates: 1:N search, each person's "
        "first photo enrolled, single-photo people as distractors.\n"
    )
    print(
        "| recogniser | no face | threshold | FNMR @1e-3 | FNMR @1e-4 | verification "
        "| rank-1 | rank-10 | rank-50 | child among candidates | false per 10,000 faces |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    line("dlib (wave 1, no jitter)", weights={"Dlib": 1.0})
    if "dlib_jittered" in embedded.descriptors:
        line("dlib, 10 jitters (wave 1 as shipped)", weights={"Dlib": 1.0}, jitter=True)
    line("SFace, YuNet-aligned", weights={"SFace": 1.0})
    line("SFace, mirror-averaged", weights={"SFace": 1.0}, flip=True)
    if len(fused) > 1:
        line(f"fusion {fused}", weights=fused)
        line("fusion, mirror-averaged", weights=fused, flip=True)
        if "dlib_jittered" in embedded.descriptors:
            line("fusion, dlib with 10 jitters", weights=fused, jitter=True)

    space = datasets.profile_space(data=profile.data)
    found, emb = datasets.space_embeddings(embedded=embedded, **space)
    # This set has no ages: every photo is taken as an adult's (30), as `--default-age 30`.
    rule = metrics.profile_rule(
        rates=profile.rates,
        large_gap_threshold=profile.large_gap_threshold,
        large_gap_years=5,
        emb=emb,
        ages=np.full(len(ids), 30.0),
    )
    reach = metrics.candidate_reach(
        identities=ids,
        found=found,
        emb=emb,
        threshold=profile.threshold,
        large_gap_threshold=profile.large_gap_threshold,
        large_gap_years=5,
        rule=rule,
    )
    print(
        f"\nAs shipped (profile {profile.name}, space {profile.space}, each pair at its "
        f"own threshold, every photo taken as an adult's): the child is among the candidates "
        f"for {reach['child_among_candidates']:.1%} of {reach['reports']} reports, with "
        f"{reach['false_per_10k_faces']:.1f} false candidates per 10,000 gallery faces "
        f"({reach['gallery_faces']} faces). Children and age gaps: `evaluate` on a set with "
        "ages (docs/accuracy.md)."
    )
    print("\nSeveral photos per child (same probes: each photo of each person with 2+ photos).")
    print("| enrolled | probes | rank-1 | rank-10 | rank-50 |")
    print("| --- | --- | --- | --- | --- |")
    for label, kw in (
        ("one other photo", {"gallery_photos": "one-other"}),
        ("all other photos, max", {"gallery_photos": "all", "aggregate": "max"}),
        ("all other photos, evidence score", {"gallery_photos": "all", "aggregate": "evidence"}),
    ):
        r = metrics.identification(
            identities=ids, found=found, emb=emb, threshold=profile.threshold, **kw
        )
        print(
            f"| {label} | {r['probes']} | {r['rank1']:.1%} | {r['rank10']:.1%} | "
            f"{r['rank50']:.1%} |"
        )


if __name__ == "__main__":
    main()
