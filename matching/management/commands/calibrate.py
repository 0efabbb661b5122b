"""`manage.py calibrate`: an evaluation's scores -> a versioned threshold profile."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from matching import evaluation
from matching.calibration import PROFILES_DIR


class Command(BaseCommand):
    help = (
        "Turn an evaluation report (scores.npz + summary.json from `evaluate`) into a threshold "
        "profile for the active model: the threshold for a target false-match rate per "
        "comparison, the review bands, and the expected false candidates per search."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--report",
            type=Path,
            default=Path(settings.DATA_DIR) / "evaluation" / "lfw-dev",
            help="folder written by `evaluate` (default data/evaluation/lfw-dev)",
        )
        parser.add_argument("--target-fmr", type=float, default=settings.TARGET_FMR)
        parser.add_argument("--name", default=settings.MATCH_PROFILE)
        parser.add_argument("--out", type=Path, help="default matching/profiles/<name>.json")
        parser.add_argument(
            "--gallery-size",
            type=int,
            help="faces one search compares against (default: the larger side in the database)",
        )

    def handle(self, *args: object, **options: object) -> None:
        from matching.engine import face_engine
        from matching.selectors import gallery_size

        report: Path = Path(options["report"]).resolve()  # type: ignore[arg-type]
        if not (report / "scores.npz").is_file():
            raise CommandError(f"No scores.npz in {report}: run `manage.py evaluate` first.")
        data = np.load(report / "scores.npz")
        summary = json.loads((report / "summary.json").read_text())
        scores = evaluation.Scores(
            genuine=data["genuine"],
            impostor=data["impostor"],
            genuine_unscored=summary.get("genuine_pairs_unscored", 0),
        )
        target: float = options["target_fmr"]  # type: ignore[assignment]
        if len(scores.impostor) * target < 10:
            raise CommandError(
                f"{len(scores.impostor)} impostor pairs are too few to measure an FMR of {target}."
            )
        threshold = evaluation.threshold_for_fmr(impostor=scores.impostor, target_fmr=target)
        # "Strong": ten times rarer between different people; a large age gap widens
        # "possible" down to ten times more common (same-child scores fall with age).
        strong = evaluation.threshold_for_fmr(impostor=scores.impostor, target_fmr=target / 10)
        wide = evaluation.threshold_for_fmr(impostor=scores.impostor, target_fmr=target * 10)
        at = evaluation.rates_at(scores=scores, threshold=threshold)
        engine = face_engine()
        size = options["gallery_size"]
        if size is None:
            size = max(
                gallery_size(model_name=engine.model_name, side="case"),
                gallery_size(model_name=engine.model_name, side="report"),
            )
        table = [
            evaluation.rates_at(scores=scores, threshold=t)
            for t in sorted({round(threshold + d, 3) for d in (-0.02, -0.01, 0, 0.01, 0.02)})
        ]
        profile = {
            "name": options["name"],
            "model_name": engine.model_name,
            "model_version": engine.model_version,
            "pipeline": {
                "detector": "hog" + ("+mmod-fallback" if settings.DETECT_CNN_FALLBACK else ""),
                "flip_average": settings.EMBED_FLIP,
                "jitters": settings.EMBED_JITTERS,
                "alignment": "dlib 5-point, 150x150 chip, padding 0.25",
                "score": "cosine similarity of L2-normalised descriptors",
            },
            "created_at": timezone.now().isoformat(timespec="seconds"),
            "how": (
                "manage.py evaluate <set> --embeddings-out ...; manage.py calibrate; "
                "see docs/accuracy.md"
            ),
            "source": {
                "report": str(report.relative_to(settings.BASE_DIR))
                if report.is_relative_to(settings.BASE_DIR)
                else report.name,
                "photos": summary["photos"],
                "people": summary["people"],
                "no_face": summary["no_face"],
                "genuine_pairs": len(scores.genuine),
                "impostor_pairs": len(scores.impostor),
            },
            "target_fmr": target,
            "threshold": round(threshold, 5),
            "measured_fmr": at["fmr"],
            "fnmr": at["fnmr"],
            "fnmr_incl_no_face": at["fnmr_incl_no_face"],
            "bands": {
                "strong": round(strong, 5),
                "possible": round(threshold, 5),
                "large_age_gap_possible": round(wide, 5),
            },
            "gallery_size": size,
            "expected_false_candidates_per_search": round(size * at["fmr"], 3),
            "table": table,
        }
        out: Path = options["out"] or PROFILES_DIR / f"{options['name']}.json"  # type: ignore[assignment]
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(profile, indent=2) + "\n")
        self.stdout.write(
            f"Profile {profile['name']} for {engine.model_name}: threshold {threshold:.4f} "
            f"(FMR {at['fmr']:.4%} per comparison, FNMR {at['fnmr']:.2%}); strong >= "
            f"{strong:.4f}; about {profile['expected_false_candidates_per_search']} false "
            f"candidates per search of {size} faces. Written to {out}"
        )
