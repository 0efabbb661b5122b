"""A face's vector in a space: computed with no transaction open, then stored in the
caller's short transaction. Every embedding, new photo or re-embedding, goes through here."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cases.audit.trail import audit_record
from matching.engine import DetectedFace
from matching.models import Embedding, EmbeddingSpace, Face
from matching.spaces.active import space_engine


@dataclass(frozen=True)
class FaceVector:
    """One face's vector in one space, computed and not yet stored."""

    embedding_space: EmbeddingSpace
    vector: np.ndarray
    model_version: str


def face_vector_compute(
    *, face: Face, pixels: np.ndarray, embedding_space: EmbeddingSpace, box: DetectedFace | None
) -> FaceVector:
    """Run the space's model on one face. No database write: call it with no
    transaction open, so no lock is held while the model runs."""
    engine = space_engine(embedding_space=embedding_space)
    if box is None:
        box = DetectedFace(x=face.x, y=face.y, w=face.w, h=face.h, score=face.detector_score)
    vector = engine.embed(pixels, box)
    return FaceVector(
        embedding_space=embedding_space, vector=vector, model_version=engine.model_version
    )


def face_embedding_store(*, face: Face, computed: FaceVector) -> tuple[Embedding, bool]:
    """Store one computed vector, inside the caller's short transaction. Returns
    (embedding, created)."""
    embedding, created = Embedding.objects.get_or_create(
        face=face,
        space=computed.embedding_space.name,
        defaults={
            "side": face.photo.side,
            "model_version": computed.model_version,
            "vector": computed.vector.astype("float32").tobytes(),
        },
    )
    if created:
        audit_record(
            actor=None,
            action="embedding.created",
            obj=embedding,
            organisation=face.photo.organisation,
            data={"model": computed.embedding_space.name, "version": computed.model_version},
        )
    return embedding, created
