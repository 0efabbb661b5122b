"""`/metrics`: Prometheus metrics for operators, behind a bearer token.

Requests by status come from django-prometheus's middleware. Everything else is read when
Prometheus scrapes, by `ReuniteCollector`: cheap aggregate queries on the database (the
truth every process shares), the Celery queues' lengths from the broker, and the embedding
and index-step durations that the workers add up in Redis (reunite/kernel/timings.py). So the
numbers are the same whichever web process answers, and workers need no port of their own.
"""

from __future__ import annotations

import datetime as dt
import hmac
import logging
from collections.abc import Iterator

from celery import current_app
from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Min, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from cases.models import Photo, WebhookDelivery
from matching.models import Candidate, Embedding, EmbeddingSpace, ReviewDecision
from reunite.kernel.timings import BUCKETS, STEPS, duration_totals

logger = logging.getLogger(__name__)

CACHE_KEY = "reunite:metrics:database"


def _queues() -> list[str]:
    routed = {route["queue"] for route in settings.CELERY_TASK_ROUTES.values()}
    return sorted(routed | {settings.CELERY_TASK_DEFAULT_QUEUE})


def queue_depths() -> dict[str, int] | None:
    """Messages waiting per Celery queue; None when tasks run in-process (no queues)."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return None
    with current_app.connection_for_read() as conn:
        channel = conn.default_channel
        # `_size` counts every priority list of the queue, and 0 for a queue not yet made.
        return {queue: int(channel._size(queue)) for queue in _queues()}


class ReuniteCollector(Collector):
    """Reads the service's state at scrape time. A source that is down is skipped and
    counted in `reunite_metrics_source_up`, so the rest still reaches the operator."""

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily(
            "reunite_metrics_source_up",
            "1 if the source answered this scrape, 0 if not.",
            labels=["source"],
        )
        for source, read in (
            ("database", self._database_cached),
            ("broker", self._queues),
            ("durations", self._durations),
        ):
            try:
                metrics = list(read())
            except Exception:
                logger.warning("Metrics: could not read the %s.", source, exc_info=True)
                up.add_metric([source], 0)
                continue
            up.add_metric([source], 1)
            yield from metrics
        yield up

    def _database_cached(self) -> list[Metric]:
        """The database's numbers, shared by every web process for METRICS_CACHE_SECONDS.

        The photo and embedding counts scan their tables (about 0.6 s at a million photos,
        bench/metrics.py), so several processes and Prometheus servers scraping do it once.
        """
        seconds = settings.METRICS_CACHE_SECONDS
        if seconds <= 0:
            return list(self._database())
        metrics = cache.get(CACHE_KEY)
        if metrics is None:
            metrics = list(self._database())
            cache.set(CACHE_KEY, metrics, timeout=seconds)
        return metrics

    def _database(self) -> Iterator[Metric]:
        photos = GaugeMetricFamily(
            "reunite_photos", "Photos by side and state.", labels=["side", "status"]
        )
        # Every (side, state) is listed, 0 included: an absent series is not a zero.
        counted = {
            (row["side"], row["status"]): row["n"]
            for row in Photo.objects.values("side", "status").annotate(n=Count("id")).order_by()
        }
        for side in Photo.Side.values:
            for status in Photo.Status.values:
                photos.add_metric([side, status], counted.get((side, status), 0))
        yield photos

        index = GaugeMetricFamily(
            "reunite_index_faces",
            "Faces in the active space's index (indexed embeddings), per side.",
            labels=["side"],
        )
        waiting = GaugeMetricFamily(
            "reunite_index_waiting_faces",
            "Embeddings of the active space not yet added to the index, per side.",
            labels=["side"],
        )
        space = (
            EmbeddingSpace.objects.filter(status=EmbeddingSpace.Status.ACTIVE)
            .values_list("name", flat=True)
            .first()
        )
        counts = (
            Embedding.objects.filter(space=space or "")
            .values("side")
            .annotate(
                indexed=Count("id", filter=Q(indexed_at__isnull=False)),
                waiting=Count("id", filter=Q(indexed_at__isnull=True)),
            )
            .order_by()
        )
        found = {row["side"]: row for row in counts}
        for side in Photo.Side.values:
            index.add_metric([side], found.get(side, {}).get("indexed", 0))
            waiting.add_metric([side], found.get(side, {}).get("waiting", 0))
        yield index
        yield waiting

        candidates = GaugeMetricFamily(
            "reunite_candidates",
            "Candidates by status; held_back=true are listed apart (metadata does not fit).",
            labels=["status", "held_back"],
        )
        rows = Candidate.objects.values("status", "held_back").annotate(n=Count("id")).order_by()
        by_status = {(row["status"], row["held_back"]): row["n"] for row in rows}
        for status in Candidate.Status.values:
            for held_back in (False, True):
                count = by_status.get((status, held_back), 0)
                candidates.add_metric([status, str(held_back).lower()], count)
        yield candidates

        oldest = GaugeMetricFamily(
            "reunite_candidate_oldest_pending_age_seconds",
            "Age of the oldest candidate waiting for review (0 when none waits).",
            labels=["held_back"],
        )
        now = timezone.now()
        for held_back in (False, True):
            first = Candidate.objects.filter(
                status=Candidate.Status.PENDING, held_back=held_back
            ).aggregate(first=Min("created_at"))["first"]
            age = (now - first).total_seconds() if first else 0.0
            oldest.add_metric([str(held_back).lower()], age)
        yield oldest

        decisions = GaugeMetricFamily(
            "reunite_review_decisions_last_24h",
            "Reviewers' decisions recorded in the last 24 hours, by decision.",
            labels=["decision"],
        )
        recent = (
            ReviewDecision.objects.filter(created_at__gte=now - dt.timedelta(days=1))
            .values("decision")
            .annotate(n=Count("id"))
            .order_by()
        )
        by_decision = {row["decision"]: row["n"] for row in recent}
        for decision in ReviewDecision.Decision.values:
            decisions.add_metric([decision], by_decision.get(decision, 0))
        yield decisions

        deliveries = GaugeMetricFamily(
            "reunite_webhook_deliveries",
            "Webhook deliveries by status (failed: gave up after every retry).",
            labels=["status"],
        )
        by_delivery = dict(
            WebhookDelivery.objects.values_list("status").annotate(n=Count("id")).order_by()
        )
        for status in WebhookDelivery.Status.values:
            deliveries.add_metric([status], by_delivery.get(status, 0))
        yield deliveries
        yield GaugeMetricFamily(
            "reunite_webhook_deliveries_retrying",
            "Webhook deliveries not yet delivered whose last attempt failed.",
            value=WebhookDelivery.objects.filter(
                status=WebhookDelivery.Status.PENDING, attempts__gt=0
            ).count(),
        )

    def _queues(self) -> Iterator[Metric]:
        depths = queue_depths()
        if depths is None:
            return  # in-process tasks: there is no queue to measure
        family = GaugeMetricFamily(
            "reunite_queue_depth", "Tasks waiting in each Celery queue.", labels=["queue"]
        )
        for queue, depth in depths.items():
            family.add_metric([queue], depth)
        yield family

    def _durations(self) -> Iterator[Metric]:
        for step, words in STEPS.items():
            totals = duration_totals(step=step)
            cumulative, buckets = 0, []
            for bound, count in zip([*map(str, BUCKETS), "+Inf"], totals.buckets, strict=True):
                cumulative += count
                buckets.append((bound, cumulative))
            yield HistogramMetricFamily(
                f"reunite_{step}_duration_seconds", words, buckets=buckets, sum_value=totals.sum
            )


class _ThisProcess(Collector):
    """The default registry (django-prometheus's counters), when there is one process."""

    def collect(self) -> Iterator[Metric]:
        yield from REGISTRY.collect()


def metrics_registry() -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    if settings.PROMETHEUS_MULTIPROC_DIR:
        # gunicorn's processes each write their counters to files; add them all up.
        MultiProcessCollector(registry, path=settings.PROMETHEUS_MULTIPROC_DIR)
    else:
        registry.register(_ThisProcess())
    registry.register(ReuniteCollector())
    return registry


def _token_ok(request: HttpRequest) -> bool:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        token.strip().encode(), settings.METRICS_TOKEN.encode()
    )


@require_GET
def metrics_view(request: HttpRequest) -> HttpResponse:
    """Prometheus text format. 404 while no token is configured, 403 without the token."""
    if not settings.METRICS_TOKEN:
        raise Http404("Metrics are off: set REUNITE_METRICS_TOKEN.")
    if not _token_ok(request):
        return HttpResponse("A valid bearer token is required.\n", status=403)
    response = HttpResponse(generate_latest(metrics_registry()), content_type=CONTENT_TYPE_LATEST)
    response["Cache-Control"] = "no-store"
    return response
