import numpy as np
import pytest

from matching.generations import generation_active
from matching.index import FaceIndex, index_forget_cache, index_get
from tests.support.faces import ready_photo_with_embedding

pytestmark = pytest.mark.django_db


def _unit(rng: np.random.Generator, n: int) -> np.ndarray:
    v = rng.normal(size=(n, 128)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def test_add_search_remove_and_persist(tmp_path):
    rng = np.random.default_rng(0)
    vectors = _unit(rng, 20)
    index = FaceIndex(dim=128, path=tmp_path / "case.faiss")
    index.add(ids=range(100, 120), vectors=vectors)

    hits = index.search(vector=vectors[3], k=5)
    assert hits[0].face_id == 103
    assert hits[0].score == pytest.approx(1.0, abs=1e-5)

    assert index.remove(ids=[103]) == 1
    assert 103 not in {h.face_id for h in index.search(vector=vectors[3], k=5)}

    index.save()
    reloaded = FaceIndex(dim=128, path=tmp_path / "case.faiss")
    assert reloaded.load()
    assert reloaded.ids() == set(range(100, 120)) - {103}
    assert not list(tmp_path.glob("*.tmp"))


def test_corrupt_index_file_is_rebuilt_from_the_database(settings, caseworker):
    face = ready_photo_with_embedding(user=caseworker, seed=1)
    space = generation_active().space
    path = settings.FACE_INDEX_DIR / space / "case.faiss"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"garbage")

    index = index_get(model_name=space, side="case", dim=128)

    assert index.ids() == {face.pk}
    assert FaceIndex(dim=128, path=path).load()


def test_stale_index_catches_up_and_drops_removed_faces(settings, caseworker):
    first = ready_photo_with_embedding(user=caseworker, seed=1)
    space = generation_active().space
    index_get(model_name=space, side="case", dim=128)
    index_forget_cache()
    second = ready_photo_with_embedding(user=caseworker, seed=2)
    first.photo.delete()

    index = index_get(model_name=space, side="case", dim=128)

    assert index.ids() == {second.pk}
