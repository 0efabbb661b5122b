"""The embedded default: an upload answers at once and its photo is processed afterwards."""

from __future__ import annotations

import threading

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from cases.models import Photo
from tests.factories import MissingCaseFactory
from tests.support.data import textured_photo

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def gate(monkeypatch):
    """Hold photo processing until the test opens the gate; record which thread ran it."""
    from matching.faces import processing

    opened, threads = threading.Event(), []
    real = processing.photo_process

    def held(*, photo_id: int) -> None:
        threads.append(threading.current_thread().name)
        assert opened.wait(60), "the test never opened the gate"
        real(photo_id=photo_id)

    monkeypatch.setattr(processing, "photo_process", held)
    return opened, threads


def test_the_upload_answers_before_the_photo_is_processed(
    client, caseworker, background_tasks, gate
):
    opened, threads = gate
    case = MissingCaseFactory(created_by=caseworker)
    client.force_login(caseworker)
    response = client.post(
        f"/cases/{case.pk}/photos/add/",
        {"photos": [SimpleUploadedFile("a.png", textured_photo(seed=1))]},
    )
    # The request returned while processing is held: the photo is still waiting.
    assert response.status_code == 302
    photo = Photo.objects.get()
    assert photo.status == Photo.Status.PENDING
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert 'data-photo-status="pending"' in page and "data-poll=" in page

    opened.set()
    assert background_tasks(timeout=60)
    photo.refresh_from_db()
    assert photo.status == Photo.Status.READY
    assert threads and threads[0].startswith("reunite-tasks")
    # The page's live fragment now shows the final state and stops polling.
    fragment = client.get(f"/photos/{photo.pk}/status/").content.decode()
    assert 'data-photo-status="ready"' in fragment and "data-poll" not in fragment


def test_a_failing_task_does_not_stop_the_thread(background_tasks):
    from reunite.kernel.tasks import task_send

    ran = []

    def boom() -> None:
        raise RuntimeError("a task failed")

    task_send(boom)
    task_send(lambda: ran.append(threading.current_thread().name))
    assert background_tasks(timeout=10)
    assert ran and ran[0].startswith("reunite-tasks")


def test_without_the_background_switch_tasks_run_in_the_request(settings):
    from reunite.kernel.tasks import task_send

    settings.TASKS_IN_BACKGROUND = False
    ran = []
    task_send(lambda: ran.append(threading.current_thread()))
    assert ran == [threading.current_thread()]


def test_the_first_request_requeues_photos_a_stopped_process_left_waiting(
    caseworker, background_tasks
):
    import datetime as dt

    from django.utils import timezone

    from matching.receivers import embedded_photos_recover
    from tests.support.faces import ready_photo_with_embedding

    # A photo stored before the process stopped, never processed.
    photo = ready_photo_with_embedding(user=caseworker, seed=4).photo
    photo.faces.all().delete()
    Photo.objects.filter(pk=photo.pk).update(
        status=Photo.Status.PENDING, created_at=timezone.now() - dt.timedelta(minutes=5)
    )
    embedded_photos_recover()
    assert background_tasks(timeout=60)
    photo.refresh_from_db()
    assert photo.status != Photo.Status.PENDING
