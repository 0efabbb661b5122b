"""Keeping each index in step with the database, which is the log.

Embedding rows are the truth, and an index file is a snapshot of them, written every
FACE_INDEX_SNAPSHOT_EVERY changes or FACE_INDEX_SNAPSHOT_SECONDS, on worker shutdown and on
erasure, never per photo. A loaded index is reconciled with the database in full (missing
or corrupt files are rebuilt), then kept up to date cheaply: each use reads only the
embedding rows after the last one it has seen. So a crash between snapshots loses nothing,
and several processes may each hold an index.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any

import faiss as _faiss
import numpy as np
from django.conf import settings

from matching.index.store import (
    FaceIndex,
    faiss_index_new,
    header_read,
    index_spec_choose,
    spec_outgrown,
)
from matching.selectors import (
    embedding_last_pk,
    embedding_live_among,
    embedding_live_face_ids,
    embedding_log_since,
    embedding_vector_batches,
    embedding_vectors_of,
)

# faiss's SWIG bindings carry partial type information (no id_map, invlists, nprobe or
# callback I/O classes): treat the module as untyped rather than wrong.
faiss: Any = _faiss


logger = logging.getLogger(__name__)

# Rows below the log position not seen yet may belong to transactions still open; they are
# looked for again this long. A full reconcile at every snapshot covers anything later.
GAP_SECONDS = 600
GAP_WINDOW = 1000


_cache: dict[tuple[str, str], FaceIndex] = {}
_cache_lock = threading.RLock()


def _index_dir(space: str) -> Path:
    return Path(settings.FACE_INDEX_DIR) / space


def _index_path(space: str, side: str) -> Path:
    return _index_dir(space) / f"{side}.faiss"


@contextmanager
def index_writer_lock(space: str) -> Iterator[None]:
    """One writer at a time, across threads and processes (the index queue has one anyway)."""
    directory = _index_dir(space)
    directory.mkdir(parents=True, exist_ok=True)
    with _cache_lock, open(directory / ".lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def index_get(*, space: str, side: str, dim: int) -> FaceIndex:
    """The index for a space and side, up to date with the database.

    First use in a process loads the snapshot and reconciles it in full (or rebuilds it);
    later uses read only the embedding rows added since, so they cost O(new rows).
    """
    return index_sides_get(space=space, sides=(side,), dim=dim)[side]


def index_sides_get(
    *,
    space: str,
    sides: Iterable[str],
    dim: int,
    known: dict[int, np.ndarray] | None = None,
) -> dict[str, FaceIndex]:
    """Several sides' indexes of one space, brought up to date with one read of the log.

    `known` gives vectors the caller holds already (by face id), so they are not read again.
    """
    with _cache_lock:
        indexes: dict[str, FaceIndex] = {}
        cached: list[str] = []
        for side in sides:
            index = _cache.get((space, side))
            if index is None:
                index = _index_open(space=space, side=side, dim=dim)
                _cache[(space, side)] = index
            else:
                cached.append(side)
            indexes[side] = index
        if cached:
            _indexes_catch_up(
                space=space, indexes={s: indexes[s] for s in cached}, known=known or {}
            )
        return indexes


def _stale_snapshots_remove(path: Path) -> None:
    """Remove `<side>.<pid>.tmp` files a killed writer left behind (never renamed in place).

    A file whose process is still alive, other than this one, may be a snapshot being
    written now, and stays.
    """
    for tmp in path.parent.glob(f"{path.stem}.*.tmp"):
        pid = tmp.suffixes[-2].lstrip(".") if len(tmp.suffixes) >= 2 else ""
        if pid.isdigit() and int(pid) != os.getpid() and _process_alive(int(pid)):
            continue
        tmp.unlink(missing_ok=True)
        logger.info("Removed %s, left by an interrupted snapshot.", tmp)


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _index_open(*, space: str, side: str, dim: int) -> FaceIndex:

    path = _index_path(space, side)
    # First use in this process (the index worker's start): this process writes nothing yet.
    _stale_snapshots_remove(path)
    index = FaceIndex(dim=dim, path=path)
    if not index.load():
        return index_rebuild(space=space, side=side, dim=dim)
    log_pk = _log_position(index=index)
    wanted = embedding_live_face_ids(space=space, side=side)
    if spec_outgrown(spec=index.spec, size=len(wanted)):
        return index_rebuild(space=space, side=side, dim=dim)
    _index_reconcile(index=index, space=space, side=side, wanted=wanted)
    index.log_pk = log_pk
    if index.unsaved:
        index.save()
    return index


def _log_position(*, index: FaceIndex) -> int:
    """Read the log's end before a full read of the ids, so nothing falls between the two."""

    last = embedding_last_pk()
    seen = {row[0] for row in embedding_log_since(after_pk=max(0, last - GAP_WINDOW))}
    now = time.monotonic()
    index.log_gaps = {
        pk: now for pk in range(max(0, last - GAP_WINDOW) + 1, last + 1) if pk not in seen
    }
    return last


def _index_reconcile(*, index: FaceIndex, space: str, side: str, wanted: np.ndarray) -> None:
    """Make the index hold exactly `wanted` (the database's live face ids)."""

    stored = index.id_array()
    stale = np.setdiff1d(stored, wanted, assume_unique=True)
    missing = np.setdiff1d(wanted, stored, assume_unique=True)
    if not len(stale) and not len(missing):
        return
    logger.info(
        "Reconciling face index %s/%s: %d to add, %d to remove.",
        space,
        side,
        len(missing),
        len(stale),
    )
    index.remove(ids=stale.tolist())
    for start in range(0, len(missing), 10_000):
        chunk = missing[start : start + 10_000].tolist()
        for ids, vectors in embedding_vector_batches(space=space, side=side, face_ids=chunk):
            index.add(ids=ids, vectors=vectors)


def _indexes_catch_up(
    *, space: str, indexes: dict[str, FaceIndex], known: dict[int, np.ndarray]
) -> None:
    """Add each side's embedding rows written since that index last read the log."""

    after = min(index.log_pk for index in indexes.values())
    gaps = {pk for index in indexes.values() for pk in index.log_gaps}
    rows = embedding_log_since(after_pk=after, also=gaps)
    for side, index in indexes.items():
        _index_catch_up(index=index, space=space, side=side, rows=rows, known=known)


def _index_catch_up(
    *,
    index: FaceIndex,
    space: str,
    side: str,
    rows: list[tuple[int, str, str, int]],
    known: dict[int, np.ndarray],
) -> None:

    rows = [r for r in rows if r[0] > index.log_pk or r[0] in index.log_gaps]
    now = time.monotonic()
    seen = {r[0] for r in rows}
    last = max(seen | {index.log_pk})
    gaps = {pk: t for pk, t in index.log_gaps.items() if pk not in seen and now - t < GAP_SECONDS}
    # A pk skipped on the way up may be a transaction that has not committed yet.
    for pk in range(max(index.log_pk, last - GAP_WINDOW) + 1, last):
        if pk not in seen:
            gaps[pk] = now
    index.log_pk, index.log_gaps = last, gaps
    mine = {
        face_id: pk
        for pk, space, row_side, face_id in rows
        if space == space and row_side == side and face_id not in index
    }
    vectors = {face_id: known[face_id] for face_id in mine if face_id in known}
    unknown = [pk for face_id, pk in mine.items() if face_id not in vectors]
    if unknown:
        # Only searchable faces: a row of a photo withdrawn meanwhile is not added.
        vectors |= _live_only(
            space=space,
            side=side,
            vectors=embedding_vectors_of(space=space, side=side, embedding_ids=unknown),
        )
    if vectors:
        index.add(ids=list(vectors), vectors=np.stack(list(vectors.values())))


def _live_only(*, space: str, side: str, vectors: dict[int, np.ndarray]) -> dict[int, np.ndarray]:

    live = embedding_live_among(space=space, side=side, face_ids=list(vectors))
    return {face_id: v for face_id, v in vectors.items() if face_id in live}


def index_rebuild(*, space: str, side: str, dim: int) -> FaceIndex:
    """Build one side's index from the database, choosing its type by size, and save it."""
    start = time.monotonic()
    # Searches wait for the writer lock meanwhile, so the build may use every core.
    faiss.omp_set_num_threads(os.cpu_count() or 1)
    try:
        index = _index_build(space=space, side=side, dim=dim)
    finally:
        faiss.omp_set_num_threads(settings.FAISS_THREADS)
    logger.info(
        "Built face index %s/%s from the database: %d faces, %s, in %.1f s.",
        space,
        side,
        index.size,
        asdict(index.spec),
        time.monotonic() - start,
    )
    return index


def _index_build(*, space: str, side: str, dim: int) -> FaceIndex:

    index = FaceIndex(dim=dim, path=_index_path(space, side))
    log_pk = _log_position(index=index)
    wanted = embedding_live_face_ids(space=space, side=side)
    index.spec = index_spec_choose(size=len(wanted))
    index._shards = [faiss_index_new(dim=dim, spec=index.spec)]
    index.reserve(size=len(wanted))
    if not index.spec.exact:
        # k-means needs a few dozen points a list; a random sample of the space's own vectors.
        rng = np.random.default_rng(len(wanted))
        size = min(len(wanted), settings.FACE_INDEX_TRAIN_PER_LIST * index.spec.nlist)
        sample = np.sort(rng.choice(wanted, size=size, replace=False))
        parts = [
            vectors
            for start_at in range(0, size, 10_000)
            for _, vectors in embedding_vector_batches(
                space=space,
                side=side,
                face_ids=sample[start_at : start_at + 10_000].tolist(),
            )
        ]
        index.train(vectors=np.concatenate(parts))
    # Reading rows (Python, this thread) overlaps adding the last batch (FAISS, which lets
    # go of the GIL): a rebuild costs about the longer of the two, not their sum.
    with ThreadPoolExecutor(max_workers=1) as adder:
        adding: Future[None] | None = None
        for ids, vectors in embedding_vector_batches(space=space, side=side):
            if adding is not None:
                adding.result()
            adding = adder.submit(index.add, ids=ids, vectors=vectors)
        if adding is not None:
            adding.result()
    index.log_pk = log_pk
    index.save()
    return index


def index_snapshot_if_due(*, space: str, side: str) -> bool:
    """Snapshot one side after enough changes or time; call it under `index_writer_lock`."""
    index = _cache.get((space, side))
    if index is None or not index.unsaved:
        return False
    due_by_time = time.monotonic() - index.saved_at >= settings.FACE_INDEX_SNAPSHOT_SECONDS
    if index.unsaved < settings.FACE_INDEX_SNAPSHOT_EVERY and not due_by_time:
        return False
    index_snapshot(space=space, side=side)
    return True


def index_snapshot(*, space: str, side: str) -> None:
    """Write one cached side's snapshot; first rebuild it if its gallery outgrew its type.

    With tasks run in-process, several processes may each hold an index and one may miss
    another's erasure, so there a snapshot is reconciled with the database in full first
    (galleries that small make it cheap). With workers, the index queue's one process
    makes every change itself, and a snapshot only writes.
    """

    with _cache_lock:
        index = _cache.get((space, side))
        if index is None:
            return
        if spec_outgrown(spec=index.spec, size=index.size):
            logger.info(
                "Face index %s/%s outgrew %s at %d faces.",
                space,
                side,
                asdict(index.spec),
                index.size,
            )
            _cache[(space, side)] = index_rebuild(space=space, side=side, dim=index.dim)
            return
        if settings.CELERY_TASK_ALWAYS_EAGER:
            log_pk = _log_position(index=index)
            wanted = embedding_live_face_ids(space=space, side=side)
            _index_reconcile(index=index, space=space, side=side, wanted=wanted)
            index.log_pk = max(index.log_pk, log_pk)
        index.save()


def index_snapshot_all() -> int:
    """Snapshot every cached side with unsaved changes (worker shutdown). Returns how many."""
    saved = 0
    for space, side in list(_cache):
        index = _cache.get((space, side))
        if index is None or not index.unsaved:
            continue
        try:
            with index_writer_lock(space):
                index_snapshot(space=space, side=side)
            saved += 1
        except Exception:
            # The database still holds every face: the next load catches up from it.
            logger.exception("Could not snapshot face index %s/%s.", space, side)
    return saved


def index_forget_cache() -> None:
    with _cache_lock:
        _cache.clear()


def index_faces_remove(*, space: str, side: str, face_ids: Iterable[int]) -> int:
    """Take erased faces out of one side's index and save it. Returns how many this removed.

    Saved at once, unlike additions: an erased face must not stay in a file. Loading the
    index reconciles it with the database first, which may already drop them.
    """
    ids = [int(i) for i in face_ids]
    with index_writer_lock(space):
        index = _cache.get((space, side))
        if index is None:
            dim = _snapshot_dim(_index_path(space, side))
            if dim is None:
                return 0  # no usable file: it is rebuilt from the database when next loaded
            index = index_get(space=space, side=side, dim=dim)
        removed = index.remove(ids=ids)
        if removed:
            index.save()
        return removed


def _snapshot_dim(path: Path) -> int | None:
    try:
        with open(path, "rb") as handle:
            meta = header_read(handle)
            if "dim" in meta:
                return int(meta["dim"])
            return int(faiss.read_index(faiss.PyCallbackIOReader(handle.read)).d)
    except (RuntimeError, OSError, ValueError):
        return None
