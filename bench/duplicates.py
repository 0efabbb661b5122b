"""The extra cost per photo of searching for duplicate registrations (issue 14, point 5).

Each new photo's face is added to its side's index and searched against the other side;
duplicate search also searches its own side (cases against cases, reports against
reports) in the same step, under the same lock and catch-up (`embedding_index_searches`
with `own_side=True`), then records the close ones (`duplicates_record`). For each gallery
size N (both sides hold N faces as real PostgreSQL rows; random 256-d unit vectors, as an
exact index's cost does not depend on the distribution) this times, over --steps rounds
(alternating sides), the index step without and with the own-side search on new photos,
the recording, and the worker's whole per-photo search (`embedding_index_and_search`).

Run from the project root (PostgreSQL on 127.0.0.1:5432, user postgres, trust auth):
    .venv/bin/python bench/duplicates.py [--sizes 10000,100000] [--steps 200]
        [--database reunite_dup_bench]
The database is emptied first; its name must contain "bench".
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

from index import django_setup, ms_line, owners, rows_add  # noqa: E402

DIM = 256


def unit_vectors(rng: np.random.Generator, n: int) -> np.ndarray:
    vectors = rng.standard_normal((n, DIM)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--database", default="reunite_dup_bench")
    args = parser.parse_args()
    if "bench" not in args.database:
        parser.error("--database must contain 'bench': it is emptied")
    with tempfile.TemporaryDirectory(prefix="reunite-bench-") as data_dir:
        django_setup(database=args.database, data_dir=data_dir)
        import faiss
        from django.db import connection

        from matching.candidates.duplicates import duplicates_record
        from matching.candidates.search import embedding_index_and_search
        from matching.index import sync as face_index
        from matching.index.queries import embedding_index_searches
        from matching.models import Embedding
        from matching.spaces.active import space_active

        with connection.cursor() as cursor:
            cursor.execute(
                "TRUNCATE matching_duplicate, matching_candidate, matching_embedding, "
                "matching_face, cases_photo, matching_embeddingspace RESTART IDENTITY "
                "CASCADE"
            )
        space = space_active().name
        user, case, report = owners()
        rng = np.random.default_rng(20261129)
        print(f"faiss {faiss.__version__}, {os.cpu_count()} CPUs, space {space}, {DIM}-d.")
        have = 0
        for n in [int(s) for s in args.sizes.split(",") if s.strip()]:
            for chunk in range(have, n, 50_000):
                m = min(50_000, n - chunk)
                for side, owner in (("case", case), ("report", report)):
                    rows_add(
                        side=side,
                        vectors=unit_vectors(rng, m),
                        owner=owner,
                        user=user,
                        space=space,
                    )
            have = n
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
            face_index.index_forget_cache()
            for side in ("case", "report"):
                face_index.index_rebuild(space=space, side=side, dim=DIM)
            print(f"\nN = {n:,} faces a side", flush=True)

            cross, both, record, full = (np.empty(args.steps) for _ in range(4))
            for i in range(args.steps):
                side, owner = (("case", case), ("report", report))[i % 2]

                def new_face(side: str = side, owner=owner) -> tuple[int, np.ndarray]:  # type: ignore[no-untyped-def]
                    vector = unit_vectors(rng, 1)
                    (face_id,) = rows_add(
                        side=side, vectors=vector, owner=owner, user=user, space=space
                    )
                    return face_id, vector[0]

                # One new photo with the cross-side search only (as before duplicates) ...
                face_id, vector = new_face()
                start = time.perf_counter()
                embedding_index_searches(space=space, side=side, face_id=face_id, vector=vector)
                cross[i] = (time.perf_counter() - start) * 1000
                # ... and one with both searches in the one step.
                face_id, vector = new_face()
                start = time.perf_counter()
                _, own_hits = embedding_index_searches(
                    space=space, side=side, face_id=face_id, vector=vector, own_side=True
                )
                both[i] = (time.perf_counter() - start) * 1000
                embedding = Embedding.objects.get(face_id=face_id)
                start = time.perf_counter()
                duplicates_record(embedding=embedding, hits=own_hits)
                record[i] = (time.perf_counter() - start) * 1000
                # The whole per-photo search as the index worker runs it (both searches,
                # recording and audit rows), on a third new photo.
                face_id, _ = new_face()
                embedding_id = Embedding.objects.get(face_id=face_id).pk
                start = time.perf_counter()
                embedding_index_and_search(embedding_id=embedding_id)
                full[i] = (time.perf_counter() - start) * 1000
            have += args.steps * 3 // 2
            ms_line("index step, cross-side search only", cross)
            ms_line("index step, cross-side + own-side search", both)
            ms_line("recording duplicates from the own-side hits", record)
            ms_line("whole per-photo search (worker's task)", full)
            extra = np.median(both) - np.median(cross) + np.median(record)
            print(
                f"  extra cost per photo: {extra:+.2f} ms p50 "
                f"({extra / np.median(full) * 100:.0f}% of the whole per-photo search)",
                flush=True,
            )
            face_index.index_forget_cache()


if __name__ == "__main__":
    main()
