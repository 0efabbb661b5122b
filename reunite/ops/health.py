"""`/healthz` (the process answers) and `/readyz` (its dependencies answer), for probes.

Both are answered by `HealthMiddleware`, near the top of MIDDLEWARE: before the host check
and the HTTPS redirect, so a container health check or a load balancer can probe
`http://127.0.0.1:8000/readyz` whatever ALLOWED_HOSTS says. No sign-in is needed, so the
answers say only ok or fail and a fixed reason per check: no versions, paths, hosts or
error messages (those go to the log).

Every check has its own deadline (connect and statement timeouts for PostgreSQL, socket
timeouts for Redis and object storage), and the checks run side by side, each in its own
thread, so the whole answer comes within `HEALTH_TIMEOUT_SECONDS` plus `_GRACE_SECONDS` even
when a dependency accepts connections and never replies. A check still stuck from an
earlier probe is not started again (it fails as `timed out`), so a hung dependency holds at
most one thread per check.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import boto3
import redis
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.db import connection, connections
from django.http import HttpRequest, HttpResponse, JsonResponse

from matching.engine.weights import weights_unusable

logger = logging.getLogger(__name__)

OK, FAIL = "ok", "fail"
Check = dict[str, str]


def _database_ping() -> None:
    if connection.vendor != "postgresql":
        # SQLite is a local file: nothing to wait for on a network. This thread's own
        # connection is closed after the check (Django keeps one per thread).
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
        finally:
            connections.close_all()
        return
    # A connection of its own, not the request's: its timeouts cover the connection's start
    # (a server that accepts and never replies) and the statement (a server that is stuck).
    timeout = settings.HEALTH_TIMEOUT_SECONDS
    params = connection.get_connection_params()
    params["connect_timeout"] = timeout
    params["options"] = f"{params.get('options', '')} -c statement_timeout={timeout * 1000}"
    raw = connection.get_new_connection(params)
    try:
        raw.execute("SELECT 1").fetchone()
    finally:
        raw.close()


def database_check() -> Check:
    try:
        _database_ping()
    except Exception:
        logger.warning("Readiness: the database did not answer.", exc_info=True)
        return {"status": FAIL, "detail": "unreachable"}
    return {"status": OK}


def broker_check() -> Check:
    if not settings.REDIS_URL:
        return {"status": OK, "detail": "no broker: tasks run in-process"}
    timeout = settings.HEALTH_TIMEOUT_SECONDS
    try:
        client = redis.Redis.from_url(
            settings.CELERY_BROKER_URL, socket_connect_timeout=timeout, socket_timeout=timeout
        )
        try:
            client.ping()
        finally:
            client.close()
    except redis.RedisError:
        logger.warning("Readiness: the broker did not answer.", exc_info=True)
        return {"status": FAIL, "detail": "unreachable"}
    return {"status": OK}


def _object_storage_check(options: dict[str, Any]) -> Check:
    """The bucket answers, within the health timeout and without retries."""
    timeout = settings.HEALTH_TIMEOUT_SECONDS
    client = boto3.client(
        "s3",
        endpoint_url=options.get("endpoint_url"),
        region_name=options.get("region_name"),
        aws_access_key_id=options.get("access_key"),
        aws_secret_access_key=options.get("secret_key"),
        config=Config(
            connect_timeout=timeout,
            read_timeout=timeout,
            retries={"max_attempts": 1, "mode": "standard"},
            s3={"addressing_style": options.get("addressing_style", "path")},
        ),
    )
    try:
        client.head_bucket(Bucket=options["bucket_name"])
    except (BotoCoreError, ClientError):
        logger.warning("Readiness: the photo bucket did not answer.", exc_info=True)
        return {"status": FAIL, "detail": "unreachable"}
    return {"status": OK}


def storage_check() -> Check:
    """The photo folder exists and takes a write (a read-only or full disk fails here), or,
    with object storage, the bucket answers."""
    photos = cast(dict[str, Any], settings.STORAGES["photos"])
    if photos["BACKEND"] == "storages.backends.s3.S3Storage":
        return _object_storage_check(photos["OPTIONS"])
    root = Path(settings.MEDIA_ROOT)
    probe = root / f".readyz-{uuid.uuid4().hex}"
    try:
        root.mkdir(parents=True, exist_ok=True)
        probe.write_bytes(b"ok")
        probe.unlink()
    except OSError:
        logger.warning("Readiness: the photo storage is not writable.", exc_info=True)
        return {"status": FAIL, "detail": "not writable"}
    return {"status": OK}


def weights_check() -> Check:
    if settings.FACE_ENGINE == "fake":
        return {"status": OK, "detail": "fake engine: no weights needed"}
    bad = weights_unusable()
    if bad:
        logger.warning("Readiness: face model weights missing or altered: %s", ", ".join(bad))
        return {"status": FAIL, "detail": f"{len(bad)} weight file(s) missing or altered"}
    return {"status": OK}


READINESS_CHECKS: dict[str, Callable[[], Check]] = {
    "database": database_check,
    "broker": broker_check,
    "storage": storage_check,
    "face_model_weights": weights_check,
}


# Time for threads to start and answers to be gathered, on top of each check's own timeout.
_GRACE_SECONDS = 0.5
TIMED_OUT: Check = {"status": FAIL, "detail": "timed out"}
_running: dict[str, threading.Thread] = {}
_running_lock = threading.Lock()


def _check_start(
    name: str, check: Callable[[], Check], answers: dict[str, Check]
) -> threading.Thread | None:
    def run() -> None:
        answers[name] = check()

    with _running_lock:
        previous = _running.get(name)
        if previous is not None and previous.is_alive():
            return None
        thread = threading.Thread(target=run, name=f"readyz-{name}", daemon=True)
        _running[name] = thread
    thread.start()
    return thread


def readiness() -> tuple[bool, dict[str, Any]]:
    """Every check's answer, or `timed out` for those that did not answer within the bound."""
    deadline = time.monotonic() + settings.HEALTH_TIMEOUT_SECONDS + _GRACE_SECONDS
    answers: dict[str, Check] = {}
    threads = [_check_start(name, check, answers) for name, check in READINESS_CHECKS.items()]
    for thread in threads:
        if thread is not None:
            thread.join(max(0.0, deadline - time.monotonic()))
    checks = {name: dict(answers.get(name, TIMED_OUT)) for name in READINESS_CHECKS}
    for name, check in checks.items():
        if check == TIMED_OUT:
            logger.warning("Readiness: the %s check did not answer in time.", name)
    ready = all(c["status"] == OK for c in checks.values())
    return ready, {"status": OK if ready else FAIL, "checks": checks}


def _answer(body: dict[str, Any], status: int) -> JsonResponse:
    response = JsonResponse(body, status=status)
    response["Cache-Control"] = "no-store"
    return response


def healthz(request: HttpRequest) -> JsonResponse:
    return _answer({"status": OK, "checks": {"process": {"status": OK}}}, 200)


def readyz(request: HttpRequest) -> JsonResponse:
    ready, body = readiness()
    return _answer(body, 200 if ready else 503)


PROBES = {"/healthz": healthz, "/readyz": readyz}


class HealthMiddleware:
    """Answers the probes before host checks, redirects, sessions and sign-in."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        probe = PROBES.get(request.path_info.rstrip("/") or "/")
        if probe is None:
            return self.get_response(request)
        if request.method not in ("GET", "HEAD"):
            response = _answer({"status": FAIL, "detail": "use GET"}, 405)
            response["Allow"] = "GET, HEAD"
            return response
        return probe(request)
