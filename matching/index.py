"""The FAISS side of matching: one exact inner-product index per (model, side), keyed by face id.

The database is the source of truth. An index file is a cache of it: written atomically,
and reconciled with the database whenever it is loaded (missing or corrupt files are
rebuilt, stale ones are caught up). Only the `index` queue's single worker writes.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np
from django.conf import settings

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Hit:
    face_id: int
    score: float


class FaceIndex:
    """Exact cosine search (inner product of L2-normalised vectors) with removal by id."""

    def __init__(self, *, dim: int, path: Path) -> None:
        self.dim = dim
        self.path = path
        self._index = faiss.IndexIDMap2(faiss.IndexFlatIP(dim))
        self._mtime: float | None = None

    @property
    def size(self) -> int:
        return int(self._index.ntotal)

    def ids(self) -> set[int]:
        return set(faiss.vector_to_array(self._index.id_map).tolist())

    def add(self, *, ids: Iterable[int], vectors: np.ndarray) -> None:
        ids_array = np.asarray(list(ids), dtype=np.int64)
        if len(ids_array):
            self._index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), ids_array)

    def remove(self, *, ids: Iterable[int]) -> int:
        ids_array = np.asarray(list(ids), dtype=np.int64)
        if not len(ids_array):
            return 0
        return int(self._index.remove_ids(faiss.IDSelectorBatch(ids_array)))

    def search(self, *, vector: np.ndarray, k: int) -> list[Hit]:
        if self.size == 0:
            return []
        query = np.ascontiguousarray(vector.reshape(1, -1), dtype=np.float32)
        scores, ids = self._index.search(query, min(k, self.size))
        return [Hit(int(i), float(s)) for s, i in zip(scores[0], ids[0], strict=True) if i >= 0]

    def save(self) -> None:
        """Write to a temporary file, then rename over the old one: never a half-written index."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        faiss.write_index(self._index, str(tmp))
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, self.path)
        self._mtime = self.path.stat().st_mtime

    def load(self) -> bool:
        """Read the file if it exists and is sound. Returns False when it must be rebuilt."""
        try:
            index = faiss.read_index(str(self.path))
        except (RuntimeError, OSError) as exc:
            if self.path.exists():
                logger.warning("Face index %s is unreadable (%s); rebuilding it.", self.path, exc)
            return False
        if index.d != self.dim or not isinstance(index, faiss.IndexIDMap2):
            logger.warning("Face index %s has the wrong shape; rebuilding it.", self.path)
            return False
        self._index = index
        self._mtime = self.path.stat().st_mtime
        return True

    def changed_on_disk(self) -> bool:
        try:
            return self.path.stat().st_mtime != self._mtime
        except FileNotFoundError:
            return self._mtime is not None


# One query at a time: OpenMP threads only add contention (see bench/search.py).
faiss.omp_set_num_threads(settings.FAISS_THREADS)

_cache: dict[tuple[str, str], FaceIndex] = {}
_cache_lock = threading.RLock()


def _index_dir(model_name: str) -> Path:
    return Path(settings.FACE_INDEX_DIR) / model_name


@contextmanager
def index_writer_lock(model_name: str) -> Iterator[None]:
    """One writer at a time, across threads and processes (the index queue has one anyway)."""
    directory = _index_dir(model_name)
    directory.mkdir(parents=True, exist_ok=True)
    with _cache_lock, open(directory / ".lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def index_get(*, model_name: str, side: str, dim: int) -> FaceIndex:
    """The loaded index for a model and side, reconciled with the database when first loaded."""
    from matching.selectors import embedding_face_ids, embedding_vectors

    key = (model_name, side)
    with _cache_lock:
        index = _cache.get(key)
        if index is not None and not index.changed_on_disk():
            return index
        index = FaceIndex(dim=dim, path=_index_dir(model_name) / f"{side}.faiss")
        loaded = index.load()
        stored = index.ids() if loaded else set()
        wanted = embedding_face_ids(model_name=model_name, side=side)
        stale = stored - wanted
        missing = wanted - stored
        if stale or missing:
            logger.info(
                "Reconciling face index %s/%s: %d to add, %d to remove.",
                model_name,
                side,
                len(missing),
                len(stale),
            )
            index.remove(ids=stale)
            for ids, vectors in _batches(
                embedding_vectors(model_name=model_name, side=side, face_ids=missing)
            ):
                index.add(ids=ids, vectors=vectors)
        if stale or missing or not loaded:
            index.save()
        _cache[key] = index
        return index


def _batches(
    rows: Iterable[tuple[int, np.ndarray]], size: int = 10_000
) -> Iterator[tuple[list[int], np.ndarray]]:
    ids: list[int] = []
    vectors: list[np.ndarray] = []
    for face_id, vector in rows:
        ids.append(face_id)
        vectors.append(vector)
        if len(ids) == size:
            yield ids, np.stack(vectors)
            ids, vectors = [], []
    if ids:
        yield ids, np.stack(vectors)


def index_forget_cache() -> None:
    with _cache_lock:
        _cache.clear()


def index_faces_remove(*, model_name: str, side: str, face_ids: Iterable[int]) -> int:
    """Take erased faces out of one side's index and save it. Returns how many this removed.

    Loading the index reconciles it with the database first, which may already drop them.
    """
    ids = [int(i) for i in face_ids]
    with index_writer_lock(model_name):
        index = _cache.get((model_name, side))
        if index is None or index.changed_on_disk():
            path = _index_dir(model_name) / f"{side}.faiss"
            try:
                dim = faiss.read_index(str(path)).d
            except (RuntimeError, OSError):
                return 0  # no usable file: it is rebuilt from the database when next loaded
            index = index_get(model_name=model_name, side=side, dim=dim)
        removed = index.remove(ids=ids)
        if removed:
            index.save()
        return removed
