"""One FAISS index of one (embedding space, side), keyed by face id, and its file format.

The index type follows the gallery size (`index_spec_choose`): exact up to
FACE_INDEX_EXACT_MAX faces, then a rotated (OPQ) IVF index of 4-bit product-quantised codes
read by FAISS's fast-scan kernels. That scan is cheap but coarse, so it shortlists
FACE_INDEX_SCAN faces, which are re-scored on 8-bit codes kept beside it (`_Codes8`);
index/shortlist.py re-ranks the best of those against the stored vectors, so every score
is the exact cosine the thresholds were calibrated on. The choice is logged and kept in the
snapshot's header. How an index is kept in step with the database: index/sync.py.
"""

from __future__ import annotations

import json
import logging
import math
import os
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import faiss as _faiss
import numpy as np
from django.conf import settings

# faiss's SWIG bindings carry partial type information (no id_map, invlists, nprobe or
# callback I/O classes): treat the module as untyped rather than wrong.
faiss: Any = _faiss

logger = logging.getLogger(__name__)

EXACT = "flat"
APPROXIMATE = "opq-ivf-pq4fs"
# Snapshot files start with this line, then one line of JSON metadata, then (approximate
# indexes) the 8-bit codes as .npy arrays, then FAISS's bytes (one index a shard).
MAGIC = b"REUNITE-FACE-INDEX 3\n"
OLD_MAGICS = (b"REUNITE-FACE-INDEX 2\n",)
SCAN_MIN = 3_000


@dataclass(frozen=True)
class Hit:
    face_id: int
    score: float


@dataclass(frozen=True)
class IndexSpec:
    """An index type and its parameters; `gallery` is the size it was chosen for."""

    kind: str = EXACT
    nlist: int = 0
    nprobe: int = 0
    gallery: int = 0
    scan: int = 0  # faces the 4-bit scan shortlists for the 8-bit re-score
    shards: int = 1  # approximate: face ids split over this many IVFs, scanned at once

    @property
    def exact(self) -> bool:
        return self.kind == EXACT


def index_spec_choose(*, size: int) -> IndexSpec:
    """Exact up to FACE_INDEX_EXACT_MAX faces; above it OPQ-IVF-PQ fast-scan, ~sqrt(N) lists,
    and a shortlist of FACE_INDEX_SCAN faces at 1M, growing as sqrt(N)."""
    if size <= settings.FACE_INDEX_EXACT_MAX:
        return IndexSpec(kind=EXACT, gallery=size)
    nlist = 2 ** round(math.log2(math.sqrt(size)))
    nlist = max(4, min(nlist, settings.FACE_INDEX_NLIST_MAX))
    # More faces crowd more strangers near each query's best: a fixed 5,000-face shortlist
    # kept 0.997 of the hits at 1M but 0.991 at 5M, so it grows, though slower than N.
    scan = max(SCAN_MIN, round(settings.FACE_INDEX_SCAN * math.sqrt(size / 1_000_000)))
    return IndexSpec(
        kind=APPROXIMATE,
        nlist=nlist,
        nprobe=min(nlist, settings.FACE_INDEX_NPROBE),
        gallery=size,
        scan=scan,
        shards=max(1, settings.FACE_INDEX_SHARDS),
    )


def spec_outgrown(*, spec: IndexSpec, size: int) -> bool:
    """Whether a gallery of `size` needs another index type (with slack, so it never flaps)."""
    if spec.exact:
        return size > settings.FACE_INDEX_EXACT_MAX
    # Back to exact well below the line; retrain once lists hold 4x what they were made for.
    return size < settings.FACE_INDEX_EXACT_MAX // 2 or size >= 4 * max(spec.gallery, 1)


class _Members:
    """O(1) membership of face ids: one byte per id up to the largest (ids are dense pks)."""

    def __init__(self) -> None:
        self._flags = np.zeros(1024, dtype=bool)

    def __contains__(self, face_id: int) -> bool:
        return 0 <= face_id < len(self._flags) and bool(self._flags[face_id])

    def set(self, ids: np.ndarray, value: bool) -> None:
        if not len(ids):
            return
        top = int(ids.max())
        if top >= len(self._flags):
            grown = np.zeros(max(top + 1, len(self._flags) * 3 // 2), dtype=bool)
            grown[: len(self._flags)] = self._flags
            self._flags = grown
        self._flags[ids] = value


def _subquantizers(dim: int) -> int:
    """4 dimensions per 4-bit sub-quantizer (16 bytes a face at 128-d); fast-scan wants even."""
    m = max(1, dim // 4)
    while m > 1 and (dim % m or m % 2):
        m -= 1
    return m


def faiss_index_new(*, dim: int, spec: IndexSpec) -> faiss.Index:
    if spec.exact:
        return faiss.IndexIDMap2(faiss.IndexFlatIP(dim))
    m = _subquantizers(dim)
    if spec.gallery >= 16 * dim:
        # A learnt rotation spreads the variance evenly over the sub-quantizers. On 1M
        # face-like vectors, learnt for 4-bit codes from 8,192 of them, it kept 0.999 of the
        # exact top hits in a 10,000-face shortlist, where a random rotation kept 0.988.
        rotation = faiss.OPQMatrix(dim, m)
        rotation.niter = 20
        rotation.max_train_points = 8_192
        # For the 4-bit codes it serves (its default 8 bits also need 256+ points).
        rotation.pq = faiss.ProductQuantizer(dim, m, 4)
        rotation.referenced_objects = [rotation.pq]  # SWIG does not keep it alive
    else:  # too few faces to learn one (tests, or a tiny exact limit)
        rotation = faiss.RandomRotationMatrix(dim, dim)
    # L2 ranks unit vectors as cosine does, and L2 k-means, unlike inner-product k-means,
    # is not thrown by the large direction all face vectors share.
    ivf = faiss.IndexIVFPQFastScan(faiss.IndexFlatL2(dim), dim, spec.nlist, m, 4, faiss.METRIC_L2)
    ivf.nprobe = spec.nprobe
    # Ten k-means rounds settle the lists about as well as faiss's default 25, in 40% the time.
    ivf.cp.niter = 10
    return faiss.IndexPreTransform(rotation, ivf)


class _Codes8:
    """Every face's vector as 8-bit codes, by face id: re-scores the fast scan's shortlist.

    256 bytes a face at 256-d. Its scores are estimates too (about 1e-3 off); the final
    ranking reads the stored vectors.
    """

    def __init__(self, dim: int) -> None:
        self.low = np.zeros(dim, dtype=np.float32)
        self.step = np.full(dim, 1 / 255, dtype=np.float32)
        self.codes = np.empty((0, dim), dtype=np.uint8)
        self.ids = np.empty(0, dtype=np.int64)
        self.count = 0
        self._row = np.full(0, -1, dtype=np.int32)  # by face id: its row, or -1

    def train(self, vectors: np.ndarray) -> None:
        low, high = vectors.min(axis=0), vectors.max(axis=0)
        margin = (high - low) * 0.05  # values a little outside the sample still fit
        self.low = (low - margin).astype(np.float32)
        self.step = np.maximum((high - low + 2 * margin) / 255, 1e-9).astype(np.float32)

    def reserve(self, rows: int) -> None:
        if rows > len(self.codes):
            grown = np.empty((rows, self.codes.shape[1]), dtype=np.uint8)
            grown[: self.count] = self.codes[: self.count]
            self.codes = grown
            ids = np.empty(rows, dtype=np.int64)
            ids[: self.count] = self.ids[: self.count]
            self.ids = ids

    def _rows_reserve(self, top_id: int) -> None:
        if top_id >= len(self._row):
            grown = np.full(max(top_id + 1, len(self._row) * 5 // 4), -1, dtype=np.int32)
            grown[: len(self._row)] = self._row
            self._row = grown

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        if self.count + len(ids) > len(self.codes):
            self.reserve(max(self.count + len(ids), len(self.codes) * 5 // 4))
        end = self.count + len(ids)
        codes = np.rint((vectors - self.low) / self.step)
        self.codes[self.count : end] = np.clip(codes, 0, 255).astype(np.uint8)
        self.ids[self.count : end] = ids
        self._rows_reserve(int(ids.max()))
        self._row[ids] = np.arange(self.count, end, dtype=np.int32)
        self.count = end

    def remove(self, ids: np.ndarray) -> None:
        """Move the last row into each freed one: O(1) a face."""
        for face_id in ids.tolist():
            row = int(self._row[face_id])
            last = self.count - 1
            if row != last:
                self.codes[row] = self.codes[last]
                self.ids[row] = self.ids[last]
                self._row[self.ids[row]] = row
            self._row[face_id] = -1
            self.count = last

    def scores(self, ids: np.ndarray, query: np.ndarray) -> np.ndarray:
        """Estimated cosine of each face to the query (unit vectors)."""
        # np.take gathers rows about twice as fast as fancy indexing (1M rows, 10,000 taken).
        codes = np.take(self.codes, self._row[ids], axis=0)
        # einsum, not BLAS: a threaded BLAS call this small crawls on a shared machine.
        return np.einsum("ij,j->i", codes, query * self.step) + float(query @ self.low)

    def write(self, handle: Any) -> None:
        for array in (self.low, self.step, self.ids[: self.count], self.codes[: self.count]):
            np.save(handle, array, allow_pickle=False)

    @classmethod
    def read(cls, handle: Any, dim: int) -> _Codes8:
        store = cls(dim)
        read = np.lib.format.read_array
        store.low, store.step = read(handle), read(handle)
        ids, store.codes = read(handle), read(handle)
        if store.codes.shape[1:] != (dim,) or len(ids) != len(store.codes):
            raise ValueError("8-bit codes do not match their ids")
        store.ids, store.count = ids, len(ids)
        if store.count:
            store._rows_reserve(int(ids.max()))
            store._row[ids] = np.arange(store.count, dtype=np.int32)
        return store


class FaceIndex:
    """Cosine search (inner product of L2-normalised vectors) with add and remove by face id.

    Scores from an approximate index are estimates: use `index_search`, which re-ranks them.
    """

    def __init__(self, *, dim: int, path: Path, spec: IndexSpec | None = None) -> None:
        self.dim = dim
        self.path = path
        self.spec = spec or IndexSpec()
        # Exact: one IndexIDMap2. Approximate: shard i holds the face ids = i mod shards, all
        # with the same trained rotation, lists and codebooks (copied once trained).
        self._shards = [faiss_index_new(dim=dim, spec=self.spec)]
        self._codes = _Codes8(dim)
        self._members = _Members()
        # Position in the database's log: the last Embedding pk read, and the pks below it
        # not seen yet (with when they were first missed).
        self.log_pk = 0
        self.log_gaps: dict[int, float] = {}
        self.unsaved = 0
        self.saved_at = time.monotonic()

    @property
    def size(self) -> int:
        return sum(int(shard.ntotal) for shard in self._shards)

    @property
    def trained(self) -> bool:
        return bool(self._shards[0].is_trained)

    def __contains__(self, face_id: int) -> bool:
        return face_id in self._members

    def id_array(self) -> np.ndarray:
        if self.spec.exact:
            return faiss.vector_to_array(self._shards[0].id_map).astype(np.int64)
        return self._codes.ids[: self._codes.count].copy()

    def ids(self) -> set[int]:
        """Every face id held (reads the whole index: for reconciling and tests)."""
        return set(self.id_array().tolist())

    def train(self, *, vectors: np.ndarray) -> None:
        if not self.trained:
            vectors = np.ascontiguousarray(vectors, dtype=np.float32)
            if not self.spec.exact:
                # OPQ's many small parallel steps crawl when other processes share the
                # cores (270 s seen); one thread learns it in about 10 s.
                rotation = faiss.downcast_VectorTransform(self._shards[0].chain.at(0))
                threads = faiss.omp_get_max_threads()
                faiss.omp_set_num_threads(1)
                try:
                    rotation.train(vectors)
                finally:
                    faiss.omp_set_num_threads(threads)
            self._shards[0].train(vectors)
            self._codes.train(vectors)
            if not self.spec.exact:
                self._shards += [
                    faiss.clone_index(self._shards[0]) for _ in range(self.spec.shards - 1)
                ]

    def reserve(self, *, size: int) -> None:
        """Room for this many faces at once (a rebuild): no copy as the codes grow."""
        if not self.spec.exact:
            self._codes.reserve(size)

    def add(self, *, ids: Iterable[int], vectors: np.ndarray) -> None:
        ids_array = np.asarray(ids if isinstance(ids, np.ndarray) else list(ids), dtype=np.int64)
        if len(ids_array):
            vectors = np.ascontiguousarray(vectors, dtype=np.float32)
            for shard, mine in self._by_shard(ids_array):
                shard.add_with_ids(vectors[mine], ids_array[mine])
            if not self.spec.exact:
                self._codes.add(ids_array, vectors)
            self._members.set(ids_array, True)
            self.unsaved += len(ids_array)

    def remove(self, *, ids: Iterable[int]) -> int:
        """Remove faces by id (a scan of the index: erasure is rare). Returns how many."""
        ids_array = np.asarray([i for i in ids if i in self._members], dtype=np.int64)
        if not len(ids_array):
            return 0
        removed = sum(
            int(shard.remove_ids(faiss.IDSelectorBatch(ids_array[mine])))
            for shard, mine in self._by_shard(ids_array)
        )
        if not self.spec.exact:
            self._codes.remove(ids_array)
        self._members.set(ids_array, False)
        self.unsaved += removed
        return removed

    def _by_shard(self, ids: np.ndarray) -> Iterator[tuple[faiss.Index, np.ndarray | slice]]:
        """Each shard with the rows of `ids` it holds (the face ids = its number mod shards)."""
        if len(self._shards) == 1:
            yield self._shards[0], slice(None)
            return
        for number, shard in enumerate(self._shards):
            mine = np.flatnonzero(ids % len(self._shards) == number)
            if len(mine):
                yield shard, mine

    def search(self, *, vector: np.ndarray, k: int) -> list[Hit]:
        if self.size == 0:
            return []
        query = np.ascontiguousarray(vector.reshape(1, -1), dtype=np.float32)
        if self.spec.exact:
            scores, ids = self._shards[0].search(query, min(k, self.size))
            return [Hit(int(i), float(s)) for s, i in zip(scores[0], ids[0], strict=True) if i >= 0]
        # 4-bit codes find the neighbourhood; their order is too coarse to cut at k, so a
        # long shortlist is re-scored on the 8-bit codes.
        shortlist = self._scan(query, min(max(k, self.spec.scan), self.size))
        estimates = self._codes.scores(shortlist, query[0])
        best = (
            np.argpartition(-estimates, k - 1)[:k]
            if len(estimates) > k
            else np.arange(len(estimates))
        )
        best = best[np.argsort(-estimates[best], kind="stable")]
        return [Hit(int(shortlist[i]), float(estimates[i])) for i in best]

    def _scan(self, query: np.ndarray, n: int) -> np.ndarray:
        """The n faces nearest on the 4-bit codes; shards are scanned on threads at once."""
        later = [_shard_scanner().submit(shard.search, query, n) for shard in self._shards[1:]]
        parts = [self._shards[0].search(query, n), *(future.result() for future in later)]
        distances = np.concatenate([part[0][0] for part in parts])
        found = np.concatenate([part[1][0] for part in parts])
        distances[found < 0] = np.inf
        nearest = np.argpartition(distances, n - 1)[:n] if len(found) > n else np.arange(len(found))
        nearest = nearest[found[nearest] >= 0]
        return found[nearest]

    def save(self) -> None:
        """Write to a temporary file, then rename over the old one: never a half-written index."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(f".{os.getpid()}.tmp")
        meta = {
            "spec": asdict(self.spec),
            "size": self.size,
            "dim": self.dim,
            "log_pk": self.log_pk,
        }
        with open(tmp, "wb") as handle:
            handle.write(MAGIC + json.dumps(meta).encode() + b"\n")
            if not self.spec.exact:
                self._codes.write(handle)
            for shard in self._shards:
                faiss.write_index(shard, faiss.PyCallbackIOWriter(handle.write))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self.path)
        self.unsaved = 0
        self.saved_at = time.monotonic()

    def load(self) -> bool:
        """Read the file if it exists and is sound. Returns False when it must be rebuilt."""
        try:
            with open(self.path, "rb") as handle:
                meta = header_read(handle)
                spec = IndexSpec(**meta["spec"]) if "spec" in meta else IndexSpec()
                # An older exact snapshot holds the same bytes; older approximate ones do not.
                current = meta["magic"] == MAGIC or spec.exact
                if spec.kind not in (EXACT, APPROXIMATE) or not current:
                    logger.info("Face index %s is of an older type; rebuilding it.", self.path)
                    return False
                codes = None if spec.exact else _Codes8.read(handle, self.dim)
                shards = [
                    faiss.read_index(faiss.PyCallbackIOReader(handle.read))
                    for _ in range(1 if spec.exact else max(1, spec.shards))
                ]
        except (RuntimeError, OSError, ValueError, TypeError, KeyError) as exc:
            if self.path.exists():
                logger.warning("Face index %s is unreadable (%s); rebuilding it.", self.path, exc)
            return False
        expected = faiss.IndexIDMap2 if spec.exact else faiss.IndexPreTransform
        if any(shard.d != self.dim or not isinstance(shard, expected) for shard in shards) or (
            codes is not None and codes.count != sum(shard.ntotal for shard in shards)
        ):
            logger.warning("Face index %s has the wrong shape; rebuilding it.", self.path)
            return False
        if codes is not None:
            for shard in shards:
                faiss.extract_index_ivf(shard).nprobe = spec.nprobe
            self._codes = codes
        self._shards, self.spec = shards, spec
        self._members = _Members()
        self._members.set(self.id_array(), True)
        self.unsaved = 0
        return True


def header_read(handle: Any) -> dict:
    """A snapshot's JSON header, with the magic line it came under (None: FAISS bytes only)."""
    magic = handle.read(len(MAGIC))
    if magic in (MAGIC, *OLD_MAGICS):
        return {**json.loads(handle.readline()), "magic": magic}
    handle.seek(0)
    return {"magic": None}


# One query at a time: OpenMP threads only add contention (see bench/search.py).
faiss.omp_set_num_threads(settings.FAISS_THREADS)


_pools: dict[tuple[int, str], ThreadPoolExecutor] = {}


def thread_pool(name: str, *, workers: int) -> ThreadPoolExecutor:
    # One per process: a forked worker must not inherit an executor whose thread it lacks.
    key = (os.getpid(), name)
    if key not in _pools:
        _pools[key] = ThreadPoolExecutor(
            max_workers=workers,  # threads start only as work needs them
            thread_name_prefix=name,
            # OpenMP's thread count is per thread: these must search single-threaded too.
            initializer=faiss.omp_set_num_threads,
            initargs=(settings.FAISS_THREADS,),
        )
    return _pools[key]


def _shard_scanner() -> ThreadPoolExecutor:
    """Threads for a sharded index's other shards: both sides' at once, apart from
    `_searcher` (whose thread waits on them)."""
    return thread_pool("face-shard", workers=32)
