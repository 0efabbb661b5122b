"""Face search at scale: exact search vs the product's index and other FAISS indexes.

Vectors are 256-d fused vectors like the product's (profile sface-dlib-lfw-dev-v1):

- `--data lfw` (default): the shared LFW photos' own vectors, from the descriptors cache
  that `manage.py evaluate ../shared/faces/lfw-dev --embeddings-out ...` writes, mixed into
  synthetic distractors drawn from a Gaussian with the LFW vectors' mean and covariance
  (then normalised), so distractors score against a face like real strangers do. The first
  photo of each identity goes in the gallery; the identity's other photos are the queries.
- `--data synthetic`: gallery and queries all from that Gaussian; a query has no mate, so
  every hit above the threshold is a stranger close to it (the hardest hits to keep).

For each size this times, one query at a time on one thread (as the product searches):

- exact: faiss.knn over the float32 vectors (IndexFlatIP's own kernel, without a copy);
- without `--stream`: IVF with 8-bit scalar quantisation (the product's approximate index
  before the fast-scan one), and any `--factories`, at several nprobe. A shortlist of
  FACE_INDEX_SHORTLIST_FACTOR x K is re-ranked exactly against the stored vectors, as
  matching.index.shortlist.index_search does (there from PostgreSQL rows; bench/index.py times that
  fetch);
- with `--stream`: the product's own index (below).

Printed: build seconds, RAM the index took (growth of the process's resident memory while
building it), ms a query (p50, p95), and recall: of every exact top-K hit scoring at least
the search floor (the lowest candidate threshold), the share the index also returned; and the
same for true mates only (lfw). K is SEARCH_TOP_K (50).

`--stream` reaches galleries that do not fit in RAM as float32 (20M faces are 20 GB): the
gallery is generated `--chunk` faces at a time (the same FaceLike draws; lfw's real vectors
at random rows of the first chunk) and never held. One pass over the chunks merges the exact
top K of every query (faiss.knn a chunk) and builds the product's own `matching.index.store.
FaceIndex` with the spec it would choose (its approximate one if that is exact), trained on a
sample of the first chunk. Exact search is timed as the sum over chunks of a one-thread
faiss.knn (`--exact-queries` queries). The index is timed through `FaceIndex.search` with a
shortlist of FACE_INDEX_SHORTLIST_FACTOR x K, at each `--nprobes`; the product re-ranks that
shortlist exactly, so any true top-K hit in it is kept and its recall is the final recall.
`--shards S` splits the index into S shards scanned on S threads at once (the product's
REUNITE_INDEX_SHARDS); one query still runs at a time.

Run from the project root:
    .venv/bin/python bench/search.py [--data lfw|synthetic] [--sizes 100000,1000000]
        [--queries 200] [--nprobes 8,16,32,64]
    .venv/bin/python bench/search.py --stream [--chunk 1000000] --sizes 20000000 ...
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import faiss
import numpy as np

PROJECT = Path(__file__).resolve().parent.parent
# This checkout's cache first, else the main checkout's (worktrees share one).
DESCRIPTORS = next(
    (
        root / "data" / "evaluation" / "lfw-dev-descriptors.npz"
        for root in (PROJECT, PROJECT.parent / "main")
        if (root / "data" / "evaluation" / "lfw-dev-descriptors.npz").is_file()
    ),
    PROJECT / "data" / "evaluation" / "lfw-dev-descriptors.npz",
)
SEED = 20240601


def django_setup(data_dir: str) -> None:
    sys.path.insert(0, str(PROJECT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "reunite.settings.local")
    os.environ.setdefault("REUNITE_DATA_DIR", data_dir)
    import django

    django.setup()


def rss_mb() -> float:
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def profile():  # type: ignore[no-untyped-def]
    """The shipped profile, read from its file (this bench needs no database)."""
    from django.conf import settings

    from matching.spaces.calibration import profile_read

    return profile_read(name=settings.MATCH_PROFILE)


def lfw_vectors(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """The LFW photos' vectors in the active profile's space, and each one's identity."""
    from matching.evaluation.datasets import embeddings_load, profile_space, space_embeddings

    samples, embedded = embeddings_load(path=path)
    found, emb = space_embeddings(embedded=embedded, **profile_space(data=profile().data))
    identities = np.array([s.identity for s in samples])
    return emb[found].astype(np.float32), identities[found]


class FaceLike:
    """Unit vectors drawn from a Gaussian with the mean and covariance of real face vectors."""

    def __init__(self, real: np.ndarray, seed: int = SEED) -> None:
        self.mean = real.mean(axis=0)
        cov = np.cov(real - self.mean, rowvar=False) + 1e-6 * np.eye(real.shape[1])
        self.factor = np.linalg.cholesky(cov).T.astype(np.float32)
        self.rng = np.random.default_rng(seed)

    def sample(self, n: int, out: np.ndarray | None = None) -> np.ndarray:
        dim = len(self.mean)
        out = np.empty((n, dim), dtype=np.float32) if out is None else out
        for start in range(0, n, 100_000):  # in chunks: no full-size temporaries
            m = min(100_000, n - start)
            block = self.rng.standard_normal((m, dim), dtype=np.float32) @ self.factor
            block += self.mean
            block /= np.linalg.norm(block, axis=1, keepdims=True)
            out[start : start + m] = block
        return out


def lfw_queries(*, identities: np.ndarray, n_queries: int) -> tuple[list, list, np.ndarray]:
    """(query rows, each one's mate row, the rows that go in the gallery): the first photo of
    each person is the gallery's, the next ones are queries."""
    first: dict[str, int] = {}
    queries, mates = [], []
    for i, who in enumerate(identities):
        if who not in first:
            first[who] = i
        elif len(queries) < n_queries:
            queries.append(i)
            mates.append(first[who])
    return queries, mates, np.array(sorted(set(range(len(identities))) - set(queries)))


def gallery_and_queries(
    *, data: str, n: int, n_queries: int, real: np.ndarray, identities: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(gallery, queries, mate of each query: its gallery row, or -1)."""
    model = FaceLike(real)
    gallery = np.empty((n, real.shape[1]), dtype=np.float32)
    if data == "synthetic":
        model.sample(n, out=gallery)
        return gallery, model.sample(n_queries), np.full(n_queries, -1)
    queries, mates, placed = lfw_queries(identities=identities, n_queries=n_queries)
    model.sample(n - len(placed), out=gallery[len(placed) :])
    gallery[: len(placed)] = real[placed]
    row_of = {int(p): r for r, p in enumerate(placed)}
    rng = np.random.default_rng(SEED)
    # Real faces spread through the gallery, not all in the first lists k-means sees.
    order = rng.permutation(n)
    gallery = gallery[order]
    where = np.empty(n, dtype=np.int64)
    where[order] = np.arange(n)
    mate_rows = np.array([where[row_of[m]] for m in mates])
    return gallery, real[queries], mate_rows


def exact_top_k(gallery: np.ndarray, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    scores, ids = faiss.knn(queries, gallery, k, metric=faiss.METRIC_INNER_PRODUCT)
    return scores, ids


def timed(fn, queries: np.ndarray) -> tuple[np.ndarray, list]:  # type: ignore[no-untyped-def]
    fn(queries[0])  # warm-up
    ms = np.empty(len(queries))
    results = []
    for i, query in enumerate(queries):
        start = time.perf_counter()
        results.append(fn(query))
        ms[i] = (time.perf_counter() - start) * 1000
    return ms, results


def recall(found: list[np.ndarray], truth_ids: np.ndarray, keep: np.ndarray) -> float:
    """Share of the exact hits marked in `keep` that the index also returned."""
    wanted = kept = 0
    for got, ids, mask in zip(found, truth_ids, keep, strict=True):
        wanted += int(mask.sum())
        kept += int(np.isin(ids[mask], got).sum())
    return kept / wanted if wanted else 1.0


def row(name: str, build: str, ram: str, ms: np.ndarray, above: float, mates: str) -> None:
    print(
        f"  {name:<48} {build:>8} {ram:>9} {np.median(ms):>8.2f} "
        f"{np.percentile(ms, 95):>8.2f} {above:>9.4f} {mates:>8}",
        flush=True,
    )


def bench_size(*, args: argparse.Namespace, n: int, real: np.ndarray, identities: np.ndarray):  # type: ignore[no-untyped-def]
    from django.conf import settings

    from matching.index.store import index_spec_choose

    k = settings.SEARCH_TOP_K
    floor = min(profile().threshold, profile().large_gap_threshold)  # search_floor()
    start = time.perf_counter()
    gallery, queries, mates = gallery_and_queries(
        data=args.data, n=n, n_queries=args.queries, real=real, identities=identities
    )
    made = time.perf_counter() - start
    faiss.omp_set_num_threads(args.threads)
    truth_scores, truth_ids = exact_top_k(gallery, queries, k)
    above = truth_scores >= floor
    is_mate = truth_ids == mates[:, None]
    print(
        f"\nN = {n:,} ({gallery.nbytes / 2**20:,.0f} MB float32, made in {made:.0f} s), "
        f"{len(queries)} {args.data} queries, K = {k}, floor {floor:.4f}: "
        f"{above.sum(1).mean():.1f} exact hits a query above it, "
        f"{is_mate.any(1).mean():.2f} of queries with their mate in the exact top K"
    )
    print(
        f"  {'index':<48} {'build s':>8} {'RAM MB':>9} {'p50 ms':>8} {'p95 ms':>8} "
        f"{'recall':>9} {'mates':>8}"
    )
    faiss.omp_set_num_threads(1)
    exact_queries = queries[: args.exact_queries] if n > 2_000_000 else queries
    ms, _ = timed(lambda q: exact_top_k(gallery, q[None, :], k), exact_queries)
    row(
        f"exact (FlatIP), {len(exact_queries)} q", "-", f"{gallery.nbytes / 2**20:,.0f}", ms, 1, "1"
    )

    spec = index_spec_choose(size=n)
    if spec.exact:
        print(
            f"  the product picks exact at this size (FACE_INDEX_EXACT_MAX = "
            f"{settings.FACE_INDEX_EXACT_MAX:,})"
        )
    faiss.omp_set_num_threads(args.threads)
    from dataclasses import replace

    approx_spec = (
        spec if not spec.exact else index_spec_choose(size=settings.FACE_INDEX_EXACT_MAX + 1)
    )
    approx_spec = replace(approx_spec, gallery=n)
    before = rss_mb()
    start = time.perf_counter()
    # The earlier product index, for comparison; --stream measures the shipped FaceIndex.
    index = faiss.index_factory(gallery.shape[1], f"IVF{approx_spec.nlist},SQ8", faiss.METRIC_L2)
    faiss.extract_index_ivf(index).cp.niter = 10
    faiss.extract_index_ivf(index).nprobe = approx_spec.nprobe
    rng = np.random.default_rng(SEED)
    sample = np.sort(
        rng.choice(
            n, size=min(n, settings.FACE_INDEX_TRAIN_PER_LIST * approx_spec.nlist), replace=False
        )
    )
    index.train(gallery[sample])
    trained = time.perf_counter() - start
    for s in range(0, n, 200_000):
        index.add_with_ids(
            gallery[s : s + 200_000], np.arange(s, min(n, s + 200_000), dtype=np.int64)
        )
    build = time.perf_counter() - start
    ram = rss_mb() - before
    # Every index is scored on the same gallery, queries and exact truth.
    measure = partial(
        sweep,
        args=args,
        gallery=gallery,
        queries=queries,
        truth_ids=truth_ids,
        above=above,
        is_mate=is_mate,
        k=k,
    )
    measure(index=index, label=f"IVF{approx_spec.nlist},SQ8", build=build, ram=ram)
    print(f"  (IVF training {trained:.0f} s of the build; {args.threads} threads to build)")
    del index
    for factory in args.factories:
        faiss.omp_set_num_threads(args.threads)
        before = rss_mb()
        start = time.perf_counter()
        other = faiss.index_factory(gallery.shape[1], factory, faiss.METRIC_L2)
        hnsw = factory.upper().startswith("HNSW")
        # IVF: 40 vectors a list, as the product trains; HNSW: only its codec is trained.
        nlist = 2_500 if hnsw else faiss.extract_index_ivf(other).nlist
        rng = np.random.default_rng(SEED)
        sample = np.sort(
            rng.choice(n, size=min(n, settings.FACE_INDEX_TRAIN_PER_LIST * nlist), replace=False)
        )
        if not hnsw:
            faiss.extract_index_ivf(other).cp.niter = 10
        other.train(gallery[sample])
        for s in range(0, n, 200_000):
            if hnsw:  # ids are the insertion order, which is the gallery row here
                other.add(gallery[s : s + 200_000])
            else:
                other.add_with_ids(
                    gallery[s : s + 200_000], np.arange(s, min(n, s + 200_000), dtype=np.int64)
                )
        measure(
            index=other, label=factory, build=time.perf_counter() - start, ram=rss_mb() - before
        )
        del other


def sweep(*, args, index, label, build, ram, gallery, queries, truth_ids, above, is_mate, k):  # type: ignore[no-untyped-def]
    """Time and score one index at every nprobe (IVF) or efSearch (HNSW) and shortlist."""
    faiss.omp_set_num_threads(1)
    hnsw = isinstance(index, faiss.IndexHNSW)
    ivf = None if hnsw else faiss.extract_index_ivf(index)
    for factor in args.shortlists:
        shortlist = k * factor

        def search(q: np.ndarray, shortlist: int = shortlist) -> np.ndarray:
            _, ids = index.search(q[None, :], shortlist)
            ids = ids[0][ids[0] >= 0]
            scores = gallery[ids] @ q  # exact re-rank against the stored vectors
            return ids[np.argsort(-scores)[:k]]

        knobs = args.efs if hnsw else [p for p in args.nprobes if ivf is None or p <= ivf.nlist]
        for knob in knobs:
            if hnsw:
                index.hnsw.efSearch = max(knob, shortlist)
            else:
                ivf.nprobe = knob
            stats = faiss.cvar.hnsw_stats if hnsw else faiss.cvar.indexIVF_stats
            stats.reset()
            ms, found = timed(search, queries)
            # Codes compared a query: the cost on any machine, whatever else runs on it.
            scanned = stats.ndis / (len(queries) + 1)
            mate_recall = (
                recall(found, truth_ids, is_mate & above) if args.data == "lfw" else float("nan")
            )
            row(
                f"{label} {'ef' if hnsw else 'np'}={knob} sl={shortlist} "
                f"[{scanned / 1000:,.0f}k codes]",
                f"{build:.0f}",
                f"{ram:,.0f}",
                ms,
                recall(found, truth_ids, above),
                f"{mate_recall:.4f}",
            )


def stream_gallery(
    *, data: str, n: int, chunk: int, n_queries: int, real: np.ndarray, identities: np.ndarray
) -> tuple[Iterator[tuple[int, np.ndarray]], np.ndarray, np.ndarray]:
    """(the gallery chunk by chunk as (first row, vectors), queries, mate of each query or -1).

    One chunk buffer is reused, so memory stays at one chunk whatever n is. The synthetic rows
    are the FaceLike draws `gallery_and_queries` makes for the same seed, in the same order.
    """
    model = FaceLike(real)
    if data == "synthetic":
        # Drawn from their own stream: the gallery's must not be consumed before them.
        queries = FaceLike(real, seed=SEED + 1).sample(n_queries)
        placed_at, placed = np.empty(0, np.int64), np.empty((0, real.shape[1]), np.float32)
        mates = np.full(n_queries, -1)
    else:
        picked, mate_of, kept = lfw_queries(identities=identities, n_queries=n_queries)
        # Real faces at random rows of the first chunk(s), so k-means' sample sees them.
        rng = np.random.default_rng(SEED)
        span = min(n, max(chunk, len(kept)))
        placed_at = np.sort(rng.choice(span, size=len(kept), replace=False))
        placed = real[kept]
        row_of = {int(p): int(r) for p, r in zip(kept, placed_at, strict=True)}
        queries, mates = real[picked], np.array([row_of[m] for m in mate_of])

    def chunks() -> Iterator[tuple[int, np.ndarray]]:
        buffer = np.empty((min(n, chunk), real.shape[1]), dtype=np.float32)
        for start in range(0, n, chunk):
            block = model.sample(min(chunk, n - start), out=buffer[: min(chunk, n - start)])
            here = (placed_at >= start) & (placed_at < start + len(block))
            block[placed_at[here] - start] = placed[here]
            yield start, block

    return chunks(), queries, mates


def top_k_merge(
    best: tuple[np.ndarray, np.ndarray], new: tuple[np.ndarray, np.ndarray], k: int
) -> tuple[np.ndarray, np.ndarray]:
    """The k highest of two (scores, ids) lists a query, best first."""
    scores = np.concatenate([best[0], new[0]], axis=1)
    ids = np.concatenate([best[1], new[1]], axis=1)
    order = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    return np.take_along_axis(scores, order, axis=1), np.take_along_axis(ids, order, axis=1)


def bench_size_stream(
    *, args: argparse.Namespace, n: int, real: np.ndarray, identities: np.ndarray
):  # type: ignore[no-untyped-def]
    """One pass over a generated gallery: exact top K merged chunk by chunk, and the product's
    own FaceIndex built from the same chunks. No float gallery is ever held."""
    from dataclasses import replace

    from django.conf import settings

    from matching.index.store import FaceIndex, index_spec_choose

    k = settings.SEARCH_TOP_K
    floor = min(profile().threshold, profile().large_gap_threshold)  # search_floor()
    chunks, queries, mates = stream_gallery(
        data=args.data,
        n=n,
        chunk=args.chunk,
        n_queries=args.queries,
        real=real,
        identities=identities,
    )
    spec = index_spec_choose(size=n)
    if spec.exact:
        print(
            f"\n  (the product picks exact at {n:,} faces, FACE_INDEX_EXACT_MAX = "
            f"{settings.FACE_INDEX_EXACT_MAX:,}: measuring its approximate index instead)"
        )
        spec = index_spec_choose(size=settings.FACE_INDEX_EXACT_MAX + 1)
    spec = replace(spec, gallery=n, shards=args.shards)
    exact_queries = queries[: args.exact_queries]
    exact_ms = np.zeros(len(exact_queries))
    truth = (
        np.full((len(queries), k), -np.inf, dtype=np.float32),
        np.full((len(queries), k), -1, dtype=np.int64),
    )
    made = build = 0.0
    with tempfile.TemporaryDirectory(prefix="reunite-bench-index-") as tmp:
        start = time.perf_counter()
        for first, block in chunks:
            made += time.perf_counter() - start
            faiss.omp_set_num_threads(args.threads)
            if first == 0:
                before = rss_mb()  # the chunk buffer is already resident
                start = time.perf_counter()
                index = FaceIndex(dim=real.shape[1], path=Path(tmp) / "bench.faiss", spec=spec)
                index.reserve(size=n)  # as a rebuild does: its 8-bit codes never regrow
                rng = np.random.default_rng(SEED)
                size = min(len(block), settings.FACE_INDEX_TRAIN_PER_LIST * spec.nlist)
                index.train(vectors=block[np.sort(rng.choice(len(block), size, replace=False))])
                trained = time.perf_counter() - start
                build += trained
            start = time.perf_counter()
            index.add(ids=np.arange(first, first + len(block)), vectors=block)
            build += time.perf_counter() - start
            scores, ids = faiss.knn(queries, block, k, metric=faiss.METRIC_INNER_PRODUCT)
            truth = top_k_merge(truth, (scores, ids + first), k)
            # Exact search cost: one thread, one query at a time, as the product would.
            faiss.omp_set_num_threads(1)
            for i, query in enumerate(exact_queries):
                started = time.perf_counter()
                faiss.knn(query[None, :], block, k, metric=faiss.METRIC_INNER_PRODUCT)
                exact_ms[i] += (time.perf_counter() - started) * 1000
            print(f"  .. {first + len(block):,} faces in", file=sys.stderr, flush=True)
            start = time.perf_counter()
        ram = rss_mb() - before
        truth_scores, truth_ids = truth
        above = truth_scores >= floor
        is_mate = truth_ids == mates[:, None]
        print(
            f"\nN = {n:,} streamed in {args.chunk:,}-face chunks "
            f"({n * real.shape[1] * 4 / 2**20:,.0f} MB as float32, never held; "
            f"generated in {made:.0f} s), {len(queries)} {args.data} queries, K = {k}, "
            f"floor {floor:.4f}: {above.sum(1).mean():.1f} exact hits a query above it, "
            f"{is_mate.any(1).mean():.2f} of queries with their mate in the exact top K"
        )
        print(
            f"  {'index':<48} {'build s':>8} {'RAM MB':>9} {'p50 ms':>8} {'p95 ms':>8} "
            f"{'recall':>9} {'mates':>8}"
        )
        row(f"exact (streamed), {len(exact_queries)} q", "-", "-", exact_ms, 1, "1")
        sweep_face_index(
            args=args,
            index=index,
            label=f"FaceIndex {spec.kind} nlist={spec.nlist} shards={spec.shards}",
            build=build,
            ram=ram,
            queries=queries,
            truth_ids=truth_ids,
            above=above,
            is_mate=is_mate,
            k=k,
        )
        print(
            f"  (training {trained:.0f} s of the build, on {size:,} faces of the first chunk; "
            f"{args.threads} threads to build; the product's nprobe here is {spec.nprobe}, "
            f"its scan {spec.scan:,})"
        )
        del index


def sweep_face_index(*, args, index, label, build, ram, queries, truth_ids, above, is_mate, k):  # type: ignore[no-untyped-def]
    """Time and score the product's FaceIndex.search at every nprobe, scan and shortlist.

    Its shortlist is what the product re-ranks exactly, so its recall is the final recall.
    """
    faiss.omp_set_num_threads(1)
    from dataclasses import replace

    ivfs = [faiss.extract_index_ivf(shard) for shard in index._shards]  # under the rotation
    spec = index.spec
    # An nprobe past the lists reads them all, as the product's setting does.
    nprobes = sorted({min(nprobe, ivfs[0].nlist) for nprobe in args.nprobes})
    knobs = [
        (factor, scan, nprobe)
        for factor in args.shortlists
        for scan in args.scans or [spec.scan]
        for nprobe in nprobes
    ]
    for factor, scan, nprobe in knobs:
        shortlist = k * factor

        def search(q: np.ndarray, shortlist: int = shortlist) -> np.ndarray:
            return np.array([hit.face_id for hit in index.search(vector=q, k=shortlist)])

        for ivf in ivfs:
            ivf.nprobe = nprobe
        # The 4-bit scan's shortlist, re-scored on 8-bit codes: the class's own knob.
        index.spec = replace(spec, scan=scan)
        faiss.cvar.indexIVF_stats.reset()
        ms, found = timed(search, queries)
        # Codes compared a query: the cost on any machine, whatever else runs on it.
        scanned = faiss.cvar.indexIVF_stats.ndis / (len(queries) + 1)
        mate_recall = (
            recall(found, truth_ids, is_mate & above) if args.data == "lfw" else float("nan")
        )
        row(
            f"{label} np={nprobe} scan={scan} sl={shortlist} [{scanned / 1000:,.0f}k codes]",
            f"{build:.0f}",
            f"{ram:,.0f}",
            ms,
            recall(found, truth_ids, above),
            f"{mate_recall:.4f}",
        )
    index.spec = spec


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", choices=("lfw", "synthetic"), default="lfw")
    parser.add_argument("--sizes", default="100000,1000000", help="comma-separated")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--exact-queries", type=int, default=20, help="above 2M faces")
    parser.add_argument("--nprobes", default="8,16,32,64")
    parser.add_argument(
        "--shortlists",
        default=None,
        help="comma-separated shortlist factors (x K) to re-rank; default the product's",
    )
    parser.add_argument(
        "--factories",
        default="",
        help="other indexes to try, as faiss factory strings separated by ';' "
        "(e.g. IVF2048,PQ64x4fs;HNSW32,SQ8)",
    )
    parser.add_argument("--efs", default="64,128,256", help="efSearch values for HNSW")
    parser.add_argument("--threads", type=int, default=2, help="for building and ground truth")
    parser.add_argument("--descriptors", type=Path, default=DESCRIPTORS)
    parser.add_argument(
        "--stream",
        action="store_true",
        help="generate the gallery chunk by chunk (never all of it in RAM) and measure the "
        "product's own FaceIndex: reaches tens of millions of faces",
    )
    parser.add_argument(
        "--shards", type=int, default=1, help="--stream: shards scanned at once (threads)"
    )
    parser.add_argument("--chunk", type=int, default=1_000_000, help="faces a chunk (--stream)")
    parser.add_argument(
        "--scans",
        default=None,
        help="comma-separated faces the 4-bit scan shortlists for the 8-bit re-score "
        "(--stream); default the product's FACE_INDEX_SCAN",
    )
    args = parser.parse_args()
    args.nprobes = [int(p) for p in args.nprobes.split(",")]
    args.factories = [f for f in args.factories.split(";") if f.strip()]
    args.efs = [int(e) for e in args.efs.split(",")]
    args.scans = [int(s) for s in args.scans.split(",")] if args.scans else None
    with tempfile.TemporaryDirectory(prefix="reunite-bench-") as data_dir:
        django_setup(data_dir)
        real, identities = lfw_vectors(args.descriptors)
        print(
            f"faiss {faiss.__version__}, numpy {np.__version__}, {os.cpu_count()} CPUs; "
            f"{len(real)} LFW vectors ({len(set(identities))} people), seed {SEED}."
        )
        from django.conf import settings

        args.shortlists = [
            int(f)
            for f in (args.shortlists or str(settings.FACE_INDEX_SHORTLIST_FACTOR)).split(",")
        ]
        for n in [int(s) for s in args.sizes.split(",") if s.strip()]:
            bench = bench_size_stream if args.stream else bench_size
            bench(args=args, n=n, real=real, identities=identities)


if __name__ == "__main__":
    main()
