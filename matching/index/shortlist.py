"""Searching an index: a coarse shortlist, then an exact re-rank against stored vectors,
so every score is the cosine the thresholds were calibrated on."""

from __future__ import annotations

import logging
import math
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from django.conf import settings

from matching.index.store import FaceIndex, Hit, thread_pool
from matching.selectors import embedding_vectors_of

logger = logging.getLogger(__name__)

# 8-bit estimates of face-like vectors' cosines were within 0.0017 of the exact one for
# 99.99% of faces, 0.007 at worst (a value clipped to the trained range).
RERANK_MARGIN = 0.01


def index_search(
    *,
    index: FaceIndex,
    space: str,
    side: str,
    vector: np.ndarray,
    k: int,
    floor: float = -math.inf,
) -> list[Hit]:
    """The k nearest faces with exact cosine scores, best first; faces scoring under `floor`
    may be left out (callers drop them anyway).

    An approximate index gives a shortlist; its faces' stored vectors are scored exactly,
    and ids with no live embedding any more (erased meanwhile) are dropped from the index.
    """
    shortlist = _shortlist(index=index, vector=vector, k=k, floor=floor)
    stored = _stored_vectors(space=space, shortlists=[(index, side, shortlist)])
    return _rerank(index=index, vector=vector, k=k, shortlist=shortlist, stored=stored)


def index_search_two(
    *,
    space: str,
    vector: np.ndarray,
    first: tuple[FaceIndex, str, int],
    second: tuple[FaceIndex, str, int],
    floor: float = -math.inf,
) -> tuple[list[Hit], list[Hit]]:
    """`index_search` of one vector in two indexes (index, side, k), their scans at once.

    A photo searches the other side and its own (duplicates): FAISS lets go of the GIL, so
    a spare thread scans the second index meanwhile. Both shortlists' stored vectors are
    then read in one query, on this thread.
    """
    (index_1, side_1, k_1), (index_2, side_2, k_2) = first, second
    later = _searcher().submit(_shortlist, index=index_2, vector=vector, k=k_2, floor=floor)
    shortlist_1 = _shortlist(index=index_1, vector=vector, k=k_1, floor=floor)
    shortlist_2 = later.result()
    stored = _stored_vectors(
        space=space,
        shortlists=[(index_1, side_1, shortlist_1), (index_2, side_2, shortlist_2)],
    )
    return (
        _rerank(index=index_1, vector=vector, k=k_1, shortlist=shortlist_1, stored=stored),
        _rerank(index=index_2, vector=vector, k=k_2, shortlist=shortlist_2, stored=stored),
    )


def _searcher() -> ThreadPoolExecutor:
    """The thread that scans a photo's second side meanwhile."""
    return thread_pool("face-search", workers=1)


def _shortlist(*, index: FaceIndex, vector: np.ndarray, k: int, floor: float) -> list[Hit]:
    """FAISS's part of a search: the exact hits, or the approximate shortlist worth reading
    from the database.

    Its scores are 8-bit estimates. A face estimated more than RERANK_MARGIN under the k-th
    best, or under the floor, is not read: to reach the exact top k or the floor, its
    estimate would have to be off by several times what 99.99% of estimates are.
    """
    if index.spec.exact:
        return index.search(vector=vector, k=k)
    hits = index.search(vector=vector, k=k * settings.FACE_INDEX_SHORTLIST_FACTOR)
    kth = hits[k - 1].score if len(hits) >= k else -math.inf
    bar = max(kth, floor) - RERANK_MARGIN
    return [hit for hit in hits if hit.score >= bar]


def _stored_vectors(
    *, space: str, shortlists: list[tuple[FaceIndex, str, list[Hit]]]
) -> dict[int, np.ndarray]:
    """The database's part: the approximate shortlists' stored vectors, in one query."""

    wanted = [(side, hits) for index, side, hits in shortlists if not index.spec.exact and hits]
    if not wanted:
        return {}
    return embedding_vectors_of(
        space=space,
        side=tuple(side for side, _ in wanted),
        face_ids=[hit.face_id for _, hits in wanted for hit in hits],
    )


def _rerank(
    *,
    index: FaceIndex,
    vector: np.ndarray,
    k: int,
    shortlist: list[Hit],
    stored: dict[int, np.ndarray],
) -> list[Hit]:
    """An approximate shortlist scored exactly against its faces' stored vectors; faces with
    none any more (erased meanwhile) leave the index."""
    if index.spec.exact:
        return shortlist
    gone = [hit.face_id for hit in shortlist if hit.face_id not in stored]
    if gone:
        index.remove(ids=gone)
    kept = [hit.face_id for hit in shortlist if hit.face_id in stored]
    if not kept:
        return []
    ids = np.asarray(kept, dtype=np.int64)
    scores = np.stack([stored[face_id] for face_id in kept]) @ np.asarray(vector, dtype=np.float32)
    order = np.argsort(-scores, kind="stable")[:k]
    return [Hit(int(ids[i]), float(scores[i])) for i in order]
