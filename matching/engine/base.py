"""The face engine's port: what the rest of Reunite may ask of a face model.

`FaceEngine` finds faces in an RGB image and turns one face into an L2-normalised vector in
a named *space* (`space`, e.g. "SFace+Dlib"). Two vectors of one space are compared by their
inner product. The real adapter (DeepFace, dlib, OpenCV) is `deepface_engine`; tests that
are not about the model use `fake.FakeEngine`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np


@dataclass(frozen=True)
class DetectedFace:
    """A face box in the coordinates of the image it was found in.

    `landmarks`: YuNet's five points (right eye, left eye, nose tip, right and left mouth
    corners, as seen in the image) when the detector gave them.
    """

    x: int
    y: int
    w: int
    h: int
    score: float
    detector: str = "yunet"
    landmarks: tuple[tuple[float, float], ...] | None = field(default=None, compare=False)

    def distance_to_centre(self, width: int, height: int) -> float:
        cx, cy = self.x + self.w / 2, self.y + self.h / 2
        return float(np.hypot(cx - width / 2, cy - height / 2))


@dataclass(frozen=True)
class ModelInfo:
    """One recogniser inside a space, as recorded on every embedding and in the docs."""

    name: str
    version: str
    dim: int
    weight: float  # its scale in a fused vector: its cosine counts weight² in the score


class FaceEngine(Protocol):
    space: str

    @property
    def model_version(self) -> str:
        """Every model, weight file and option that shaped this space's vectors."""
        ...

    @property
    def models(self) -> tuple[ModelInfo, ...]: ...

    @property
    def dim(self) -> int: ...

    def detect(
        self, image: np.ndarray, *, cnn_fallback: bool | None = None
    ) -> list[DetectedFace]: ...

    def embed(self, image: np.ndarray, face: DetectedFace) -> np.ndarray: ...


def normalise(vector: np.ndarray) -> np.ndarray:
    vector = np.asarray(vector, dtype=np.float32).reshape(-1)
    return vector / max(float(np.linalg.norm(vector)), 1e-12)


def fuse(parts: list[np.ndarray], weights: list[float]) -> np.ndarray:
    """Concatenate L2-normalised parts, each scaled by its weight.

    With weights whose squares sum to 1 the result is unit length, and the inner product of
    two fused vectors is the weighted sum of the parts' cosines: one FAISS index, one score.
    """
    return np.concatenate([normalise(p) * w for p, w in zip(parts, weights, strict=True)])


def model_scores(
    *, a: np.ndarray, b: np.ndarray, models: tuple[ModelInfo, ...]
) -> dict[str, float]:
    """Each model's own cosine, recovered from two fused vectors."""
    scores, start = {}, 0
    for model in models:
        end = start + model.dim
        if model.weight > 0:
            scores[model.name] = float(a[start:end] @ b[start:end]) / model.weight**2
        start = end
    return scores
