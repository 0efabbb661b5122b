"""Detector fallbacks and mirror averaging, on real photos."""

import numpy as np
import pytest

from cases.records.images import photo_normalise, photo_pixels
from matching.engine.deepface_engine import DeepFaceEngine, SpaceSpec
from matching.evaluation.datasets import Embedded, photo_embed, profile_space, space_embeddings
from matching.spaces.active import face_engine
from matching.spaces.calibration import profile_active

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("real_engine")]

# HOG finds no face in this development-set photo; dlib's CNN detector does.
HOG_MISS = "lfw-dev/Jon_Stewart/Jon_Stewart_0001.jpg"


def _pixels(path) -> np.ndarray:
    return photo_pixels(jpeg=photo_normalise(data=path.read_bytes()).jpeg)


def test_when_yunet_and_hog_find_nothing_the_cnn_detector_does(faces_dir, monkeypatch):
    pixels = _pixels(faces_dir / HOG_MISS)
    engine = face_engine()
    monkeypatch.setattr(engine, "_detect_yunet", lambda image: [])
    assert engine.detect(pixels, cnn_fallback=False) == []
    (face,) = engine.detect(pixels, cnn_fallback=True)
    assert face.detector == "cnn" and face.w >= 40
    height, width = pixels.shape[:2]
    assert face.distance_to_centre(width, height) < width / 4
    # A box without landmarks (dlib's, or one a person drew) is still aligned and embedded.
    vector = engine.embed(pixels, face)
    assert np.linalg.norm(vector) == pytest.approx(1, abs=1e-5)


def test_yunet_gives_five_landmarks_inside_the_box(same_person_pair):
    pixels = _pixels(same_person_pair[0])
    (face, *_) = face_engine().detect(pixels)
    assert face.detector == "yunet" and len(face.landmarks) == 5
    for x, y in face.landmarks:
        assert face.x <= x <= face.x + face.w and face.y <= y <= face.y + face.h


def test_a_stored_box_is_realigned_like_the_detected_face(same_person_pair):
    from dataclasses import replace

    pixels = _pixels(same_person_pair[0])
    engine = face_engine()
    (face, *_) = engine.detect(pixels)
    stored = replace(face, landmarks=None)  # what a Face row gives back
    assert float(engine.embed(pixels, face) @ engine.embed(pixels, stored)) > 0.98


def test_mirror_averaged_embedding_is_normalised_and_close_to_the_plain_one(same_person_pair):
    pixels = _pixels(same_person_pair[0])
    plain = DeepFaceEngine(SpaceSpec(name="p", weights=(("SFace", 1.0),)))
    mirrored = DeepFaceEngine(SpaceSpec(name="m", weights=(("SFace", 1.0),), flip=True))
    (face, *_) = plain.detect(pixels)
    a, b = plain.embed(pixels, face), mirrored.embed(pixels, face)
    assert np.linalg.norm(b) == pytest.approx(1, abs=1e-5)
    assert 0.9 < float(a @ b) < 1.0


def test_evaluation_embeds_exactly_like_the_product(same_person_pair):
    result = photo_embed(path=same_person_pair[0])
    assert result["found"] and result["detector"] == "yunet"
    embedded = Embedded(
        found=np.ones(1, bool),
        emb=np.zeros((1, 1), np.float32),
        detector=np.array([result["detector"]]),
        descriptors={
            k: result[k][None, :] for k in ("sface", "sface_flipped", "dlib", "dlib_flipped")
        },
    )
    _, mine = space_embeddings(embedded=embedded, **profile_space(data=profile_active().data))
    pixels = _pixels(same_person_pair[0])
    engine = face_engine()
    (face,) = engine.detect(pixels)
    product = engine.embed(pixels, face)
    assert float(product @ mine[0]) == pytest.approx(1.0, abs=1e-5)


def test_dlib_jitter_stays_close_to_the_plain_descriptor(same_person_pair):
    pixels = _pixels(same_person_pair[0])
    engine = DeepFaceEngine(SpaceSpec(name="d", weights=(("Dlib", 1.0),)))
    jittered = DeepFaceEngine(SpaceSpec(name="j", weights=(("Dlib", 1.0),), jitters=4))
    (face, *_) = engine.detect(pixels)
    plain = engine.embed(pixels, face)
    assert 0.95 < float(plain @ jittered.embed(pixels, face)) < 1.0
