"""/metrics: Prometheus text behind a bearer token, read from the database at scrape time."""

import datetime as dt

import pytest
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from cases.models import Photo, WebhookDelivery, WebhookEndpoint
from cases.records.services import PhotoUpload, case_create, report_create
from matching.models import Candidate
from matching.review.decisions import candidate_decide
from reunite.kernel.timings import durations_forget
from tests.support.data import CASE_FIELDS, REPORT_FIELDS

TOKEN = "test-metrics-token-0123456789"


@pytest.fixture
def metrics_token(settings):
    settings.METRICS_TOKEN = TOKEN
    return TOKEN


def _scrape(client) -> dict[tuple[str, tuple], float]:
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def _value(samples, name, **labels) -> float:
    return samples[(name, tuple(sorted(labels.items())))]


@pytest.mark.django_db
def test_metrics_are_off_until_a_token_is_set(client, settings):
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer anything").status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("header", [None, "Bearer wrong-token", f"Token {TOKEN}", TOKEN])
def test_metrics_refuse_a_missing_or_wrong_token(client, metrics_token, header):
    extra = {"HTTP_AUTHORIZATION": header} if header else {}
    response = client.get("/metrics", **extra)
    assert response.status_code == 403
    assert b"reunite_" not in response.content


@pytest.mark.django_db(transaction=True)
def test_metrics_cover_the_pipeline_from_the_database_and_the_workers(
    client, metrics_token, caseworker, partner, reviewer, matching_pair
):
    durations_forget()
    case_create(
        user=caseworker, photos=[PhotoUpload(data=matching_pair[0].read_bytes())], **CASE_FIELDS
    )
    report_create(
        user=partner,
        photos=[PhotoUpload(data=matching_pair[1].read_bytes())],
        external_ref="R-1",
        **REPORT_FIELDS,
    )
    candidate = Candidate.objects.get()
    Candidate.objects.filter(pk=candidate.pk).update(
        created_at=timezone.now() - dt.timedelta(hours=2)
    )
    candidate_decide(user=reviewer, candidate=candidate, decision="unsure", note="Blurred.")
    endpoint = WebhookEndpoint.objects.create(
        organisation=partner.organisation,
        url="https://partner.example/hook",
        secret="x",
        created_by=partner,
    )
    WebhookDelivery.objects.create(
        endpoint=endpoint, event_type="t", payload={}, status=WebhookDelivery.Status.FAILED
    )
    client.get("/no-such-page/")  # a 404 for the request counter

    samples = _scrape(client)

    assert _value(samples, "reunite_photos", side="case", status="ready") == 1
    assert _value(samples, "reunite_photos", side="report", status="ready") == 1
    assert _value(samples, "reunite_index_faces", side="case") == 1
    assert _value(samples, "reunite_index_faces", side="report") == 1
    assert _value(samples, "reunite_candidates", status="disputed", held_back="false") == 1
    assert _value(samples, "reunite_candidate_oldest_pending_age_seconds", held_back="false") == 0
    assert _value(samples, "reunite_review_decisions_last_24h", decision="unsure") == 1
    assert _value(samples, "reunite_review_decisions_last_24h", decision="confirm") == 0
    assert _value(samples, "reunite_webhook_deliveries", status="failed") == 1
    assert _value(samples, "reunite_webhook_deliveries_retrying") == 0
    # Both photos were embedded and indexed, timed by the code that did it.
    assert _value(samples, "reunite_embedding_duration_seconds_count") == 2
    assert _value(samples, "reunite_embedding_duration_seconds_bucket", le="+Inf") == 2
    assert _value(samples, "reunite_index_step_duration_seconds_count") == 2
    assert _value(samples, "reunite_index_step_duration_seconds_sum") > 0
    # Requests by status, from django-prometheus's middleware.
    assert _value(samples, "django_http_responses_total_by_status_total", status="404") >= 1
    for source in ("database", "broker", "durations"):
        assert _value(samples, "reunite_metrics_source_up", source=source) == 1


@pytest.mark.django_db
def test_oldest_pending_candidate_age(client, metrics_token, caseworker, partner):
    from matching.candidates.pairs import candidate_pair_record
    from tests.support.faces import ready_photo_with_embedding

    case_face = ready_photo_with_embedding(user=caseworker, seed=1, side="case")
    report_face = ready_photo_with_embedding(user=partner, seed=2, side="report")
    candidate_pair_record(case_face=case_face, report_face=report_face, score=0.95)
    Candidate.objects.update(created_at=timezone.now() - dt.timedelta(hours=3))

    samples = _scrape(client)

    age = _value(samples, "reunite_candidate_oldest_pending_age_seconds", held_back="false")
    assert 3 * 3600 <= age < 3 * 3600 + 600
    assert _value(samples, "reunite_candidates", status="pending", held_back="false") == 1


@pytest.mark.django_db
def test_queue_depths_are_absent_when_tasks_run_in_process(client, metrics_token, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    samples = _scrape(client)
    assert not any(name == "reunite_queue_depth" for name, _ in samples)
    assert _value(samples, "reunite_metrics_source_up", source="broker") == 1


@pytest.mark.django_db
def test_photos_by_state_counts_every_state(client, metrics_token, caseworker):
    from tests.support.faces import ready_photo_with_embedding

    face = ready_photo_with_embedding(user=caseworker, seed=3, side="case")
    Photo.objects.filter(pk=face.photo_id).update(status=Photo.Status.REJECTED)
    samples = _scrape(client)
    assert _value(samples, "reunite_photos", side="case", status="rejected") == 1


@pytest.mark.django_db
def test_queue_depths_come_from_the_broker(client, metrics_token, settings):
    if not settings.REDIS_URL:
        pytest.skip("needs Redis (the real-services run)")
    from celery import current_app

    settings.CELERY_TASK_ALWAYS_EAGER = False
    with current_app.connection_for_write() as conn:
        conn.default_channel.queue_purge("default")
    current_app.send_task("cases.audit.tasks.audit_seal_task", queue="default")
    try:
        samples = _scrape(client)
        assert _value(samples, "reunite_queue_depth", queue="default") == 1
        assert _value(samples, "reunite_queue_depth", queue="index") >= 0
    finally:
        with current_app.connection_for_write() as conn:
            conn.default_channel.queue_purge("default")


@pytest.mark.django_db
def test_the_database_is_read_once_per_cache_window(
    client, metrics_token, settings, caseworker, django_assert_num_queries
):
    from django.core.cache import cache

    from reunite.ops.metrics import CACHE_KEY, ReuniteCollector
    from tests.support.faces import ready_photo_with_embedding

    settings.METRICS_CACHE_SECONDS = 60
    cache.delete(CACHE_KEY)
    try:
        first = _scrape(client)
        ready_photo_with_embedding(user=caseworker, seed=4, side="case")
        with django_assert_num_queries(0):
            list(ReuniteCollector()._database_cached())
        # Within the window the new photo is not counted yet; after it, it is.
        assert _value(first, "reunite_photos", side="case", status="ready") == 0
        assert _value(_scrape(client), "reunite_photos", side="case", status="ready") == 0
        cache.delete(CACHE_KEY)
        assert _value(_scrape(client), "reunite_photos", side="case", status="ready") == 1
    finally:
        cache.delete(CACHE_KEY)


@pytest.mark.django_db
def test_an_empty_service_reports_zeros_not_missing_series(client, metrics_token):
    samples = _scrape(client)
    assert _value(samples, "reunite_photos", side="report", status="pending") == 0
    assert _value(samples, "reunite_candidates", status="pending", held_back="true") == 0
    assert _value(samples, "reunite_index_faces", side="case") == 0
    assert _value(samples, "reunite_webhook_deliveries", status="failed") == 0
    assert _value(samples, "reunite_embedding_duration_seconds_count") >= 0
