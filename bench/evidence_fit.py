"""Fit the other evidence's likelihood ratios on synthetic tracing records (issue 25).

No real data joins missing-child cases with found-child reports, so the ratios are fitted
on the synthetic records of bench/tracing_synth.py: many more people than any face set
(no faces needed), on **training seeds only** (1000 and up; the benchmark's seeds 25-29
are never used here). Each found report is paired with its own case (the same child) and
with other people's cases (different children), every pair is assessed exactly as the
product assesses a candidate (`evidence_assess`), and the ratios are fitted **jointly**:
a logistic regression on the agreements, one weight per (kind, agreement), no intercept
(missing evidence stays neutral), same and different pairs weighted equally, so each
weight is a log likelihood ratio *given the other evidence*. Fitted one kind at a time,
correlated evidence would count twice: a shared name list means a shared language and
district, so "languages shared" says little once the given names agree.

Dates stay priors: the generator makes no claim about when reports are filed.

Writes matching/evidence/ratios.json, then checks calibration on the benchmark's seeds:
pairs binned by the fitted ratio, against the ratio of same to different pairs measured
in each bin.

    .venv/bin/python bench/evidence_fit.py [--people 4000] [--others 30] [--write]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import sys
import tempfile
from collections import Counter
from pathlib import Path

import numpy as np

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))
sys.path.insert(0, str(PROJECT / "bench"))

TRAINING_SEEDS = (1000, 1001, 1002, 1003)
CHECK_SEEDS = (25, 26, 27, 28, 29)
# Kinds not fitted here: the generator makes no claim about when reports are filed.
PRIORS_KEPT = ("dates",)
# No fitted ratio leaves this range: a synthetic world is not evidence of certainty.
LOWEST, HIGHEST = 0.1, 500.0
# A partial agreement (close names, the same area, near or in one region) never counts
# against: jointly fitted, some come out a little under 1 (strangers of one district share
# the area, and the shared language already counted), and reviewers would read "Home: 13 km
# apart: points to different children".
PARTIAL = ("some", "same_area", "near", "region")
OUT = PROJECT / "matching" / "evidence" / "ratios.json"


def _ages(rng: random.Random) -> tuple[float, float]:
    """A case photo's age and a later found photo's, spread as in a cross-age set: the
    case as a child, the child found months to many years later."""
    case_age = rng.uniform(0, 12)
    return case_age, case_age + min(rng.expovariate(1 / 6), 40) + 0.1


def pairs_make(*, seed: int, people: int, others: int) -> list[tuple[bool, list[tuple[str, str]]]]:
    """(same child?, [(kind, agreement), ...]) for every report against its own case and
    `others` other cases."""
    from tracing_synth import case_fields, people_make, report_fields

    from cases.models import FoundReport, MissingCase
    from matching.candidates.compatibility import compatibility_check
    from matching.evidence.ratios import evidence_assess

    rng = random.Random(seed + 7)
    identities = [f"s{seed}-{i:05d}" for i in range(people)]
    made = people_make(identities=identities, seed=seed)
    ages = {identity: _ages(rng) for identity in identities}
    cases = {
        identity: MissingCase(**case_fields(person=made[identity], age=ages[identity][0]))
        for identity in identities
    }
    rows = []
    for identity in identities:
        report = FoundReport(**report_fields(person=made[identity], age=ages[identity][1], rng=rng))
        strangers = [o for o in rng.sample(identities, others + 1) if o != identity]
        for other in [identity, *strangers[:others]]:
            case = cases[other]
            notes = compatibility_check(case=case, report=report).notes
            items = evidence_assess(case=case, report=report, compatibility=notes, face=1.0).items
            rows.append((other == identity, [(i.kind, i.agreement) for i in items]))
    return rows


def fit(rows, features: list[tuple[str, str]], l2: float = 1e-4) -> np.ndarray:
    """Balanced, intercept-free logistic regression by Newton's method."""
    index = {f: k for k, f in enumerate(features)}
    x = np.zeros((len(rows), len(features)))
    y = np.zeros(len(rows))
    for r, (same, items) in enumerate(rows):
        y[r] = same
        for item in items:
            if item in index:
                x[r, index[item]] = 1.0
    n_same = y.sum()
    c = np.where(y == 1, 0.5 / n_same, 0.5 / (len(y) - n_same))
    w = np.zeros(len(features))
    for _ in range(50):
        p = 1 / (1 + np.exp(-(x @ w)))
        grad = x.T @ (c * (p - y)) + l2 * w
        hess = (x * (c * p * (1 - p))[:, None]).T @ x + l2 * np.eye(len(features))
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return w


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--people", type=int, default=4000, help="people per training seed")
    parser.add_argument("--others", type=int, default=30, help="different cases per report")
    parser.add_argument("--write", action="store_true", help=f"write {OUT.relative_to(PROJECT)}")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "reunite.settings.local")
    os.environ.setdefault("REUNITE_DATA_DIR", tempfile.mkdtemp(prefix="reunite-bench-"))
    # The gazetteer's table is the project's, built once (matching/evidence/gazetteer.py).
    os.environ.setdefault("REUNITE_GAZETTEER_DIR", str(PROJECT / "data" / "gazetteer"))
    import django

    django.setup()
    from matching.evidence.ratios import KINDS, RATIOS

    rows = []
    for seed in TRAINING_SEEDS:
        rows += pairs_make(seed=seed, people=args.people, others=args.others)
    fitted_kinds = set(KINDS) - set(PRIORS_KEPT)
    features = sorted(key for key in RATIOS if key[0] in fitted_kinds)
    weights = fit(rows, features)
    same = Counter(i for s, items in rows if s for i in items)
    diff = Counter(i for s, items in rows if not s for i in items)
    n_same = sum(1 for s, _ in rows if s)
    n_diff = len(rows) - n_same
    fitted = {}
    print(f"Training: seeds {TRAINING_SEEDS}, {n_same:,} same-child and {n_diff:,} pairs.\n")
    print("| kind | agreement | same | different | one at a time | fitted jointly |")
    print("| --- | --- | --- | --- | --- | --- |")
    for feature, weight in zip(features, weights, strict=True):
        ratio = float(min(HIGHEST, max(LOWEST, math.exp(weight))))
        if feature[1] in PARTIAL:
            ratio = max(1.0, ratio)
        marginal = ((same[feature] + 0.5) / n_same) / ((diff[feature] + 0.5) / n_diff)
        fitted[feature] = float(f"{ratio:.3g}")
        print(
            f"| {feature[0]} | {feature[1]} | {same[feature] / n_same:.2%} "
            f"| {diff[feature] / n_diff:.2%} | {marginal:.3g} | {fitted[feature]:.3g} |"
        )
    _check(fitted)
    if args.write:
        data = {
            "fitted_on": {
                "generator": "bench/tracing_synth.py",
                "seeds": list(TRAINING_SEEDS),
                "people_per_seed": args.people,
                "same_child_pairs": n_same,
                "different_children_pairs": n_diff,
                "method": "joint logistic regression, balanced, no intercept; "
                f"clipped to [{LOWEST}, {HIGHEST}]; partial agreements at least 1",
            },
            "ratios": {
                kind: {a: fitted[(k, a)] for (k, a) in features if k == kind}
                for kind in dict.fromkeys(k for k, _ in features)
            },
        }
        OUT.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
        print(f"\nWrote {OUT.relative_to(PROJECT)}")


def _check(fitted: dict) -> None:
    """Calibration on the benchmark's seeds: fitted ratio against measured ratio."""
    from matching.evidence.ratios import RATIOS

    ratios = {**RATIOS, **fitted}
    rows = []
    for seed in CHECK_SEEDS:
        rows += pairs_make(seed=seed, people=1000, others=30)
    n_same = sum(1 for s, _ in rows if s)
    n_diff = len(rows) - n_same
    bins: dict[int, list[int]] = {}
    for same, items in rows:
        ratio = math.prod(ratios[i] for i in items)
        cell = bins.setdefault(round(math.log10(ratio)), [0, 0])
        cell[0 if same else 1] += 1
    print(f"\nCheck on seeds {CHECK_SEEDS}: {n_same:,} same-child and {n_diff:,} pairs.")
    print("| fitted ratio about | same | different | measured ratio |")
    print("| --- | --- | --- | --- |")
    for decade in sorted(bins):
        s, d = bins[decade]
        measured = (s / n_same) / (d / n_diff) if d else float("inf")
        print(f"| 10^{decade} | {s} | {d} | {measured:.3g} |")


if __name__ == "__main__":
    main()
