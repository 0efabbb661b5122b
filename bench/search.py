"""Face search speed and recall on synthetic galleries of 128-d L2-normalised float32 vectors.

For each gallery size (default 10k, 100k, 1M) this builds and times:

- numpy brute force (matrix product + argpartition): the exact reference;
- Reunite's FaceIndex (faiss IndexIDMap2(IndexFlatIP)): exact, what the product runs; timed
  with faiss's default OpenMP threads and again with one thread;
- faiss IndexIVFFlat (inner product, nlist = 4*sqrt(N), capped so k-means has >= 39 points per
  list): the approximate index an operator could switch to at scale. Unlike HNSW it keeps
  add_with_ids / remove_ids, which the product relies on. Shown at several nprobe values.

Printed per index: build time, ms per query for single queries (mean, median and p95 over
all queries), ms per query within batches of 100, recall@10 against brute force, and mates@10:
the same recall counting only true neighbours from the query's own cluster (the "same child"
matches that matter; the rest of a top 10 is unrelated faces).

Data: gaussian clusters around a few thousand random unit centres, normalised, fixed seed;
queries are fresh samples from the same clusters (not in the gallery).

Run from the project root:
    .venv/bin/python bench/search.py [--sizes 10000,100000,1000000] [--queries 200]
        [--centres 3000]

Recall depends on the data: with 3000 clusters of hundreds of vectors each (at 1M) IVF lists
line up with them, which flatters IVF; many small clusters (e.g. --centres 300000) are closer
to a gallery of many children with a few photos each. Re-tune nprobe on real embeddings
before relying on it.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np

PROJECT = Path(__file__).resolve().parent.parent
DIM = 128
K = 10
BATCH = 100
CENTRES = 3000  # default; --centres changes it
# Per-dimension noise: a sample's cosine to its centre is ~0.8, so clusters are loose.
NOISE = 0.065
NPROBES = (4, 16, 64, 256)
SEED = 20240601

# One search call: queries (n x DIM) -> ids of the top K (n x K).
Search = Callable[[np.ndarray], np.ndarray]


def django_setup(data_dir: str) -> None:
    sys.path.insert(0, str(PROJECT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "reunite.settings.local")
    os.environ["REUNITE_DATA_DIR"] = data_dir
    import django

    django.setup()


def normalised(x: np.ndarray) -> np.ndarray:
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x


def clustered(
    rng: np.random.Generator, centres: np.ndarray, n: int
) -> tuple[np.ndarray, np.ndarray]:
    """n unit vectors scattered around the centres, and the centre each one belongs to."""
    out = np.empty((n, DIM), dtype=np.float32)
    labels = np.empty(n, dtype=np.int64)
    step = 100_000  # in chunks, so the 1M gallery needs no extra full-size temporaries
    for start in range(0, n, step):
        m = min(step, n - start)
        labels[start : start + m] = rng.integers(0, len(centres), size=m)
        block = rng.standard_normal((m, DIM), dtype=np.float32) * NOISE
        block += centres[labels[start : start + m]]
        out[start : start + m] = normalised(block)
    return out, labels


def numpy_top_k(gallery: np.ndarray, queries: np.ndarray) -> np.ndarray:
    # 25 queries at a time keeps the score matrix at ~100 MB for a 1M gallery.
    result = np.empty((len(queries), K), dtype=np.int64)
    for start in range(0, len(queries), 25):
        scores = queries[start : start + 25] @ gallery.T
        top = np.argpartition(-scores, K, axis=1)[:, :K]
        order = np.argsort(-np.take_along_axis(scores, top, axis=1), axis=1)
        result[start : start + 25] = np.take_along_axis(top, order, axis=1)
    return result


def faiss_top_k(index: faiss.Index) -> Search:
    return lambda queries: index.search(queries, K)[1]


def time_single(search_one: Callable[[np.ndarray], object], queries: np.ndarray) -> np.ndarray:
    search_one(queries[0])  # warm-up
    ms = np.empty(len(queries))
    for i, query in enumerate(queries):
        start = time.perf_counter()
        search_one(query)
        ms[i] = (time.perf_counter() - start) * 1000
    return ms


def time_batches(search: Search, queries: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean ms per query over batches of BATCH queries, and the ids found for every query."""
    search(queries[:BATCH])  # warm-up
    ids = []
    start = time.perf_counter()
    for i in range(0, len(queries), BATCH):
        ids.append(search(queries[i : i + BATCH]))
    return (time.perf_counter() - start) * 1000 / len(queries), np.concatenate(ids)


@dataclass(frozen=True)
class Truth:
    ids: np.ndarray  # brute-force top K per query
    mates: np.ndarray  # True where that neighbour is from the query's own cluster

    def recall(self, found: np.ndarray) -> tuple[float, float]:
        """recall@K over all true neighbours, and over the own-cluster ones only."""
        hit = np.array([np.isin(t, f) for f, t in zip(found, self.ids, strict=True)])
        return float(hit.mean()), float(hit[self.mates].mean()) if self.mates.any() else 1.0


def row(
    name: str, build_s: float | None, single: np.ndarray, batch_ms: float, rec: tuple[float, float]
) -> None:
    build = f"{build_s:.2f}" if build_s is not None else "-"
    print(
        f"  {name:<28} {build:>8} {single.mean():>8.3f} {np.median(single):>8.3f} "
        f"{np.percentile(single, 95):>8.3f} "
        f"{batch_ms:>10.4f} {rec[0]:>9.4f} {rec[1]:>9.4f}",
        flush=True,
    )


def bench_face_index(
    gallery: np.ndarray, queries: np.ndarray, truth: Truth, data_dir: Path
) -> None:
    from matching.index import FaceIndex

    start = time.perf_counter()
    face_index = FaceIndex(dim=DIM, path=data_dir / "bench.faiss")
    face_index.add(ids=range(len(gallery)), vectors=gallery)
    build_s = time.perf_counter() - start
    single = time_single(lambda q: face_index.search(vector=q, k=K), queries)
    # FaceIndex has no batch method; its underlying faiss index shows what batching would give.
    batch_ms, found = time_batches(faiss_top_k(face_index._index), queries)
    row("FaceIndex (IDMap2 FlatIP)", build_s, single, batch_ms, truth.recall(found))
    # One OpenMP thread: on 2 busy cores faiss's thread team can cost more than it gains.
    threads = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    try:
        single = time_single(lambda q: face_index.search(vector=q, k=K), queries)
        batch_ms, found = time_batches(faiss_top_k(face_index._index), queries)
    finally:
        faiss.omp_set_num_threads(threads)
    row("FaceIndex, 1 OpenMP thread", build_s, single, batch_ms, truth.recall(found))


def bench_size(n: int, n_queries: int, n_centres: int, data_dir: Path) -> None:
    rng = np.random.default_rng(SEED)
    centres = normalised(rng.standard_normal((n_centres, DIM), dtype=np.float32))
    start = time.perf_counter()
    gallery, gallery_labels = clustered(rng, centres, n)
    queries, query_labels = clustered(rng, centres, n_queries)
    made = time.perf_counter() - start
    print(
        f"\nN = {n:,} ({gallery.nbytes / 2**20:.0f} MB, generated in {made:.1f} s), "
        f"{n_queries} queries, k = {K}"
    )
    print(
        f"  {'index':<28} {'build s':>8} {'1q mean':>8} {'1q p50':>8} {'1q p95':>8} "
        f"{'batch ms/q':>10} {'recall@10':>9} {'mates@10':>9}"
    )

    # Reference: its batched answers are the ground truth for every recall figure.
    single = time_single(lambda q: numpy_top_k(gallery, q[None, :]), queries)
    batch_ms, ids = time_batches(lambda q: numpy_top_k(gallery, q), queries)
    truth = Truth(ids=ids, mates=gallery_labels[ids] == query_labels[:, None])
    row("numpy brute force", None, single, batch_ms, (1.0, 1.0))

    bench_face_index(gallery, queries, truth, data_dir)

    nlist = max(1, min(round(4 * math.sqrt(n)), n // 39))
    start = time.perf_counter()
    quantizer = faiss.IndexFlatIP(DIM)
    ivf = faiss.IndexIVFFlat(quantizer, DIM, nlist, faiss.METRIC_INNER_PRODUCT)
    # Training on 64 points per list is plenty for k-means and bounds build time at 1M.
    sample = rng.choice(n, size=min(n, 64 * nlist), replace=False)
    ivf.train(gallery[np.sort(sample)])
    ivf.add_with_ids(gallery, np.arange(n, dtype=np.int64))
    build_s = time.perf_counter() - start
    for nprobe in (p for p in NPROBES if p < nlist):
        ivf.nprobe = nprobe
        single = time_single(lambda q: ivf.search(q[None, :], K), queries)
        batch_ms, found = time_batches(faiss_top_k(ivf), queries)
        row(f"IVF{nlist},Flat nprobe={nprobe}", build_s, single, batch_ms, truth.recall(found))
    print(f"  own-cluster neighbours in the exact top {K}: {truth.mates.sum(1).mean():.1f} a query")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000", help="comma-separated")
    parser.add_argument("--queries", type=int, default=200, help="a multiple of 100")
    parser.add_argument("--centres", type=int, default=CENTRES, help="number of clusters")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    n_queries = max(BATCH, args.queries // BATCH * BATCH)

    with tempfile.TemporaryDirectory(prefix="reunite-bench-") as data_dir:
        django_setup(data_dir)
        print(
            f"faiss {faiss.__version__} ({faiss.omp_get_max_threads()} OpenMP threads), "
            f"numpy {np.__version__}, {os.cpu_count()} CPUs; {args.centres} cluster centres, "
            f"seed {SEED}. Times in ms unless marked; 'batch ms/q' = batch of {BATCH} / {BATCH}."
        )
        for n in sizes:
            bench_size(n, n_queries, args.centres, Path(data_dir))


if __name__ == "__main__":
    main()
