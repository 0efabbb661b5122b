"""`manage.py evaluate DIR`: accuracy figures of the product's own pipeline on labelled photos."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from matching.evaluation import datasets, metrics
from matching.evaluation.report import evaluation_run, report_markdown, report_write
from matching.spaces.calibration import profile_active
from matching.spaces.profiles import profile_read


class Command(BaseCommand):
    help = (
        "Embed every photo under DIR/<identity>/ with the product's pipeline and write a report "
        "for one profile's space: score distributions, ROC/DET, FMR/FNMR at its thresholds, "
        "rank-1/10/50, and the share of found children who become candidates with the false "
        "candidates per 10,000 gallery faces, by age gap and per group."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("directory", type=Path)
        parser.add_argument(
            "--out", type=Path, help="report folder (default data/evaluation/<DIR>)"
        )
        parser.add_argument(
            "--profile", help="profile whose space and thresholds to measure (default: active)"
        )
        parser.add_argument(
            "--metadata",
            type=Path,
            help=(
                "CSV with `path` or `identity`, and `age`, `taken_on`, `date_of_birth`, "
                "`role` (case/found), labels"
            ),
        )
        parser.add_argument(
            "--group-by",
            action="append",
            default=[],
            help=(
                "metadata column to report per group (age becomes age bands): false-match "
                "and miss rates per group at the shipped thresholds, with a plot; repeatable"
            ),
        )
        parser.add_argument(
            "--default-age",
            type=float,
            help="age for photos the metadata gives none (e.g. 30 for a set of adults); "
            "without it an unknown age takes the most cautious age band, as in the product",
        )
        parser.add_argument("--embeddings-out", type=Path, help="write descriptors to this .npz")
        parser.add_argument("--embeddings-in", type=Path, help="reuse descriptors from this .npz")
        parser.add_argument("--workers", type=int, default=1)
        parser.add_argument("--jitters", type=int, default=0, help="also keep jittered dlib")
        parser.add_argument(
            "--threshold", type=float, action="append", default=[], help="extra threshold"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from tqdm import tqdm

        root: Path = options["directory"]
        if not root.is_dir():
            raise CommandError(f"{root} is not a folder.")
        profile = (
            profile_read(name=str(options["profile"])) if options["profile"] else profile_active()
        )
        space = datasets.profile_space(data=profile.data)
        jitters = max(int(options["jitters"]), 10 if space["jitter"] else 0)
        if options["embeddings_in"]:
            samples, embedded = datasets.embeddings_load(path=options["embeddings_in"])
        else:
            samples = datasets.dataset_scan(root=root)
            if not samples:
                raise CommandError(f"No photos under {root}/<identity>/.")
            embedded = datasets.dataset_embed(
                root=root,
                samples=samples,
                workers=max(1, int(options["workers"])),
                progress=lambda it: tqdm(it, total=len(samples), desc="embedding", unit="photo"),
                jitters=jitters,
            )
        embedded.found, embedded.emb = datasets.space_embeddings(
            embedded=embedded, cnn_fallback=settings.DETECT_CNN_FALLBACK, **space
        )
        if options["embeddings_out"]:
            datasets.embeddings_save(
                path=options["embeddings_out"], samples=samples, embedded=embedded
            )
        groups = ages = roles = None
        metadata_path = Path(options["metadata"] or (root / "metadata.csv"))
        if options["group_by"] and not metadata_path.is_file():
            raise CommandError(f"--group-by needs metadata; {metadata_path} not found.")
        if metadata_path.is_file():
            metadata = datasets.metadata_read(csv_path=metadata_path)
            ages = datasets.sample_ages(samples=samples, metadata=metadata)
            roles = datasets.sample_roles(samples=samples, metadata=metadata)
            groups = datasets.sample_groups(
                samples=samples, metadata=metadata, columns=options["group_by"]
            )
        if options["default_age"] is not None:
            known = ages if ages is not None else np.full(len(samples), np.nan)
            ages = np.where(np.isnan(known), float(options["default_age"]), known)
        threshold = (
            float(settings.CANDIDATE_THRESHOLD)
            if settings.CANDIDATE_THRESHOLD is not None
            else profile.threshold
        )
        thresholds = {"candidate": threshold}
        if settings.CANDIDATE_THRESHOLD is None:
            thresholds["strong band"] = profile.strong
            thresholds["large age gap"] = profile.large_gap_threshold
        for extra in options["threshold"]:
            thresholds[f"{extra:g}"] = extra
        rule = (
            None
            if settings.CANDIDATE_THRESHOLD is not None
            else metrics.profile_rule(
                rates=profile.rates,
                large_gap_threshold=profile.large_gap_threshold,
                large_gap_years=settings.LARGE_AGE_GAP_YEARS,
                emb=embedded.emb,
                ages=ages,
            )
        )
        report = evaluation_run(
            rule=rule,
            samples=samples,
            found=embedded.found,
            emb=embedded.emb,
            thresholds=thresholds,
            groups=groups,
            threshold=threshold,
            ages=ages,
            large_gap_threshold=(
                threshold
                if settings.CANDIDATE_THRESHOLD is not None
                else profile.large_gap_threshold
            ),
            large_gap_years=settings.LARGE_AGE_GAP_YEARS,
            roles=roles,
        )
        report.summary["profile"] = profile.name
        report.summary["space"] = profile.space
        out = options["out"] or Path(settings.DATA_DIR) / "evaluation" / root.name
        title = f"{root.name}, {profile.space} ({profile.name})"
        report_write(report=report, out=Path(out), title=title)
        self.stdout.write(report_markdown(report=report, title=title))
        self.stdout.write(f"Report written to {out}")
