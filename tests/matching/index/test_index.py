import json
import os
import signal
import subprocess
import time

import numpy as np
import pytest

from matching import tasks
from matching.candidates.search import embedding_index_and_search
from matching.index.shortlist import index_search, index_search_two
from matching.index.store import (
    APPROXIMATE,
    OLD_MAGICS,
    SCAN_MIN,
    FaceIndex,
    IndexSpec,
    index_spec_choose,
)
from matching.index.sync import index_forget_cache, index_get, index_snapshot, index_writer_lock
from matching.spaces.active import space_active
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
    space = space_active().name
    path = settings.FACE_INDEX_DIR / space / "case.faiss"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"garbage")

    index = index_get(space=space, side="case", dim=128)

    assert index.ids() == {face.pk}
    assert FaceIndex(dim=128, path=path).load()


def test_stale_index_catches_up_and_drops_removed_faces(settings, caseworker):
    first = ready_photo_with_embedding(user=caseworker, seed=1)
    space = space_active().name
    index_get(space=space, side="case", dim=128)
    index_forget_cache()
    second = ready_photo_with_embedding(user=caseworker, seed=2)
    first.photo.delete()

    index = index_get(space=space, side="case", dim=128)

    assert index.ids() == {second.pk}


def test_indexing_a_photo_does_not_rewrite_the_index_file(settings, caseworker):
    ready_photo_with_embedding(user=caseworker, seed=1)
    space = space_active().name
    index_get(space=space, side="case", dim=128)
    path = settings.FACE_INDEX_DIR / space / "case.faiss"
    written = path.stat().st_mtime_ns, path.stat().st_ino
    face = ready_photo_with_embedding(user=caseworker, seed=2)

    embedding_index_and_search(embedding_id=face.embeddings.get().pk)

    assert (path.stat().st_mtime_ns, path.stat().st_ino) == written
    assert face.pk in index_get(space=space, side="case", dim=128)


def test_a_crash_between_snapshots_loses_no_face(settings, caseworker):
    space = space_active().name
    for side in ("case", "report"):
        index_get(space=space, side=side, dim=128)
    face = ready_photo_with_embedding(user=caseworker, seed=3)
    embedding_index_and_search(embedding_id=face.embeddings.get().pk)
    path = settings.FACE_INDEX_DIR / space / "case.faiss"
    on_disk = FaceIndex(dim=128, path=path)
    assert on_disk.load() and face.pk not in on_disk.ids()  # no snapshot was due

    index_forget_cache()  # the process dies with its index in memory

    hits = index_get(space=space, side="case", dim=128).search(
        vector=face.embeddings.get().as_array(), k=1
    )
    assert hits[0].face_id == face.pk and hits[0].score == pytest.approx(1.0, abs=1e-5)


def test_snapshot_files_left_by_a_killed_writer_are_removed_when_the_index_loads(settings):
    space = space_active().name
    directory = settings.FACE_INDEX_DIR / space
    directory.mkdir(parents=True, exist_ok=True)
    killed = subprocess.Popen(["sleep", "60"])
    (directory / f"report.{killed.pid}.tmp").write_bytes(b"half a snapshot")
    killed.send_signal(signal.SIGKILL)  # SIGKILL mid-snapshot: the rename never happens
    killed.wait()
    (directory / f"report.{os.getpid()}.tmp").write_bytes(b"an earlier life of this pid")
    writing = subprocess.Popen(["sleep", "60"])  # another process, writing right now
    (directory / f"report.{writing.pid}.tmp").write_bytes(b"being written")
    try:
        index_get(space=space, side="report", dim=128)
        assert sorted(p.name for p in directory.glob("*.tmp")) == [f"report.{writing.pid}.tmp"]
    finally:
        writing.kill()
        writing.wait()


def test_a_cached_index_catches_up_with_rows_another_process_wrote(caseworker):
    space = space_active().name
    index = index_get(space=space, side="case", dim=128)
    face = ready_photo_with_embedding(user=caseworker, seed=4)  # indexed by no one here

    again = index_get(space=space, side="case", dim=128)

    assert again is index and face.pk in again


def test_a_row_committed_late_below_the_log_position_is_still_added(caseworker):
    space = space_active().name
    early = ready_photo_with_embedding(user=caseworker, seed=5)
    late = ready_photo_with_embedding(user=caseworker, seed=6)
    index = index_get(space=space, side="case", dim=128)
    index.remove(ids=[early.pk])
    # As if `early`'s transaction were still open when `late` was read.
    index.log_pk = late.embeddings.get().pk
    index.log_gaps = {early.embeddings.get().pk: time.monotonic()}

    index_get(space=space, side="case", dim=128)

    assert early.pk in index and not index.log_gaps


def test_snapshot_every_n_changes_and_on_worker_shutdown(settings, caseworker):
    settings.FACE_INDEX_SNAPSHOT_EVERY = 2
    space = space_active().name
    path = settings.FACE_INDEX_DIR / space / "case.faiss"
    for side in ("case", "report"):
        index_get(space=space, side=side, dim=128)
    on_disk = FaceIndex(dim=128, path=path)
    faces = []

    for seed in (7, 8):
        faces.append(ready_photo_with_embedding(user=caseworker, seed=seed))
        embedding_index_and_search(embedding_id=faces[-1].embeddings.get().pk)
        assert on_disk.load() and len(on_disk.ids()) == 2 * (seed - 7)
    faces.append(ready_photo_with_embedding(user=caseworker, seed=9))
    embedding_index_and_search(embedding_id=faces[-1].embeddings.get().pk)
    assert on_disk.load() and on_disk.ids() == {faces[0].pk, faces[1].pk}

    tasks._index_snapshot_on_shutdown()
    assert on_disk.load() and on_disk.ids() == {f.pk for f in faces}


def test_a_large_gallery_gets_an_approximate_index_with_exact_scores(settings, caseworker):
    settings.FACE_INDEX_EXACT_MAX = 20
    faces = [ready_photo_with_embedding(user=caseworker, seed=s) for s in range(40)]
    space = space_active().name

    index = index_get(space=space, side="case", dim=128)

    assert index.spec.kind == APPROXIMATE and index.spec.nlist >= 4
    with open(settings.FACE_INDEX_DIR / space / "case.faiss", "rb") as handle:
        handle.readline()
        assert json.loads(handle.readline())["spec"]["kind"] == APPROXIMATE
    query = faces[7].embeddings.get().as_array()
    hits = index_search(index=index, space=space, side="case", vector=query, k=5)
    vectors = {f.pk: f.embeddings.get().as_array() for f in faces}
    assert hits[0].face_id == faces[7].pk
    for hit in hits:
        assert hit.score == pytest.approx(float(vectors[hit.face_id] @ query), abs=1e-6)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_the_index_type_follows_the_gallery_size():
    small = index_spec_choose(size=1000)
    large = index_spec_choose(size=20_000_000)
    assert small.exact
    assert large.kind == APPROXIMATE and large.nlist > 0 and large.gallery == 20_000_000


def test_the_shortlist_grows_as_the_square_root_of_the_gallery(settings):
    settings.FACE_INDEX_SCAN = 5_000
    assert index_spec_choose(size=1_000_000).scan == 5_000
    assert index_spec_choose(size=4_000_000).scan == 10_000
    assert index_spec_choose(size=20_000_000).scan == 22_361
    assert index_spec_choose(size=200_000).scan == SCAN_MIN


def test_a_floor_leaves_out_only_faces_under_it(settings, caseworker, django_assert_num_queries):
    settings.FACE_INDEX_EXACT_MAX = 20
    faces = [ready_photo_with_embedding(user=caseworker, seed=s) for s in range(40)]
    space = space_active().name
    index = index_get(space=space, side="case", dim=128)
    query = faces[5].embeddings.get().as_array()
    every = index_search(index=index, space=space, side="case", vector=query, k=10)
    floor = every[2].score - 1e-4

    above = index_search(index=index, space=space, side="case", vector=query, k=10, floor=floor)

    assert [h for h in above if h.score >= floor] == every[:3]
    # Nothing can pass a floor over every estimate: no stored vector is read.
    with django_assert_num_queries(0):
        assert not index_search(
            index=index, space=space, side="case", vector=query, k=10, floor=1.5
        )


def test_an_exact_index_that_outgrows_its_type_is_rebuilt_at_the_snapshot(settings, caseworker):
    settings.FACE_INDEX_EXACT_MAX = 20
    space = space_active().name
    for seed in range(10):
        ready_photo_with_embedding(user=caseworker, seed=seed)
    assert index_get(space=space, side="case", dim=128).spec.exact
    faces = [ready_photo_with_embedding(user=caseworker, seed=s) for s in range(10, 40)]
    index_get(space=space, side="case", dim=128)  # caught up: 40 faces, still exact

    with index_writer_lock(space):
        index_snapshot(space=space, side="case")

    index = index_get(space=space, side="case", dim=128)
    assert index.spec.kind == APPROXIMATE and index.size == 40 and faces[-1].pk in index


@pytest.mark.parametrize(
    ("gallery", "shards"),
    [(300, 1), (3000, 1), (3000, 3)],
    ids=["random-rotation", "learnt-rotation", "three-shards"],
)
def test_the_approximate_index_removes_and_persists_with_its_8_bit_codes(tmp_path, gallery, shards):
    rng = np.random.default_rng(1)
    vectors = _unit(rng, gallery)
    spec = index_spec_choose(size=gallery * 1000)
    spec = IndexSpec(
        kind=APPROXIMATE, nlist=16, nprobe=16, gallery=gallery, scan=spec.scan, shards=shards
    )
    index = FaceIndex(dim=128, path=tmp_path / "case.faiss", spec=spec)
    index.train(vectors=vectors)
    ids = np.arange(gallery, dtype=np.int64) * 2 + 5  # sparse, as one side's face ids are
    index.add(ids=ids, vectors=vectors)

    hits = index.search(vector=vectors[7], k=3)
    assert hits[0].face_id == ids[7] and hits[0].score == pytest.approx(1.0, abs=0.02)

    # The last row moves into the freed one; every other face still scores as itself.
    assert index.remove(ids=[int(ids[7]), int(ids[0])]) == 2
    assert int(ids[7]) not in index and len(index.ids()) == gallery - 2
    for row in (1, gallery - 1, gallery // 2):
        assert index.search(vector=vectors[row], k=1)[0].face_id == ids[row]
    index.save()

    loaded = FaceIndex(dim=128, path=tmp_path / "case.faiss")
    assert loaded.load() and loaded.spec == spec and loaded.ids() == index.ids()
    assert loaded.search(vector=vectors[3], k=1)[0].face_id == ids[3]


def test_a_sharded_index_finds_what_one_shard_finds(settings, caseworker):
    settings.FACE_INDEX_EXACT_MAX = 20
    faces = [ready_photo_with_embedding(user=caseworker, seed=s) for s in range(40)]
    space = space_active().name
    query = faces[9].embeddings.get().as_array()

    def rebuilt_and_searched(shards: int) -> list:
        settings.FACE_INDEX_SHARDS = shards
        index_forget_cache()
        (settings.FACE_INDEX_DIR / space / "case.faiss").unlink(missing_ok=True)
        index = index_get(space=space, side="case", dim=128)
        assert index.spec.shards == shards and index.size == 40
        return index_search(index=index, space=space, side="case", vector=query, k=12)

    three = rebuilt_and_searched(3)
    assert three == rebuilt_and_searched(1)
    assert three[0].face_id == faces[9].pk


def test_a_snapshot_from_before_shards_loads_as_one_shard(tmp_path):
    rng = np.random.default_rng(2)
    vectors = _unit(rng, 300)
    spec = IndexSpec(kind=APPROXIMATE, nlist=8, nprobe=8, gallery=300, scan=SCAN_MIN)
    index = FaceIndex(dim=128, path=tmp_path / "case.faiss", spec=spec)
    index.train(vectors=vectors)
    index.add(ids=range(300), vectors=vectors)
    index.save()
    magic, header, rest = (tmp_path / "case.faiss").read_bytes().split(b"\n", 2)
    meta = json.loads(header)
    del meta["spec"]["shards"]
    (tmp_path / "case.faiss").write_bytes(b"\n".join([magic, json.dumps(meta).encode(), rest]))

    loaded = FaceIndex(dim=128, path=tmp_path / "case.faiss")
    assert loaded.load() and loaded.spec == spec and loaded.spec.shards == 1
    assert loaded.search(vector=vectors[42], k=1)[0].face_id == 42


def test_an_older_approximate_snapshot_is_rebuilt_not_misread(tmp_path):
    path = tmp_path / "case.faiss"
    old = {"spec": {"kind": "ivf-sq8", "nlist": 4, "nprobe": 4, "gallery": 40}, "size": 0}
    path.write_bytes(OLD_MAGICS[0] + json.dumps(old).encode() + b"\n" + b"faiss bytes")

    assert not FaceIndex(dim=128, path=path).load()


def test_two_searches_at_once_give_what_each_gives_alone(settings, caseworker):
    settings.FACE_INDEX_EXACT_MAX = 20
    faces = [ready_photo_with_embedding(user=caseworker, seed=s) for s in range(40)]
    space = space_active().name
    index = index_get(space=space, side="case", dim=128)
    query = faces[3].embeddings.get().as_array()

    both = index_search_two(
        space=space, vector=query, first=(index, "case", 5), second=(index, "case", 8)
    )

    assert index.spec.kind == APPROXIMATE
    assert both == (
        index_search(index=index, space=space, side="case", vector=query, k=5),
        index_search(index=index, space=space, side="case", vector=query, k=8),
    )
