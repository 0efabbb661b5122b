"""Dependencies down: the API answers a problem, never HTML (issue 11, item 3).

Redis is a real redis-server of the test's own on a spare loopback port, stopped mid-test.
The database refusing connections is simulated at the connection wrapper.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
from collections.abc import Iterator

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import OperationalError
from django.db.backends.base.base import BaseDatabaseWrapper
from django.test import TestCase

from cases.models import FoundReport, Photo
from tests.support.data import REPORT_FORM
from tests.support.waiting import wait_for

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"


def _spare_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _redis_answers(port: int) -> bool:
    import redis

    try:
        return bool(redis.Redis(host="127.0.0.1", port=port, socket_timeout=1).ping())
    except redis.exceptions.ConnectionError:
        return False


@pytest.fixture
def own_redis() -> Iterator[int]:
    server = shutil.which("redis-server")
    if server is None:
        pytest.skip("redis-server is not installed")
    port = _spare_port()
    process = subprocess.Popen(
        [server, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    try:
        wait_for(lambda: _redis_answers(port), timeout=30, what="the test's redis-server")
        yield port
    finally:
        process.terminate()
        process.wait(timeout=30)


def _assert_problem(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["code"] == code
    assert body["status"] == status
    return body


def test_with_redis_stopped_reads_work_and_uploads_are_stored(
    own_redis, settings, api_for, partner, same_person_pair
):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{own_redis}/0",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    client = api_for(partner)
    assert client.get("/api/v1/found-reports/").status_code == 200
    cache.set("probe", 1)
    assert cache.get("probe") == 1  # the cache is this Redis, and it is up

    import redis

    redis.Redis(host="127.0.0.1", port=own_redis).shutdown(nosave=True)
    wait_for(lambda: not _redis_answers(own_redis), timeout=30, what="redis to stop")

    listed = client.get("/api/v1/found-reports/")
    assert listed.status_code == 200
    photo = SimpleUploadedFile("child.jpg", same_person_pair[0].read_bytes(), "image/jpeg")
    filed = client.post(
        "/api/v1/found-reports/", {**REPORT_FORM, "photos": [photo]}, format="multipart"
    )
    assert filed.status_code == 201, filed.content[:300]
    assert FoundReport.objects.filter(pk=filed.json()["id"]).exists()


def test_a_broker_that_is_down_leaves_the_photo_stored_for_the_sweep(
    monkeypatch, api_for, partner, same_person_pair
):
    from kombu.exceptions import OperationalError as BrokerDown

    from matching import tasks

    def broker_refuses(*args, **kwargs):
        raise BrokerDown("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(tasks.photo_process_task, "delay", broker_refuses)
    photo = SimpleUploadedFile("child.jpg", same_person_pair[0].read_bytes(), "image/jpeg")
    client = api_for(partner)
    with TestCase.captureOnCommitCallbacks(execute=True):
        filed = client.post(
            "/api/v1/found-reports/", {**REPORT_FORM, "photos": [photo]}, format="multipart"
        )
    assert filed.status_code == 201, filed.content[:300]
    # Still pending: photos_recover queues it once the broker is back.
    assert Photo.objects.get(found_report_id=filed.json()["id"]).status == Photo.Status.PENDING


def test_database_refusing_connections_is_503_problem(monkeypatch, api_for, partner):
    client = api_for(partner)

    def refuse(self):
        raise OperationalError('connection to server at "127.0.0.1", port 5432 failed: refused')

    monkeypatch.setattr(BaseDatabaseWrapper, "ensure_connection", refuse)
    response = client.get("/api/v1/found-reports/")
    monkeypatch.undo()
    body = _assert_problem(response, 503, "database_unavailable")
    assert response["Retry-After"] == "30"
    assert "5432" not in body["detail"]


def test_an_unexpected_error_is_a_500_problem_without_internals(monkeypatch, api_for, partner):
    from cases.api import reports

    def crash(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(reports.ReportListCreateApi, "get", crash)
    response = api_for(partner).get("/api/v1/found-reports/")
    body = _assert_problem(response, 500, "internal_error")
    assert "secret" not in response.content.decode()
    assert body["title"] == "Internal error"


def test_a_failure_outside_the_api_views_is_still_a_problem(monkeypatch, partner, client):
    """A middleware failing (here: sessions, on a database that is down) ends in handler500."""
    from django.contrib.sessions.backends.db import SessionStore

    def refuse(self, *args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(SessionStore, "load", refuse)
    client.raise_request_exception = False
    client.cookies["sessionid"] = "x" * 32
    response = client.get("/api/v1/found-reports/")
    _assert_problem(response, 503, "database_unavailable")
