"""One evaluation run over a labelled set, and its report (Markdown, JSON and plots)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from matching.evaluation.datasets import Sample
from matching.evaluation.metrics import (
    RANKS,
    Scores,
    age_cell_rates,
    age_gap_rates,
    candidate_reach,
    group_rates,
    identification,
    pair_scores,
    rates_at,
    roc_curve,
    rule_rates,
    verification_accuracy,
)

if TYPE_CHECKING:
    pass


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
    left.axvline(overall, color="k", linestyle="--", linewidth=0.8, label="overall (same group)")
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
            f"Overall, strangers of the same group: {overall['fmr']:.4%} of "
            f"{overall['impostor_pairs']} impostor pairs; missed "
            f"{overall['fnmr_incl_no_face']:.1%} of {overall['genuine_pairs']} genuine pairs. "
            f"Every impostor pair, of any groups: {fair['all_pairs']['fmr']:.4%} of "
            f"{fair['all_pairs']['impostor_pairs']}. Groups with fewer than "
            f"{MIN_GROUP_IMPOSTOR_PAIRS} impostor pairs are too small to compare.",
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
