"""How long the pipeline's steps take, shared by every process that runs them.

Photos are embedded and indexed in Celery workers, other processes (often other containers)
than the web process that answers /metrics. Each observation goes to a Redis hash of
histogram buckets (a pipelined HINCRBY per step), so any process can read the totals; in the
embedded default (no Redis) the steps run in the web process itself and the totals live in
its memory. Nothing here imports prometheus_client: reunite/ops/metrics.py turns the totals
into histograms at scrape time. A failure to record never fails the step.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache

import redis
from django.conf import settings

logger = logging.getLogger(__name__)

# Upper bounds in seconds; an embedding takes about 0.3 s on one core, an index step ms.
BUCKETS: tuple[float, ...] = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
STEPS = {
    "embedding": "Detecting and embedding the face of one photo.",
    "index_step": "Adding one face to its side's index and searching the other side.",
}
_KEY = "{prefix}reunite:metrics:duration:{step}"

_lock = threading.Lock()
_local: dict[str, dict[str, float]] = {}


@dataclass(frozen=True)
class DurationTotals:
    """Non-cumulative counts per bucket (the last one is +Inf), their sum and count."""

    buckets: tuple[int, ...]
    sum: float
    count: int


@cache
def _redis(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)


def _key(step: str) -> str:
    # Deployments sharing one Redis keep apart by the broker's prefix.
    prefix = settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("global_keyprefix", "")
    return _KEY.format(prefix=prefix, step=step)


def _bucket_field(seconds: float) -> str:
    for bound in BUCKETS:
        if seconds <= bound:
            return str(bound)
    return "+Inf"


def duration_observe(*, step: str, seconds: float) -> None:
    """Count one run of a step that took this long."""
    field = _bucket_field(seconds)
    if settings.REDIS_URL:
        try:
            pipe = _redis(settings.REDIS_URL).pipeline(transaction=False)
            key = _key(step)
            pipe.hincrby(key, field, 1)
            pipe.hincrby(key, "count", 1)
            pipe.hincrbyfloat(key, "sum", seconds)
            pipe.execute()
        except redis.RedisError:
            logger.warning("Could not record the %s duration in Redis.", step, exc_info=True)
        return
    with _lock:
        totals = _local.setdefault(step, {})
        for name, value in ((field, 1.0), ("count", 1.0), ("sum", seconds)):
            totals[name] = totals.get(name, 0.0) + value


@contextmanager
def duration_timed(step: str) -> Iterator[None]:
    """Time the block and count it under `step` when it finishes without an error."""
    started = time.perf_counter()
    yield
    duration_observe(step=step, seconds=time.perf_counter() - started)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def duration_totals(*, step: str) -> DurationTotals:
    """The step's totals so far, from Redis or this process. Raises redis.RedisError."""
    raw: dict[str, float]
    if settings.REDIS_URL:
        stored = _redis(settings.REDIS_URL).hgetall(_key(step))
        raw = {_text(k): float(v) for k, v in stored.items()}
    else:
        with _lock:
            raw = dict(_local.get(step, {}))
    fields = [str(b) for b in BUCKETS] + ["+Inf"]
    return DurationTotals(
        buckets=tuple(int(raw.get(f, 0)) for f in fields),
        sum=raw.get("sum", 0.0),
        count=int(raw.get("count", 0)),
    )


def durations_forget() -> None:
    """Tests: start from zero."""
    with _lock:
        _local.clear()
    if settings.REDIS_URL:
        _redis(settings.REDIS_URL).delete(*[_key(s) for s in STEPS])
