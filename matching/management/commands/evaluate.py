"""`manage.py evaluate DIR`: accuracy figures of the product's own pipeline on labelled photos."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from matching import evaluation


class Command(BaseCommand):
    help = (
        "Embed every photo under DIR/<identity>/ with the product's pipeline and write a report "
        "(score distributions, ROC/DET, FMR/FNMR at the thresholds, rank-1/10/50, per group)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("directory", type=Path)
        parser.add_argument(
            "--out", type=Path, help="report folder (default data/evaluation/<DIR>)"
        )
        parser.add_argument(
            "--metadata",
            type=Path,
            help="CSV with `path` or `identity`, and `age`, `taken_on`, `date_of_birth`, labels",
        )
        parser.add_argument(
            "--group-by",
            action="append",
            default=[],
            help="metadata column to report per group (age becomes age bands); repeatable",
        )
        parser.add_argument("--embeddings-out", type=Path, help="write embeddings to this .npz")
        parser.add_argument("--embeddings-in", type=Path, help="reuse embeddings from this .npz")
        parser.add_argument("--workers", type=int, default=1)
        parser.add_argument(
            "--threshold", type=float, action="append", default=[], help="extra threshold"
        )

    def handle(self, *args: object, **options: object) -> None:
        from tqdm import tqdm

        from matching.calibration import candidate_threshold, profile_active

        root: Path = options["directory"]  # type: ignore[assignment]
        if not root.is_dir():
            raise CommandError(f"{root} is not a folder.")
        if options["embeddings_in"]:
            samples, embedded = evaluation.embeddings_load(path=options["embeddings_in"])
            jitter = settings.EMBED_JITTERS > 0 and settings.FACE_MODEL == "Dlib"
            if not jitter or embedded.jittered is not None:
                # Rebuild the product's embedding from the stored descriptors, so a cached
                # run can be re-scored under the current settings.
                embedded.found, embedded.emb = evaluation.variant_embeddings(
                    embedded=embedded,
                    flip=settings.EMBED_FLIP,
                    cnn_fallback=settings.DETECT_CNN_FALLBACK,
                    jitter=jitter,
                )
        else:
            samples = evaluation.dataset_scan(root=root)
            if not samples:
                raise CommandError(f"No photos under {root}/<identity>/.")
            embedded = evaluation.dataset_embed(
                root=root,
                samples=samples,
                workers=max(1, int(options["workers"])),  # type: ignore[arg-type]
                progress=lambda it: tqdm(it, total=len(samples), desc="embedding", unit="photo"),
                flip=settings.EMBED_FLIP,
                cnn_fallback=settings.DETECT_CNN_FALLBACK,
                jitters=settings.EMBED_JITTERS if settings.FACE_MODEL == "Dlib" else 0,
            )
        if options["embeddings_out"]:
            evaluation.embeddings_save(
                path=options["embeddings_out"], samples=samples, embedded=embedded
            )
        groups = ages = None
        metadata_path = Path(options["metadata"] or (root / "metadata.csv"))  # type: ignore[arg-type]
        if options["group_by"] and not metadata_path.is_file():
            raise CommandError(f"--group-by needs metadata; {metadata_path} not found.")
        if metadata_path.is_file():
            metadata = evaluation.metadata_read(csv_path=metadata_path)
            ages = evaluation.sample_ages(samples=samples, metadata=metadata)
            groups = evaluation.sample_groups(
                samples=samples, metadata=metadata, columns=options["group_by"]
            )
        threshold = candidate_threshold()
        thresholds = {"candidate": threshold}
        if settings.CANDIDATE_THRESHOLD is None:
            profile = profile_active()
            thresholds["strong band"] = profile.strong
            thresholds["large-age-gap band"] = profile.weak_floor
        for extra in options["threshold"]:  # type: ignore[union-attr]
            thresholds[f"{extra:g}"] = extra
        report = evaluation.evaluation_run(
            samples=samples,
            found=embedded.found,
            emb=embedded.emb,
            thresholds=thresholds,
            groups=groups,
            threshold=threshold,
            ages=ages,
        )
        out = options["out"] or Path(settings.DATA_DIR) / "evaluation" / root.name
        evaluation.report_write(report=report, out=Path(out), title=root.name)  # type: ignore[arg-type]
        self.stdout.write(evaluation.report_markdown(report=report, title=root.name))
        self.stdout.write(f"Report written to {out}")
