"""`manage.py calibrate`: descriptors from `evaluate` -> a versioned profile for one space.

The profile defines the space (recognisers, fusion weights measured here, mirroring,
jitter) and its thresholds: the candidate threshold for photos close in age, from impostor
pairs at the target false-match rate; a separate one for photos a large age gap apart, from
cross-age impostor pairs when the set has ages; and the review bands.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from matching.evaluation import datasets, metrics
from matching.evaluation import fit as rates_fit
from matching.spaces.profiles import PROFILES_DIR, profile_read
from matching.spaces.rates import AGE_BAND_EDGES, Clusters, rate_curve

# Large-age-gap thresholds need this many cross-age impostor pairs per allowed false match.
MIN_IMPOSTORS_PER_FALSE_MATCH = 10


class Faces(NamedTuple):
    identities: np.ndarray
    emb: np.ndarray
    sources: list[str]


@dataclass(frozen=True)
class AgesSet:
    samples: list
    found: np.ndarray
    emb: np.ndarray
    ages: np.ndarray
    name: str


class Command(BaseCommand):
    help = (
        "Turn descriptors written by `evaluate --embeddings-out` into a profile: fusion "
        "weights, the candidate threshold for a target false-match rate per comparison, a "
        "large-age-gap threshold from cross-age impostor pairs (with --metadata ages), bands."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--embeddings",
            type=Path,
            default=Path(settings.DATA_DIR) / "evaluation" / "lfw-dev-descriptors.npz",
        )
        parser.add_argument("--models", default="SFace,Dlib", help="one model, or two to fuse")
        parser.add_argument("--flip", action="store_true", help="average in mirrored chips")
        parser.add_argument(
            "--space-from",
            help="take the space (models, fusion weights, options) of this profile, unfitted",
        )
        parser.add_argument("--jitters", type=int, default=0, help="dlib jitter (0 = off)")
        parser.add_argument("--metadata", type=Path, help="CSV with ages (see evaluate)")
        parser.add_argument("--target-fmr", type=float, default=settings.TARGET_FMR)
        parser.add_argument("--name", required=True)
        parser.add_argument("--space", help="embedding space name (default from the weights)")
        parser.add_argument("--out", type=Path, help="default matching/profiles/<name>.json")
        parser.add_argument("--gallery-size", type=int, default=10_000)
        parser.add_argument(
            "--clusters",
            type=int,
            default=0,
            help="face clusters for fair score normalisation (0: off); fitted without labels",
        )
        parser.add_argument(
            "--cluster-pairs",
            action="store_true",
            help="an offset per pair of clusters, for adults' pairs only, fitted with the "
            "--ages set's adults; the adults' age cell pools every adult set (measured, not "
            "adopted: docs/accuracy.md)",
        )
        parser.add_argument(
            "--cohort",
            type=Path,
            action="append",
            default=[],
            help="more adult descriptors (.npz) for the clusters; repeatable",
        )
        parser.add_argument(
            "--ages",
            type=Path,
            help="descriptors (.npz) of a cross-age set: thresholds per pair of age bands",
        )
        parser.add_argument(
            "--ages-metadata", type=Path, help="that set's metadata.csv (path, identity, age)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["embeddings"])
        if not path.is_file():
            raise CommandError(f"{path} not found: run `manage.py evaluate DIR --embeddings-out`.")
        samples, embedded = datasets.embeddings_load(path=path)
        identities = [s.identity for s in samples]
        models = [m.strip() for m in str(options["models"]).split(",") if m.strip()]
        flip = bool(options["flip"])
        jitters = int(options["jitters"])
        fusion = None
        if options["space_from"]:
            # Same vectors as that profile's space: switching to this one re-embeds nothing.
            earlier = profile_read(name=options["space_from"]).data
            weights = {m: float(w) for m, w in earlier["space"]["weights"].items()}
            fusion = earlier.get("fusion")
            flip = bool(earlier["space"].get("flip", False))
            jitters = int(earlier["space"].get("jitters", 0))
        elif len(models) == 2:
            fusion = metrics.fusion_calibrate(
                identities=identities, embedded=embedded, models=models, flip=flip
            )
            weights = fusion["weights"]
        elif len(models) == 1:
            weights = {models[0]: 1.0}
        else:
            raise CommandError("--models takes one model, or two to fuse.")
        found, emb = datasets.space_embeddings(
            embedded=embedded, weights=weights, flip=flip, jitter=jitters > 0
        )
        scores = metrics.pair_scores(identities=identities, found=found, emb=emb)
        target: float = options["target_fmr"]
        if len(scores.impostor) * target < 10:
            raise CommandError(
                f"{len(scores.impostor)} impostor pairs are too few to measure an FMR of {target}."
            )
        threshold = metrics.threshold_for_fmr(impostor=scores.impostor, target_fmr=target)
        # "Strong": ten times rarer between different people.
        strong = metrics.threshold_for_fmr(impostor=scores.impostor, target_fmr=target / 10)
        # With a large age gap, a pair below the candidate threshold still reads "possible"
        # down to where impostors are ten times more common (same-child scores fall with age).
        wide = metrics.threshold_for_fmr(impostor=scores.impostor, target_fmr=target * 10)
        # The adult sets (and their cohorts' I/O) serve only the clusters and the pooled cell.
        adults = (
            self._adults(
                samples=samples, found=found, emb=emb, weights=weights, flip=flip, options=options
            )
            if options["clusters"] or options["cluster_pairs"]
            else None
        )
        ages_set = self._ages_set(weights=weights, flip=flip, options=options)
        clusters, clusters_summary = self._clusters(
            adults=adults, ages_set=ages_set, options=options
        )
        if clusters is not None:
            # Rates of the whole rule: scores normalised by the faces' cluster offsets.
            threshold = clusters.base_threshold
            scores = metrics.pair_scores(
                identities=identities,
                found=found,
                emb=emb,
                shift=rates_fit.pair_offsets(emb=emb, clusters=clusters),
            )
        at = metrics.rates_at(scores=scores, threshold=threshold)
        age_cells = self._age_cells(
            ages_set=ages_set, adults=adults, clusters=clusters, options=options
        )
        large_gap = self._large_gap(
            samples=samples,
            found=found,
            emb=emb,
            threshold=threshold,
            target=target,
            options=options,
        )
        space: str = options["space"] or "+".join(
            f"{m}{w:.2f}" if len(weights) > 1 else m for m, w in weights.items()
        )
        if jitters:
            space += f"-j{jitters}"
        if flip:
            space += "-flip"
        size: int = options["gallery_size"]
        profile = {
            "name": options["name"],
            "model_name": space,
            "space": {"weights": weights, "flip": flip, "jitters": jitters},
            "fusion": fusion,
            "pipeline": {
                "detector": "yunet, then dlib hog, then dlib mmod (cnn)",
                "alignment": {
                    "SFace": "YuNet 5 points, similarity transform to the ArcFace 112x112 template",
                    "Dlib": "dlib 5-point predictor, 150x150 chip, padding 0.25",
                },
                "score": "inner product of the weighted concatenation of L2-normalised "
                "descriptors = weighted sum of each model's cosine",
            },
            "created_at": timezone.now().isoformat(timespec="seconds"),
            "how": "manage.py evaluate <set> --embeddings-out X.npz; manage.py calibrate "
            "--embeddings X.npz; see docs/accuracy.md",
            "source": {
                "embeddings": path.name,
                "photos": len(samples),
                "people": len(set(identities)),
                "no_face": int((~found).sum()),
                "genuine_pairs": len(scores.genuine),
                "impostor_pairs": len(scores.impostor),
            },
            "target_fmr": target,
            "threshold": round(threshold, 5),
            "measured_fmr": at["fmr"],
            "fnmr": at["fnmr"],
            "fnmr_incl_no_face": at["fnmr_incl_no_face"],
            "large_age_gap": large_gap,
            "bands": {
                "strong": round(strong, 5),
                "possible": round(threshold, 5),
                "large_age_gap_possible": round(min(wide, large_gap["threshold"]), 5),
            },
            "gallery_size": size,
            "expected_false_candidates_per_search": round(size * at["fmr"], 3),
            "table": [
                metrics.rates_at(scores=scores, threshold=t)
                for t in sorted({round(threshold + d, 3) for d in (-0.02, -0.01, 0, 0.01, 0.02)})
            ],
            "rate_curve": rate_curve(impostor=scores.impostor, fmrs=rates_fit.CURVE_FMRS),
        }
        if clusters is not None:
            profile["clusters"] = rates_fit.clusters_data(
                clusters=clusters, summary=clusters_summary
            )
        if age_cells is not None:
            profile["age_cells"] = age_cells
        out: Path = options["out"] or PROFILES_DIR / f"{options['name']}.json"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(profile, indent=2) + "\n")
        self.stdout.write(
            f"Profile {profile['name']} for space {space} (weights {weights}): threshold "
            f"{threshold:.4f} (FMR {at['fmr']:.4%} per comparison, FNMR {at['fnmr']:.2%}); "
            f"large age gap {large_gap['threshold']:.4f} ({large_gap['source']}); strong >= "
            f"{strong:.4f}. Written to {out}"
        )

    def _adults(
        self,
        *,
        samples: list,
        found: np.ndarray,
        emb: np.ndarray,
        weights: dict,
        flip: bool,
        options: dict,
    ) -> Faces:
        """The adult sets' found faces: the calibration set and any --cohort sets."""
        identities = [s.identity for s in samples]
        founds, embs = [found], [emb]
        sources = [Path(options["embeddings"]).name]
        for path in options["cohort"]:
            more, embedded = datasets.embeddings_load(path=Path(path))
            f, e = datasets.space_embeddings(embedded=embedded, weights=weights, flip=flip)
            identities += [s.identity for s in more]
            founds.append(f)
            embs.append(e)
            sources.append(Path(path).name)
        keep = np.concatenate(founds)
        return Faces(np.asarray(identities)[keep], np.concatenate(embs)[keep], sources)

    def _ages_set(self, *, weights: dict[str, float], flip: bool, options: dict) -> AgesSet | None:
        """The cross-age set given with --ages: its found faces and their ages."""
        if options["ages"] is None:
            return None
        if options["ages_metadata"] is None:
            raise CommandError("--ages needs --ages-metadata (a CSV with path, identity, age).")
        samples, embedded = datasets.embeddings_load(path=Path(options["ages"]))
        found, emb = datasets.space_embeddings(embedded=embedded, weights=weights, flip=flip)
        metadata = datasets.metadata_read(csv_path=Path(options["ages_metadata"]))
        return AgesSet(
            samples=samples,
            found=found,
            emb=emb,
            ages=datasets.sample_ages(samples=samples, metadata=metadata),
            name=Path(options["ages"]).name,
        )

    def _clusters(
        self, *, adults: Faces | None, ages_set: AgesSet | None, options: dict
    ) -> tuple[Clusters | None, dict]:
        """Face clusters from the adult sets' faces (with --cluster-pairs, the cross-age
        set's adults too). No label is used."""
        if not options["clusters"] or adults is None:
            return None, {}
        identities, emb, sources = adults
        if ages_set is not None and options["cluster_pairs"]:
            grown = ages_set.found & (np.nan_to_num(ages_set.ages) >= AGE_BAND_EDGES[-1])
            identities = np.concatenate(
                [identities, np.asarray([s.identity for s in ages_set.samples])[grown]]
            )
            emb = np.concatenate([emb, ages_set.emb[grown]])
            sources = [*sources, f"{ages_set.name} (adults)"]
        clusters, summary = rates_fit.clusters_fit(
            identities=identities,
            found=np.ones(len(emb), bool),
            emb=emb,
            clusters=int(options["clusters"]),
            target_fmr=options["target_fmr"],
            pairs=bool(options["cluster_pairs"]),
        )
        summary["sources"] = sources
        return clusters, summary

    def _age_cells(
        self,
        *,
        ages_set: AgesSet | None,
        adults: Faces | None,
        clusters: Clusters | None,
        options: dict,
    ) -> dict | None:
        """Thresholds per pair of age bands from the cross-age set (with --cluster-pairs, the
        adults' cell pools the adult sets too)."""
        if ages_set is None:
            return None
        samples = ages_set.samples
        pooled = adults if options["cluster_pairs"] else None
        source = (
            f"{ages_set.name}: {len(samples)} photos of "
            f"{len({s.identity for s in samples})} people with ages"
        )
        if pooled is not None:
            source += f"; the adults' cell also pools {', '.join(pooled.sources)}"
        table, tar = rates_fit.age_table_fit(
            identities=[s.identity for s in samples],
            found=ages_set.found,
            emb=ages_set.emb,
            ages=ages_set.ages,
            target_fmr=options["target_fmr"],
            clusters=clusters,
            source=source,
            adult_identities=pooled.identities if pooled is not None else (),
            adult_emb=pooled.emb if pooled is not None else None,
        )
        return rates_fit.age_table_data(table=table, tar=tar)

    def _large_gap(
        self,
        *,
        samples: list,
        found: np.ndarray,
        emb: np.ndarray,
        threshold: float,
        target: float,
        options: dict,
    ) -> dict:
        """The threshold for photos a large age gap apart, from cross-age impostor pairs."""
        metadata_path = options["metadata"]
        if metadata_path is None:
            return {
                "threshold": round(threshold, 5),
                "source": "no ages in the calibration set: the close-in-age threshold",
                "impostor_pairs": 0,
            }
        metadata = datasets.metadata_read(csv_path=Path(metadata_path))
        ages = datasets.sample_ages(samples=samples, metadata=metadata)
        ids = np.asarray([s.identity for s in samples])
        keep = np.flatnonzero(found & ~np.isnan(ages))
        sims = emb[keep] @ emb[keep].T
        gaps = np.abs(ages[keep][:, None] - ages[keep][None, :])
        different = ids[keep][:, None] != ids[keep][None, :]
        upper = np.triu(np.ones_like(different), k=1)
        mask = different & upper & (gaps >= settings.LARGE_AGE_GAP_YEARS)
        impostor = sims[mask]
        if len(impostor) * target < MIN_IMPOSTORS_PER_FALSE_MATCH:
            raise CommandError(
                f"{len(impostor)} cross-age impostor pairs are too few for an FMR of {target}."
            )
        gap_threshold = metrics.threshold_for_fmr(impostor=impostor, target_fmr=target)
        return {
            "threshold": round(gap_threshold, 5),
            "source": f"cross-age impostor pairs (ages >= {settings.LARGE_AGE_GAP_YEARS:g} "
            f"years apart) in {Path(metadata_path).name}",
            "impostor_pairs": len(impostor),
        }
