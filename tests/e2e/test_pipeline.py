"""Intake to candidate with real photos, the real model, FAISS, and a real Celery worker."""

from __future__ import annotations

import pytest

from cases.models import Photo
from cases.records.services import PhotoUpload, case_create, report_create
from matching.candidates.search import embedding_index_and_search
from matching.faces.processing import photo_process
from matching.models import Candidate, CandidatePair, Embedding
from tests.support.data import CASE_FIELDS, REPORT_FIELDS, image_bytes
from tests.support.waiting import wait_for, wait_until_done

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("real_engine")]

DONE = {Photo.Status.READY, Photo.Status.REJECTED, Photo.Status.NEEDS_FACE_SELECTION}


def _photos_left() -> int:
    return Photo.objects.exclude(status__in=DONE).count()


def _work_left() -> int:
    """Photos still to process, plus embeddings still to search."""
    return _photos_left() + Embedding.objects.filter(searched_at__isnull=True).count()


def _case(user, data: bytes):
    return case_create(user=user, photos=[PhotoUpload(data=data)], **CASE_FIELDS)


def test_same_child_gives_a_candidate_and_fifty_others_give_none(
    pipeline, caseworker, partner, same_person_pair, distractor_photos
):
    case = _case(caseworker, same_person_pair[0].read_bytes())
    others = [_case(caseworker, p.read_bytes()) for p in distractor_photos[:50]]
    report, _ = report_create(
        user=partner,
        external_ref="E2E-1",
        **REPORT_FIELDS,
        photos=[PhotoUpload(data=same_person_pair[1].read_bytes())],
    )

    wait_until_done(_work_left, what="processing and searching every photo")
    wait_for(lambda: Candidate.objects.filter(case=case).exists(), timeout=30, what="the candidate")

    candidate = Candidate.objects.get(case=case)
    assert candidate.found_report_id == report.pk
    assert candidate.best_score >= candidate.threshold
    false_candidates = Candidate.objects.filter(case__in=others)
    ready = Photo.objects.filter(case__in=others, status=Photo.Status.READY).count()
    print(
        f"\n50 other cases ({ready} with a usable face): "
        f"{false_candidates.count()} false candidates above {candidate.threshold}"
    )
    assert ready >= 45
    assert false_candidates.count() == 0


def test_a_worker_on_another_machine_embeds_photos_from_object_storage(
    s3_photo_storage, pipeline, caseworker, partner, same_person_pair, tmp_path
):
    # The worker shares no folder with this process: only PostgreSQL, Redis and the bucket.
    case = _case(caseworker, same_person_pair[0].read_bytes())
    report, _ = report_create(
        user=partner,
        external_ref="E2E-S3",
        **REPORT_FIELDS,
        photos=[PhotoUpload(data=same_person_pair[1].read_bytes())],
    )

    wait_until_done(_work_left, what="processing and searching both photos")
    wait_for(lambda: Candidate.objects.filter(case=case).exists(), timeout=30, what="the candidate")
    assert Candidate.objects.get(case=case).found_report_id == report.pk
    assert not list((tmp_path / "another-machine").rglob("*.enc"))


def test_photo_without_a_face_ends_rejected(pipeline, caseworker):
    case = _case(caseworker, image_bytes(size=(400, 300), color="skyblue"))
    wait_until_done(_photos_left, what="processing")
    photo = case.photos.get()
    assert photo.status == Photo.Status.REJECTED
    assert photo.rejection_reason.startswith("No face found")


def test_couple_photo_needs_face_selection(pipeline, caseworker, faces_dir):
    case = _case(caseworker, (faces_dir / "deepface" / "couple.jpg").read_bytes())
    wait_until_done(_photos_left, what="processing")
    assert case.photos.get().status == Photo.Status.NEEDS_FACE_SELECTION


def test_killing_the_worker_mid_photo_loses_nothing(pipeline, caseworker, faces_dir):
    if pipeline is None:
        pytest.skip("Needs a real worker: set REDIS_URL (make test does).")
    big = sorted((faces_dir / "deepface").glob("img*.jpg"))[:6]
    cases = [_case(caseworker, p.read_bytes()) for p in big]

    wait_for(
        lambda: Photo.objects.filter(status=Photo.Status.PROCESSING).exists(),
        timeout=60,
        what="a photo in processing",
    )
    pipeline.kill()
    in_flight = list(Photo.objects.filter(status=Photo.Status.PROCESSING))
    assert in_flight, "the worker finished before it could be killed"

    pipeline.start()  # recovery takes back photos whose lease ran out
    # The first photos wait for their lease to run out before a worker takes them back.
    wait_until_done(
        _work_left,
        stall=90 + pipeline.lease_seconds,
        what="every photo to end ready or rejected",
    )

    for case in cases:
        assert case.photos.get().status in DONE
    counts = (Embedding.objects.count(), CandidatePair.objects.count())
    # Running every task again by hand changes nothing.
    for photo in Photo.objects.all():
        photo_process(photo_id=photo.pk)
    for embedding in Embedding.objects.all():
        embedding_index_and_search(embedding_id=embedding.pk)
    assert (Embedding.objects.count(), CandidatePair.objects.count()) == counts
    assert Embedding.objects.filter(face__photo__in=in_flight).count() <= len(in_flight)
