"""A deterministic stand-in for the face engine, for tests that are not about the model.

It "finds" one face in the middle of any photo that is not flat (two, side by side, in a
photo at least twice as wide as it is tall), and its vector is a pseudo-random unit vector
seeded by a coarse thumbnail of that face, so the same photo (re-encoded, resized) always
gives the same vector, and different photos do not match.
"""

from __future__ import annotations

import hashlib

import numpy as np

from matching.engine.base import DetectedFace, ModelInfo

FAKE_SPACE = "Fake"
FAKE_DIM = 128


class FakeEngine:
    space = FAKE_SPACE
    model_version = "fake-1"
    models = (ModelInfo(name="Fake", version="fake-1", dim=FAKE_DIM, weight=1.0),)
    dim = FAKE_DIM

    def detect(self, image: np.ndarray, *, cnn_fallback: bool | None = None) -> list[DetectedFace]:
        height, width = image.shape[:2]
        if float(image.std()) < 2.0:  # a flat image has no face
            return []
        if width >= 2 * height:  # a "group photo": one face in each half
            w, h = width // 4, height // 2
            return [
                DetectedFace(x=x, y=height // 4, w=w, h=h, score=1.0, detector="fake")
                for x in (width // 8, width // 2 + width // 8)
            ]
        w, h = width // 2, height // 2
        return [DetectedFace(x=width // 4, y=height // 4, w=w, h=h, score=1.0, detector="fake")]

    def embed(self, image: np.ndarray, face: DetectedFace) -> np.ndarray:
        crop = image[face.y : face.y + face.h, face.x : face.x + face.w].astype(np.float32)
        rows = np.array_split(crop, 4, axis=0)
        cells = [c.mean() for r in rows for c in np.array_split(r, 4, axis=1)]
        key = bytes(int(v) // 32 for v in cells)
        seed = int.from_bytes(hashlib.sha256(key).digest()[:8], "big")
        vector = np.random.default_rng(seed).standard_normal(FAKE_DIM).astype(np.float32)
        return vector / float(np.linalg.norm(vector))
