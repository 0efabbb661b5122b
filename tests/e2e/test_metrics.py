"""The worker's timings reach the web's /metrics: with Redis the photo is embedded and indexed
by a separate Celery worker process, and the test process (the web) reads the durations."""

from __future__ import annotations

import pytest

from cases.models import Photo
from cases.records.services import PhotoUpload, case_create
from matching.models import Embedding
from reunite.kernel.timings import durations_forget
from tests.reunite.ops.test_metrics import TOKEN, _scrape, _value
from tests.support.data import CASE_FIELDS
from tests.support.waiting import wait_until_done

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("real_engine")]


def test_a_photo_embedded_by_the_worker_shows_in_the_metrics(
    pipeline, caseworker, same_person_pair, client, settings
):
    settings.METRICS_TOKEN = TOKEN
    if settings.REDIS_URL:
        settings.CELERY_TASK_ALWAYS_EAGER = False  # queue depths come from the broker
    durations_forget()
    case_create(
        user=caseworker, photos=[PhotoUpload(data=same_person_pair[0].read_bytes())], **CASE_FIELDS
    )
    wait_until_done(
        lambda: (
            Photo.objects.exclude(status=Photo.Status.READY).count()
            + Embedding.objects.filter(searched_at__isnull=True).count()
        ),
        what="embedding and indexing the photo",
    )

    samples = _scrape(client)

    assert _value(samples, "reunite_embedding_duration_seconds_count") == 1
    # The real models take a measurable time; the bucket counts add up to the count.
    assert _value(samples, "reunite_embedding_duration_seconds_sum") > 0.01
    assert _value(samples, "reunite_embedding_duration_seconds_bucket", le="+Inf") == 1
    assert _value(samples, "reunite_index_step_duration_seconds_count") == 1
    assert _value(samples, "reunite_photos", side="case", status="ready") == 1
    assert _value(samples, "reunite_index_faces", side="case") == 1
    if settings.REDIS_URL:
        assert _value(samples, "reunite_queue_depth", queue="embed") == 0
