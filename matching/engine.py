"""The only module that talks to DeepFace and dlib.

Everything else in Reunite sees `FaceEngine`: detect faces in an RGB image, and turn one
detected face into an L2-normalised embedding. Swapping the model touches this file only.
"""

from __future__ import annotations

import importlib.metadata
import os
import shutil
import threading
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
from django.conf import settings

# dlib's ResNet was trained on 150x150 chips aligned on 5 landmarks with 25% padding.
DLIB_CHIP_SIZE = 150
DLIB_CHIP_PADDING = 0.25
DLIB_WEIGHT_FILES = (
    "dlib_face_recognition_resnet_model_v1.dat",
    "shape_predictor_5_face_landmarks.dat",
)


@dataclass(frozen=True)
class DetectedFace:
    """A face box in the coordinates of the image it was found in."""

    x: int
    y: int
    w: int
    h: int
    score: float

    def distance_to_centre(self, width: int, height: int) -> float:
        cx, cy = self.x + self.w / 2, self.y + self.h / 2
        return float(np.hypot(cx - width / 2, cy - height / 2))


class ModelUnavailable(RuntimeError):
    """The model's weights are not on this machine. Reunite never downloads them."""


def _weights_dir() -> Path:
    return Path(settings.DEEPFACE_HOME) / ".deepface" / "weights"


def weights_install() -> Path:
    """Place the Dlib weights from `face_recognition_models` where DeepFace looks for them.

    DeepFace downloads any weight file it cannot find; putting ours there first means it
    never tries.
    """
    import face_recognition_models

    source = Path(face_recognition_models.__file__).parent / "models"
    target = _weights_dir()
    target.mkdir(parents=True, exist_ok=True)
    for name in DLIB_WEIGHT_FILES:
        if not (target / name).is_file():
            tmp = target / f".{name}.tmp"
            shutil.copyfile(source / name, tmp)
            os.replace(tmp, target / name)
    os.environ["DEEPFACE_HOME"] = str(settings.DEEPFACE_HOME)
    return target


class FaceEngine:
    """Detects faces with dlib's HOG detector and embeds them with a DeepFace model."""

    def __init__(self, model_name: str) -> None:
        self.model_name = model_name
        self._lock = threading.Lock()
        self._loaded = False

    @property
    def model_version(self) -> str:
        deepface_version = importlib.metadata.version("deepface")
        if self.model_name == "Dlib":
            weights = importlib.metadata.version("face_recognition_models")
            return (
                f"dlib_face_recognition_resnet_model_v1"
                f"+face_recognition_models-{weights}+deepface-{deepface_version}"
            )
        return f"{self.model_name}+deepface-{deepface_version}"

    def _load(self) -> None:
        with self._lock:
            if self._loaded:
                return
            weights_dir = weights_install()
            if self.model_name != "Dlib":
                self._check_operator_weights(weights_dir)
            from deepface import DeepFace

            detector = DeepFace.build_model(task="face_detector", model_name="dlib")
            self._hog = detector.model["face_detector"]
            self._shape_predictor = detector.model["sp"]
            self._recogniser = DeepFace.build_model(
                task="facial_recognition", model_name=self.model_name
            )
            self._loaded = True

    def _check_operator_weights(self, weights_dir: Path) -> None:
        # Other models are allowed only when the operator has put their weights in place.
        if not any(p.is_file() for p in weights_dir.iterdir() if p.name not in DLIB_WEIGHT_FILES):
            raise ModelUnavailable(
                f"No weights for {self.model_name} in {weights_dir}; Reunite never downloads them."
            )

    def detect(self, image: np.ndarray) -> list[DetectedFace]:
        """Find faces in an RGB uint8 image. Large images are searched on a smaller copy."""
        import dlib

        self._load()
        height, width = image.shape[:2]
        scale = min(1.0, settings.DETECT_MAX_SIDE / max(height, width))
        small = image
        if scale < 1.0:
            small = _resize(image, round(width * scale), round(height * scale))
        # Upsampling finds small faces in small photos; on big photos it only costs time.
        upsample = 1 if max(small.shape[:2]) <= 640 else 0
        rects, scores, _ = self._hog.run(small, upsample, 0.0)
        faces = []
        for rect, score in zip(rects, scores, strict=True):
            rect = dlib.rectangle(
                int(rect.left() / scale),
                int(rect.top() / scale),
                int(rect.right() / scale),
                int(rect.bottom() / scale),
            )
            x, y = max(0, rect.left()), max(0, rect.top())
            w = min(rect.right(), width) - x
            h = min(rect.bottom(), height) - y
            if w > 0 and h > 0:
                faces.append(DetectedFace(x=x, y=y, w=w, h=h, score=float(score)))
        return faces

    def embed(self, image: np.ndarray, face: DetectedFace) -> np.ndarray:
        """Return the L2-normalised float32 embedding of one face of an RGB uint8 image."""
        import dlib

        self._load()
        rect = dlib.rectangle(face.x, face.y, face.x + face.w, face.y + face.h)
        if self.model_name == "Dlib":
            shape = self._shape_predictor(image, rect)
            chip = dlib.get_face_chip(image, shape, size=DLIB_CHIP_SIZE, padding=DLIB_CHIP_PADDING)
            vector = self._recogniser.forward(chip[:, :, ::-1])  # DeepFace expects BGR
        else:
            crop = image[face.y : face.y + face.h, face.x : face.x + face.w]
            target_h, target_w = self._recogniser.input_shape
            resized = _resize(crop, target_w, target_h)[:, :, ::-1].astype(np.float32) / 255.0
            vector = self._recogniser.forward(resized[np.newaxis])
        embedding = np.asarray(vector, dtype=np.float32).reshape(-1)
        return embedding / max(float(np.linalg.norm(embedding)), 1e-12)


def _resize(image: np.ndarray, width: int, height: int) -> np.ndarray:
    import cv2

    return cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA)


@cache
def face_engine() -> FaceEngine:
    """The engine for the configured model, loaded once per process."""
    return FaceEngine(settings.FACE_MODEL)
