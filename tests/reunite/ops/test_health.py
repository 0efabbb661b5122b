"""/healthz and /readyz: JSON per check, no sign-in, 503 when a dependency is down."""

import json

import pytest
from django.test import Client

from matching.engine import weights

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
