"""Flip averaging and the CNN detector fallback, on real photos."""

import numpy as np
import pytest

from cases.records.images import photo_normalise, photo_pixels
from matching.engine import face_engine
from matching.evaluation import photo_embed

# HOG finds no face in this development-set photo; dlib's CNN detector does.
HOG_MISS = "lfw-dev/Jon_Stewart/Jon_Stewart_0001.jpg"


def _pixels(path) -> np.ndarray:
    return photo_pixels(jpeg=photo_normalise(data=path.read_bytes()).jpeg)


def test_cnn_detector_finds_the_face_hog_misses(faces_dir):
    pixels = _pixels(faces_dir / HOG_MISS)
    engine = face_engine()
    assert engine.detect(pixels, cnn_fallback=False) == []
    (face,) = engine.detect(pixels, cnn_fallback=True)
    assert face.detector == "cnn" and face.w >= 40
    # The box is on the face, near the middle of this portrait.
    height, width = pixels.shape[:2]
    assert face.distance_to_centre(width, height) < width / 4


def test_flip_averaged_embedding_is_normalised_and_close_to_the_plain_one(same_person_pair):
    pixels = _pixels(same_person_pair[0])
    engine = face_engine()
    (face, *_) = engine.detect(pixels)
    plain = engine.embed(pixels, face, flip=False)
    flipped = engine.embed(pixels, face, flip=True)
    assert np.linalg.norm(flipped) == pytest.approx(1, abs=1e-5)
    assert 0.95 < float(plain @ flipped) < 1.0


def test_evaluation_embeds_exactly_like_the_product(same_person_pair, settings):
    settings.EMBED_FLIP = True
    settings.EMBED_JITTERS = 0
    result = photo_embed(path=same_person_pair[0])
    found, plain, flipped, detector = (result[k] for k in ("found", "plain", "flipped", "detector"))
    pixels = _pixels(same_person_pair[0])
    engine = face_engine()
    (face,) = engine.detect(pixels)
    product = engine.embed(pixels, face)
    jittered = engine.embed(pixels, face, jitters=4)
    assert 0.95 < float(product @ jittered) < 1.0
    # dlib's jitter is random: the same photo embeds slightly differently each time.
    assert float(jittered @ engine.embed(pixels, face, jitters=4)) > 0.99
    mine = (plain + flipped) / np.linalg.norm(plain + flipped)
    assert found and detector == "hog"
    assert float(product @ mine) == pytest.approx(1.0, abs=1e-5)
