"""The whole evidence, measured: face alone, other evidence alone, and combined (issue 25).

Faces: a cross-age set with ages and roles (the FG-NET development half, laid out by
../shared/crossage/prepare_fgnet_dev.py; case photos are each person's youngest, found
photos the later ones), embedded once by `manage.py evaluate --embeddings-out`. Tracing
information: made up per person by bench/tracing_synth.py (seeded, its error model
documented there). Every found photo is one search against every person's case photos;
each (found photo, person) pair is scored as the product scores a candidate:

- **face alone**: the best pair clears its own threshold (age cell and face clusters);
- **other evidence alone**: the other evidence's ratio reaches the one combined threshold
  (no face at all, which the product never does: for comparison only);
- all three, as the product does today, hold back records whose sex, age or dates
  conflict;
- **combined**: as the product decides what reaches reviewers: a face above its
  threshold, or above the evidence floor with the other evidence carrying it, and the
  combined ratio at least the threshold; sex, age or dates that conflict hold it back;
  at most REUNITE_CANDIDATES_PER_REPORT (10) per found child, the best by the ratio.

Reports, per found child's age band: the share of found children whose own case reaches
review, and the false candidates per 10,000 gallery faces (per search).

`--gallery-faces N` projects to a gallery of N faces: a pair counts only if its face would
still be among the index's REUNITE_SEARCH_TOP_K nearest (N times its false-match rate
under K), or the names reach it (candidates/reach.py).

    .venv/bin/python manage.py evaluate data/fgnet-dev --profile sface-dlib-ages-v2 \
        --embeddings-out data/evaluation/fgnet-dev-descriptors.npz
    .venv/bin/python bench/evidence.py --embeddings data/evaluation/fgnet-dev-descriptors.npz \
        --metadata data/fgnet-dev/metadata.csv [--seed 25]
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))
sys.path.insert(0, str(PROJECT / "bench"))

BANDS = ("under 6", "6-12", "13-17", "18+")


def _band(age: float) -> str:
    return BANDS[0] if age < 6 else BANDS[1] if age < 13 else BANDS[2] if age < 18 else BANDS[3]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--embeddings", type=Path, required=True)
    parser.add_argument("--metadata", type=Path, required=True)
    parser.add_argument("--profile", default="sface-dlib-ages-v2")
    parser.add_argument("--seed", type=int, default=25)
    parser.add_argument(
        "--gallery-faces",
        type=int,
        default=0,
        help="project to a gallery this large: a pair counts only if its face would still "
        "be among the index's REUNITE_SEARCH_TOP_K nearest (expected rank from its rate)",
    )
    parser.add_argument(
        "--no-reach", action="store_true", help="with --gallery-faces: the index's nearest only"
    )
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "reunite.settings.local")
    os.environ.setdefault("REUNITE_DATA_DIR", tempfile.mkdtemp(prefix="reunite-bench-"))
    # The gazetteer's table is the project's, built once (matching/evidence/gazetteer.py).
    os.environ.setdefault("REUNITE_GAZETTEER_DIR", str(PROJECT / "data" / "gazetteer"))
    import django

    django.setup()
    from django.conf import settings
    from tracing_synth import case_fields, people_make, report_fields

    from cases.models import FoundReport, MissingCase
    from matching.candidates.compatibility import compatibility_check
    from matching.candidates.reach import evidence_reaches
    from matching.evaluation.datasets import embeddings_load, profile_space, space_embeddings
    from matching.evidence.ratios import combined_threshold, evidence_assess, face_ratio
    from matching.spaces.profiles import profile_read

    profile = profile_read(name=args.profile)
    samples, embedded = embeddings_load(path=args.embeddings)
    found, emb = space_embeddings(embedded=embedded, **profile_space(data=profile.data))
    offsets = profile.rates.pair_offsets(emb, emb)
    meta = {}
    with open(args.metadata, newline="") as handle:
        for row in csv.DictReader(handle):
            meta[row["path"]] = row
    ages = np.array([float(meta[s.path]["age"]) for s in samples])
    roles = [meta[s.path]["role"] for s in samples]
    ids = [s.identity for s in samples]
    people = people_make(identities=sorted(set(ids)), seed=args.seed)
    rng = random.Random(args.seed + 1)
    target = profile.target_fmr
    line = combined_threshold(target_fmr=target)
    floor = min(
        profile.threshold,
        profile.large_gap_threshold,
        profile.rates.floor(),
        profile.rates.evidence_floor(),
    )
    cap = settings.CANDIDATES_PER_REPORT
    top_k = settings.SEARCH_TOP_K

    gallery = defaultdict(list)  # person -> case photo indices
    for i, role in enumerate(roles):
        if role == "case" and found[i]:
            gallery[ids[i]].append(i)
    cases = {
        person: MissingCase(**case_fields(person=people[person], age=min(ages[j] for j in idx)))
        for person, idx in gallery.items()
    }
    stats = {
        mode: defaultdict(lambda: {"searches": 0, "hits": 0, "false": 0})
        for mode in ("face alone", "other evidence alone", "combined")
    }
    timing = {"face": 0.0, "other": 0.0, "pairs": 0}
    for i, role in enumerate(roles):
        if role != "found" or not found[i] or ids[i] not in gallery:
            continue
        report = FoundReport(**report_fields(person=people[ids[i]], age=ages[i], rng=rng))
        estimated = (report.estimated_age_min + report.estimated_age_max) / 2
        band = _band(ages[i])
        rows = []
        for person, idx in gallery.items():
            started = time.perf_counter()
            scores = emb[idx] @ emb[i]
            best = int(np.argmax(scores))
            j = idx[best]
            rule = profile.rates.pair(
                score=float(scores[best]),
                age_a=float(ages[j]),
                age_b=estimated,
                offset=float(offsets[j, i]),
            )
            score = float(scores[best])
            timing["face"] += time.perf_counter() - started
            started = time.perf_counter()
            check = compatibility_check(case=cases[person], report=report)
            assessment = evidence_assess(
                case=cases[person], report=report, compatibility=check.notes, face=1.0
            )
            other = assessment.other
            reaches = evidence_reaches(
                items=[(item.kind, item.agreement) for item in assessment.items], other=other
            )
            timing["other"] += time.perf_counter() - started
            timing["pairs"] += 1
            conflict = bool(check.hold_reasons)
            # In a gallery of N faces, about N x (the pair's false-match rate) strangers
            # score higher: past the index's top K the face is seen only if the names
            # reach it (candidates/reach.py).
            seen = (
                not args.gallery_faces
                or rule.fmr * args.gallery_faces < top_k
                or (not conflict and reaches and not args.no_reach)
            )
            above = score >= rule.threshold and seen
            face = face_ratio(fmr=rule.fmr, target_fmr=target, above_threshold=above)
            combined = face * other
            held = conflict or combined < line * (1 - 1e-9)
            rows.append(
                {
                    "same": person == ids[i],
                    "face": above and not conflict,
                    "other": other >= line and not conflict,
                    "combined": not held and seen and (above or score >= floor),
                    "ratio": combined,
                }
            )
        kept = sorted((r for r in rows if r["combined"]), key=lambda r: -r["ratio"])[:cap]
        for mode, chosen in (
            ("face alone", [r for r in rows if r["face"]]),
            ("other evidence alone", [r for r in rows if r["other"]]),
            ("combined", kept),
        ):
            cell = stats[mode][band]
            cell["searches"] += 1
            cell["hits"] += any(r["same"] for r in chosen)
            cell["false"] += sum(1 for r in chosen if not r["same"])
    size = len(gallery)
    print(f"Gallery: {size} people's case photos; seed {args.seed}; profile {profile.name}")
    print(f"Combined threshold {line:g}; at most {cap} candidates per found child.")
    if args.gallery_faces:
        print(
            f"Projected to {args.gallery_faces:,} gallery faces: a face counts only within "
            f"the index's {top_k} nearest."
        )
    print()
    print(
        "| found child's age | mode | found children | child among candidates "
        "| false candidates per 10,000 gallery faces |"
    )
    print("| --- | --- | --- | --- | --- |")
    for band in (*BANDS, "under 13", "all"):
        for mode, cells in stats.items():
            keys = (
                [b for b in BANDS[:2]] if band == "under 13" else BANDS if band == "all" else [band]
            )
            n = sum(cells[k]["searches"] for k in keys)
            if not n:
                continue
            hits = sum(cells[k]["hits"] for k in keys)
            false = sum(cells[k]["false"] for k in keys)
            per = false / (n * max(size - 1, 1)) * 10_000
            print(f"| {band} | {mode} | {n} | {hits / n:.1%} | {per:,.0f} |")
    # What the search step's reach (candidates/reach.py) costs per record of the other side.
    pairs = max(timing["pairs"], 1)
    print(
        f"\nPer (case, report) pair: the other evidence {timing['other'] / pairs * 1e6:,.0f} µs "
        f"(compatibility and every kind); the face's exact score and its calibrated rate "
        f"{timing['face'] / pairs * 1e6:,.0f} µs (reference)."
    )


if __name__ == "__main__":
    main()
