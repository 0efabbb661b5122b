"""/healthz and /readyz: JSON per check, no sign-in, 503 when a dependency is down."""

import json
import socket
import threading
import time

import pytest
from django.db.utils import ConnectionHandler
from django.test import Client

from matching.engine import weights
from reunite.ops import health

pytestmark = pytest.mark.django_db


def test_healthz_answers_without_sign_in_or_any_dependency(client: Client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"process": {"status": "ok"}}}
    assert response["Cache-Control"] == "no-store"


def test_readyz_lists_every_check_and_is_ready(client: Client, settings):
    response = client.get("/readyz")
    body = response.json()
    assert response.status_code == 200, body
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "broker", "storage", "face_model_weights"}
    assert all(check["status"] == "ok" for check in body["checks"].values())
    if not settings.REDIS_URL:
        assert body["checks"]["broker"]["detail"] == "no broker: tasks run in-process"


def test_probes_skip_the_host_check_and_https_redirect(client: Client, settings):
    # A container probe asks by IP, whatever the public host name and TLS set-up are.
    settings.ALLOWED_HOSTS = ["reunite.example.org"]
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/healthz", HTTP_HOST="10.0.0.7:8000").status_code == 200
    assert client.get("/readyz", HTTP_HOST="10.0.0.7:8000").status_code == 200


def test_a_broker_that_is_down_makes_readyz_503_without_saying_where_it_is(client, settings):
    settings.REDIS_URL = "redis://:secret-password@127.0.0.1:1/0"
    settings.CELERY_BROKER_URL = settings.REDIS_URL
    settings.HEALTH_TIMEOUT_SECONDS = 1
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "fail"
    assert body["checks"]["broker"] == {"status": "fail", "detail": "unreachable"}
    assert body["checks"]["database"]["status"] == "ok"
    text = json.dumps(body)
    assert "secret-password" not in text and "127.0.0.1" not in text


def test_storage_that_cannot_be_written_makes_readyz_503(client, settings, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    settings.MEDIA_ROOT = blocker / "media"
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["storage"] == {"status": "fail", "detail": "not writable"}
    assert str(tmp_path) not in response.content.decode()


def test_weights_are_checked_from_the_packages_and_cached(client, settings, monkeypatch):
    settings.FACE_ENGINE = "deepface"
    weights._checked.clear()
    assert client.get("/readyz").json()["checks"]["face_model_weights"] == {"status": "ok"}
    # Unchanged files are not hashed again.
    hashed = []
    monkeypatch.setattr(weights, "sha256_of", lambda path: hashed.append(path) or "x")
    assert client.get("/readyz").status_code == 200
    assert hashed == []


def test_altered_weights_make_readyz_503(client, settings, monkeypatch):
    settings.FACE_ENGINE = "deepface"
    weights._checked.clear()
    monkeypatch.setattr(weights, "sha256_of", lambda path: "0" * 64)
    response = client.get("/readyz")
    assert response.status_code == 503
    check = response.json()["checks"]["face_model_weights"]
    assert check == {"status": "fail", "detail": "5 weight file(s) missing or altered"}
    weights._checked.clear()


def test_probes_refuse_writes(client):
    assert client.post("/readyz").status_code == 405


@pytest.fixture
def blackhole():
    """A TCP server on 127.0.0.1 that accepts connections and never says a word."""
    server = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def serve() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join()
    for conn in [*accepted, server]:
        conn.close()


def _postgres_at(port: int):
    return ConnectionHandler(
        {
            "default": {
                "ENGINE": "django.db.backends.postgresql",
                "NAME": "reunite",
                "USER": "postgres",
                "HOST": "127.0.0.1",
                "PORT": str(port),
            }
        }
    )["default"]


def test_a_database_that_accepts_and_never_replies_gives_503_within_the_bound(
    client, settings, monkeypatch, blackhole
):
    settings.HEALTH_TIMEOUT_SECONDS = 1
    monkeypatch.setattr(health, "connection", _postgres_at(blackhole))

    started = time.monotonic()
    response = client.get("/readyz")
    took = time.monotonic() - started

    assert response.status_code == 503
    assert response.json()["checks"]["database"] == {"status": "fail", "detail": "timed out"}
    assert took < settings.HEALTH_TIMEOUT_SECONDS + health._GRACE_SECONDS + 0.5
    assert response.json()["checks"]["storage"]["status"] == "ok"


def test_the_database_check_itself_gives_up_at_its_connect_timeout(
    settings, monkeypatch, blackhole
):
    # Its own deadline, so a probe's thread never waits on a silent server for ever.
    settings.HEALTH_TIMEOUT_SECONDS = 2
    monkeypatch.setattr(health, "connection", _postgres_at(blackhole))

    started = time.monotonic()
    assert health.database_check() == {"status": "fail", "detail": "unreachable"}
    assert time.monotonic() - started < 4


def test_a_redis_that_accepts_and_never_replies_gives_503_within_the_bound(
    client, settings, blackhole
):
    settings.REDIS_URL = settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{blackhole}/0"
    settings.HEALTH_TIMEOUT_SECONDS = 1

    started = time.monotonic()
    response = client.get("/readyz")

    assert time.monotonic() - started < settings.HEALTH_TIMEOUT_SECONDS + 1
    assert response.status_code == 503
    assert response.json()["checks"]["broker"]["status"] == "fail"


def test_object_storage_is_checked_by_its_bucket(client, settings, s3_photo_storage):
    assert client.get("/readyz").json()["checks"]["storage"] == {"status": "ok"}
    settings.STORAGES["photos"]["OPTIONS"]["bucket_name"] = "no-such-bucket"
    assert client.get("/readyz").json()["checks"]["storage"] == {
        "status": "fail",
        "detail": "unreachable",
    }


def test_object_storage_that_never_replies_gives_503_within_the_bound(client, settings, blackhole):
    settings.HEALTH_TIMEOUT_SECONDS = 1
    settings.STORAGES = {
        **settings.STORAGES,
        "photos": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                **settings.S3_PHOTO_OPTIONS,
                "endpoint_url": f"http://127.0.0.1:{blackhole}",
                "access_key": "x",
                "secret_key": "y",
                "region_name": "us-east-1",
            },
        },
    }

    started = time.monotonic()
    response = client.get("/readyz")

    assert time.monotonic() - started < settings.HEALTH_TIMEOUT_SECONDS + 1
    assert response.status_code == 503
    assert response.json()["checks"]["storage"]["status"] == "fail"
