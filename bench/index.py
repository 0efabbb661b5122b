"""The face index against PostgreSQL rows: full rebuild time and the per-photo index step.

For each gallery size N (default 100k, then 1M) both sides hold N faces as real rows
(Photo, Face, Embedding) in a PostgreSQL database of their own, with 256-d face-like
vectors (bench/search.py's FaceLike: LFW's mean and covariance). Then:

- rebuild: `matching.index.sync.index_rebuild` for one side, from the rows (the type is chosen
  by size: exact or the approximate index, trained on a sample of the rows), as seconds
  per million;
- load: a fresh process's first `index_get` (snapshot read + full reconcile with the rows);
- snapshot: one `index_snapshot` (full reconcile + file written);
- step: `matching.index.queries.embedding_index_searches`, the per-photo index step as
  the product runs it, for --steps new photos (half each side): each photo's rows are
  inserted first, untimed, then the step is timed: catch up both sides from the database,
  add the face, search the other side and, with REUNITE_DUPLICATE_SEARCH (the default), its
  own side (re-ranked from PostgreSQL when approximate). p50, p95 and max in ms.
  `--breakdown` also times its parts (matching.index.store's own functions, wrapped): the
  catch-up from the rows, the two scans (they run at once: the longer of the two), the read
  of the shortlists' stored vectors, and the exact re-rank.

Run from the project root (PostgreSQL on 127.0.0.1:5432, user postgres, trust auth):
    .venv/bin/python bench/index.py [--sizes 100000,1000000] [--steps 400]
        [--database reunite_scale_bench]
The database is emptied first (unless --reuse); its name must contain "bench".
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
sys.path.insert(0, str(PROJECT))
sys.path.insert(0, str(PROJECT / "bench"))

from search import DESCRIPTORS, FaceLike, rss_mb  # noqa: E402


def django_setup(*, database: str, data_dir: str) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "reunite.settings.local"
    os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{database}"
    os.environ["REUNITE_DATA_DIR"] = data_dir
    os.environ.pop("REDIS_URL", None)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def owners():  # type: ignore[no-untyped-def]
    from cases.models import FoundReport, MissingCase
    from tests.factories import FoundReportFactory, MissingCaseFactory, UserFactory

    case, report = MissingCase.objects.first(), FoundReport.objects.first()
    if case is not None and report is not None:  # from an earlier run
        return case.created_by, case, report
    user = UserFactory(username="bench")
    return user, MissingCaseFactory(created_by=user), FoundReportFactory(created_by=user)


def rows_add(*, side: str, vectors: np.ndarray, owner, user, space: str) -> list[int]:  # type: ignore[no-untyped-def]
    """Insert a ready photo, its selected face and its embedding per vector; face ids back."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            """
            WITH photos AS (
                INSERT INTO cases_photo (side, file, width, height, original_filename, status,
                    rejection_code, rejection_reason, attempts, created_at, case_id,
                    found_report_id,
                    organisation_id, uploaded_by_id, kind)
                SELECT %s, 'bench/' || gen_random_uuid(), 200, 200, '', 'ready', '', '', 0,
                    now(), CASE WHEN %s = 'case' THEN %s END,
                    CASE WHEN %s = 'report' THEN %s END, %s, %s, 'photo'
                FROM generate_series(1, %s)
                RETURNING id
            )
            INSERT INTO matching_face (ordinal, x, y, w, h, detector_score, is_selected, photo_id)
            SELECT 0, 10, 10, 100, 100, 1.0, true, id FROM photos ORDER BY id
            RETURNING id
            """,
            [side, side, owner.pk, side, owner.pk, owner.organisation_id, user.pk, len(vectors)],
        )
        face_ids = sorted(r[0] for r in cursor.fetchall())
        with cursor.cursor.copy(
            "COPY matching_embedding (face_id, side, space, model_version, vector, "
            "created_at) FROM STDIN"
        ) as copy:
            for face_id, vector in zip(face_ids, vectors, strict=True):
                copy.write_row((face_id, side, space, "bench", vector.tobytes(), "now"))
    return face_ids


class Parts:
    """Wraps matching.index.store's step functions to time them, step by step."""

    # part name: (function, how calls in one step combine)
    WRAPPED = {
        "catch-up from the rows": ("_indexes_catch_up", sum),
        "scan, 8-bit re-score (the longer of the two)": ("_shortlist", max),
        "stored vectors from PostgreSQL": ("_stored_vectors", sum),
        "exact re-rank (both sides)": ("_rerank", sum),
    }

    def __init__(self, module) -> None:  # type: ignore[no-untyped-def]
        self.calls: dict[str, list[float]] = {name: [] for name in self.WRAPPED}
        self.steps: dict[str, list[float]] = {name: [] for name in self.WRAPPED}
        for name, (function, _) in self.WRAPPED.items():
            setattr(module, function, self._timed(name, getattr(module, function)))

    def _timed(self, name: str, function):  # type: ignore[no-untyped-def]
        def timed(*args, **kwargs):  # type: ignore[no-untyped-def]
            start = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.calls[name].append((time.perf_counter() - start) * 1000)

        return timed

    def step_end(self) -> None:
        for name, (_, combine) in self.WRAPPED.items():
            self.steps[name].append(combine(self.calls[name]) if self.calls[name] else 0.0)
            self.calls[name].clear()

    def print(self) -> None:
        for name, ms in self.steps.items():
            ms_line(f"  {name}", np.array(ms))
            ms.clear()


def ms_line(name: str, ms: np.ndarray) -> None:
    print(
        f"  {name:<44} p50 {np.median(ms):7.2f}  p95 {np.percentile(ms, 95):7.2f}  "
        f"max {ms.max():8.2f} ms  ({len(ms)} photos)",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--steps", type=int, default=400)
    parser.add_argument("--database", default="reunite_scale_bench")
    parser.add_argument("--reuse", action="store_true", help="keep the rows of a former run")
    parser.add_argument("--descriptors", type=Path, default=DESCRIPTORS)
    parser.add_argument("--breakdown", action="store_true", help="time the step's parts")
    args = parser.parse_args()
    if "bench" not in args.database:
        parser.error("--database must contain 'bench': it is emptied")
    with tempfile.TemporaryDirectory(prefix="reunite-bench-") as data_dir:
        django_setup(database=args.database, data_dir=data_dir)
        from dataclasses import asdict

        import faiss
        from django.conf import settings
        from django.db import connection
        from search import lfw_vectors

        from matching.index import sync as face_index
        from matching.index.queries import embedding_index_searches
        from matching.models import Embedding
        from matching.spaces.active import space_active
        from matching.spaces.calibration import search_floor

        if not args.reuse:
            with connection.cursor() as cursor:
                cursor.execute(
                    "TRUNCATE matching_embedding, matching_face, cases_photo, "
                    "matching_embeddingspace RESTART IDENTITY CASCADE"
                )
        space = space_active().name
        user, case, report = owners()
        real, _ = lfw_vectors(args.descriptors)
        faces = FaceLike(real)
        print(
            f"faiss {faiss.__version__}, {os.cpu_count()} CPUs, PostgreSQL database "
            f"{args.database}; space {space}; FACE_INDEX_EXACT_MAX "
            f"{settings.FACE_INDEX_EXACT_MAX:,}, nprobe {settings.FACE_INDEX_NPROBE}."
        )
        have = Embedding.objects.filter(side="case").count()
        for n in [int(s) for s in args.sizes.split(",") if s.strip()]:
            start = time.perf_counter()
            for chunk in range(have, n, 100_000):
                m = min(100_000, n - chunk)
                for side, owner in (("case", case), ("report", report)):
                    rows_add(
                        side=side, vectors=faces.sample(m), owner=owner, user=user, space=space
                    )
            have = n
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")  # as autovacuum would after a bulk load
            print(
                f"\nN = {n:,} faces a side in PostgreSQL (inserted in "
                f"{time.perf_counter() - start:.0f} s)",
                flush=True,
            )

            face_index.index_forget_cache()
            before = rss_mb()
            start = time.perf_counter()
            built = face_index.index_rebuild(space=space, side="case", dim=real.shape[1])
            took = time.perf_counter() - start
            print(
                f"  rebuild one side from rows: {took:.1f} s = {took / n * 1e6:.1f} s per "
                f"million; {asdict(built.spec)}; RSS +{rss_mb() - before:,.0f} MB; file "
                f"{built.path.stat().st_size / 2**20:,.0f} MB",
                flush=True,
            )
            del built
            face_index.index_rebuild(space=space, side="report", dim=real.shape[1])
            start = time.perf_counter()
            for side in ("case", "report"):
                face_index.index_get(space=space, side=side, dim=real.shape[1])
            print(
                f"  load both sides in a fresh process (read + full reconcile): "
                f"{time.perf_counter() - start:.1f} s",
                flush=True,
            )

            floor = search_floor()
            parts = Parts(face_index) if args.breakdown else None
            ms = np.empty(args.steps)
            for i in range(args.steps):
                side, owner = (("case", case), ("report", report))[i % 2]
                vector = faces.sample(1)
                (face_id,) = rows_add(
                    side=side, vectors=vector, owner=owner, user=user, space=space
                )
                start = time.perf_counter()
                embedding_index_searches(
                    space=space,
                    side=side,
                    face_id=face_id,
                    vector=vector[0],
                    own_side=settings.DUPLICATE_SEARCH,
                    floor=floor,  # read once before the lock, as embedding_index_and_search does
                )
                ms[i] = (time.perf_counter() - start) * 1000
                if parts:
                    parts.step_end()
            have += args.steps // 2
            ms_line("per-photo index step (add + search both sides)", ms)
            if parts:
                parts.print()
            start = time.perf_counter()
            with face_index.index_writer_lock(space):
                face_index.index_snapshot(space=space, side="case")
            print(
                f"  one snapshot (full reconcile + write): {time.perf_counter() - start:.1f} s "
                f"(every {settings.FACE_INDEX_SNAPSHOT_EVERY:,} changes or "
                f"{settings.FACE_INDEX_SNAPSHOT_SECONDS} s)",
                flush=True,
            )
            face_index.index_forget_cache()


if __name__ == "__main__":
    main()
