"""The face engine, behind a small port (`base.FaceEngine`).

`engine_for_profile()` gives the engine that makes a profile's space (the active one is
`matching.spaces.active.face_engine()`); everything outside this package sees only
`FaceEngine`, `DetectedFace` and `ModelInfo`.
"""

from __future__ import annotations

import threading

from django.conf import settings

from matching.engine.base import DetectedFace, FaceEngine, ModelInfo, model_scores, normalise
from matching.engine.deepface_engine import DeepFaceEngine, SpaceSpec
from matching.engine.fake import FakeEngine
from matching.engine.weights import ModelUnavailable, weights_install

__all__ = [
    "DetectedFace",
    "FaceEngine",
    "ModelInfo",
    "ModelUnavailable",
    "engine_for_profile",
    "model_scores",
    "normalise",
    "weights_install",
]

_engines: dict[str, FaceEngine] = {}
_lock = threading.Lock()


def engine_for_profile(profile_data: dict) -> FaceEngine:
    """The engine that makes the vectors a calibration profile was measured on."""
    if settings.FACE_ENGINE == "fake":
        return FakeEngine()
    spec = SpaceSpec.from_profile(profile_data)
    key = repr(spec)
    with _lock:
        if key not in _engines:
            _engines[key] = DeepFaceEngine(spec)
        return _engines[key]
