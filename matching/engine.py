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
# dlib's CNN (MMOD) detector, tried only when HOG finds nothing: slower, but finds turned
# and badly lit faces HOG misses. It ships in face_recognition_models too.
MMOD_WEIGHT_FILE = "mmod_human_face_detector.dat"
# The CNN detector runs on a copy at most this long on its long side (CPU cost grows with area).
MMOD_MAX_SIDE = 640


@dataclass(frozen=True)
class DetectedFace:
    """A face box in the coordinates of the image it was found in."""

    x: int
    y: int
    w: int
    h: int
    score: float
    detector: str = "hog"

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
        self._mmod = None

    @property
    def model_version(self) -> str:
        deepface_version = importlib.metadata.version("deepface")
        # Flip-averaged descriptors differ slightly from plain ones: record which.
        options = "+flip" if settings.EMBED_FLIP else ""
        if settings.EMBED_JITTERS and self.model_name == "Dlib":
            options += f"+jitter{settings.EMBED_JITTERS}"
        if self.model_name == "Dlib":
            weights = importlib.metadata.version("face_recognition_models")
            return (
                f"dlib_face_recognition_resnet_model_v1"
                f"+face_recognition_models-{weights}+deepface-{deepface_version}{options}"
            )
        return f"{self.model_name}+deepface-{deepface_version}{options}"

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

    def detect(self, image: np.ndarray, *, cnn_fallback: bool | None = None) -> list[DetectedFace]:
        """Find faces in an RGB uint8 image. Large images are searched on a smaller copy.

        HOG first; when it finds nothing and the fallback is on, dlib's CNN detector.
        """
        if cnn_fallback is None:
            cnn_fallback = settings.DETECT_CNN_FALLBACK
        faces = self._detect_hog(image)
        if not faces and cnn_fallback:
            faces = self._detect_cnn(image)
        return faces

    def _detect_hog(self, image: np.ndarray) -> list[DetectedFace]:
        self._load()
        height, width = image.shape[:2]
        scale = min(1.0, settings.DETECT_MAX_SIDE / max(height, width))
        small = image
        if scale < 1.0:
            small = _resize(image, round(width * scale), round(height * scale))
        # Upsampling finds small faces in small photos; on big photos it only costs time.
        upsample = 1 if max(small.shape[:2]) <= 640 else 0
        rects, scores, _ = self._hog.run(small, upsample, 0.0)
        return _boxes(rects, scores, scale=scale, width=width, height=height, detector="hog")

    def _detect_cnn(self, image: np.ndarray) -> list[DetectedFace]:
        self._load()
        height, width = image.shape[:2]
        scale = min(1.0, MMOD_MAX_SIDE / max(height, width))
        small = image
        if scale < 1.0:
            small = _resize(image, round(width * scale), round(height * scale))
        upsample = 1 if max(small.shape[:2]) <= 320 else 0
        detections = self._mmod_detector()(small, upsample)
        rects = [d.rect for d in detections]
        scores = [d.confidence for d in detections]
        return _boxes(rects, scores, scale=scale, width=width, height=height, detector="cnn")

    def _mmod_detector(self):  # type: ignore[no-untyped-def]
        import dlib
        import face_recognition_models

        with self._lock:
            if self._mmod is None:
                path = Path(face_recognition_models.__file__).parent / "models" / MMOD_WEIGHT_FILE
                self._mmod = dlib.cnn_face_detection_model_v1(str(path))
            return self._mmod

    def embed(
        self,
        image: np.ndarray,
        face: DetectedFace,
        *,
        flip: bool | None = None,
        jitters: int | None = None,
    ) -> np.ndarray:
        """Return the L2-normalised float32 embedding of one face of an RGB uint8 image.

        With `flip` (default REUNITE_EMBED_FLIP) the mirrored chip's descriptor is averaged
        in; with `jitters` > 0 (default REUNITE_EMBED_JITTERS, Dlib only) each descriptor is
        dlib's average over that many randomly shifted, rotated and scaled copies.
        """
        flip = settings.EMBED_FLIP if flip is None else flip
        jitters = settings.EMBED_JITTERS if jitters is None else jitters
        if self.model_name == "Dlib":
            rows = self.chip_descriptors(self.aligned_chip(image, face), flip=flip, jitters=jitters)
        else:
            rows = self._crop_descriptors(image, face, flip=flip)
        return _normalise(rows.mean(axis=0))

    def aligned_chip(self, image: np.ndarray, face: DetectedFace) -> np.ndarray:
        """The 150x150 RGB chip aligned on dlib's 5 landmarks, as the Dlib ResNet was trained."""
        import dlib

        self._load()
        rect = dlib.rectangle(face.x, face.y, face.x + face.w, face.y + face.h)
        shape = self._shape_predictor(image, rect)
        return dlib.get_face_chip(image, shape, size=DLIB_CHIP_SIZE, padding=DLIB_CHIP_PADDING)

    def chip_descriptors(self, chip: np.ndarray, *, flip: bool, jitters: int = 0) -> np.ndarray:
        """Raw Dlib descriptors of an aligned chip: one row, and one more for its mirror image."""
        self._load()
        chips = [chip, chip[:, ::-1]] if flip else [chip]
        if jitters > 0:
            # dlib's own jitter on the model DeepFace built; DeepFace's forward has no jitter
            # option. dlib's generator advances per call, so repeats differ very slightly.
            network = self._recogniser.model.model
            vectors = [
                network.compute_face_descriptor(np.ascontiguousarray(c), jitters) for c in chips
            ]
        else:
            # DeepFace expects BGR; one forward pass for the whole batch.
            batch = np.ascontiguousarray(np.stack(chips)[:, :, :, ::-1])
            vectors = self._recogniser.forward(batch)
        return np.asarray(vectors, dtype=np.float32).reshape(len(chips), -1)

    def _crop_descriptors(self, image: np.ndarray, face: DetectedFace, *, flip: bool) -> np.ndarray:
        self._load()
        crop = image[face.y : face.y + face.h, face.x : face.x + face.w]
        target_h, target_w = self._recogniser.input_shape
        resized = _resize(crop, target_w, target_h)[:, :, ::-1].astype(np.float32) / 255.0
        batch = np.stack([resized, resized[:, ::-1]] if flip else [resized])
        vectors = self._recogniser.forward(batch)
        return np.asarray(vectors, dtype=np.float32).reshape(len(batch), -1)


def _normalise(vector: np.ndarray) -> np.ndarray:
    vector = np.asarray(vector, dtype=np.float32).reshape(-1)
    return vector / max(float(np.linalg.norm(vector)), 1e-12)


def _boxes(
    rects: list, scores: list, *, scale: float, width: int, height: int, detector: str
) -> list[DetectedFace]:
    """Detector rectangles on the small copy -> boxes clipped to the full image."""
    faces = []
    for rect, score in zip(rects, scores, strict=True):
        left, top = int(rect.left() / scale), int(rect.top() / scale)
        right, bottom = int(rect.right() / scale), int(rect.bottom() / scale)
        x, y = max(0, left), max(0, top)
        w = min(right, width) - x
        h = min(bottom, height) - y
        if w > 0 and h > 0:
            faces.append(DetectedFace(x=x, y=y, w=w, h=h, score=float(score), detector=detector))
    return faces


def _resize(image: np.ndarray, width: int, height: int) -> np.ndarray:
    import cv2

    return cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA)


@cache
def face_engine() -> FaceEngine:
    """The engine for the configured model, loaded once per process."""
    return FaceEngine(settings.FACE_MODEL)
