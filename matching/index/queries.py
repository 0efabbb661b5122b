"""The index's own queries: add one face to its side's index and search, and rebuild both
sides from the embedding rows."""

from __future__ import annotations

import numpy as np
from django.conf import settings

from cases.models import Photo
from matching.index.shortlist import index_search, index_search_two
from matching.index.store import Hit
from matching.index.sync import (
    index_forget_cache,
    index_rebuild,
    index_sides_get,
    index_snapshot_if_due,
    index_writer_lock,
)
from matching.models import Embedding
from matching.spaces.active import space_active
from matching.spaces.calibration import search_floor

OTHER_SIDE = {Photo.Side.CASE: Photo.Side.REPORT, Photo.Side.REPORT: Photo.Side.CASE}


def indexes_rebuild() -> dict[str, int]:
    """Build both sides' indexes of the active space from the embedding rows (after a restore).

    Returns the faces indexed per side; a side with no embeddings yet has nothing to build.
    """
    space = space_active().name
    built: dict[str, int] = {}
    for side in (Photo.Side.CASE, Photo.Side.REPORT):
        sample = Embedding.objects.filter(space=space, side=side).first()
        if sample is None:
            built[str(side)] = 0
            continue
        with index_writer_lock(space):
            built[str(side)] = index_rebuild(
                space=space, side=side, dim=len(sample.as_array())
            ).size
    index_forget_cache()
    return built


def embedding_index_step(*, space: str, side: str, face_id: int, vector: np.ndarray) -> list[Hit]:
    """Add one face to its side's index and return the other side's nearest, exactly scored."""
    return embedding_index_searches(space=space, side=side, face_id=face_id, vector=vector)[0]


def embedding_index_searches(
    *,
    space: str,
    side: str,
    face_id: int,
    vector: np.ndarray,
    own_side: bool = False,
    floor: float | None = None,
) -> tuple[list[Hit], list[Hit]]:
    """Add one face to its side's index; the other side's nearest and, with `own_side`, its
    own side's (itself left out: duplicate registrations), exactly scored. Hits under
    `floor` (by default the profile's search floor) may be left out.

    Constant cost in the gallery size: both indexes catch up only with rows added since
    their last use, membership is O(1), and the file is a snapshot taken now and then.
    The own-side search shares the lock and the catch-up, so it costs one more search.
    """
    other_side = OTHER_SIDE[Photo.Side(side)]
    own_hits: list[Hit] = []
    # Both callers drop hits under the floor: the index need not score them exactly.
    floor = search_floor() if floor is None else floor
    with index_writer_lock(space):
        indexes = index_sides_get(
            space=space, sides=(side, other_side), dim=len(vector), known={face_id: vector}
        )
        own, other = indexes[side], indexes[other_side]
        # Catching up from the database may already have added it.
        if face_id not in own:
            own.add(ids=[face_id], vectors=vector[None, :])
        k = settings.SEARCH_TOP_K
        if own_side:
            hits, own_found = index_search_two(
                space=space,
                vector=vector,
                first=(other, other_side, k),
                second=(own, side, k + 1),
                floor=floor,
            )
            own_hits = [hit for hit in own_found if hit.face_id != face_id]
        else:
            hits = index_search(
                index=other, space=space, side=other_side, vector=vector, k=k, floor=floor
            )
        index_snapshot_if_due(space=space, side=side)
        index_snapshot_if_due(space=space, side=other_side)
    return hits, own_hits
