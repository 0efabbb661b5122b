"""Logs: one JSON object per line with the request or task id, switched by a setting."""

import importlib
import io
import json
import logging
import logging.config

import pytest
from celery import shared_task

from reunite.settings import operations

pytestmark = pytest.mark.django_db


@pytest.fixture
def json_lines():
    """Route the root logger through the JSON config into a buffer for the test."""
    stream = io.StringIO()
    config = operations.logging_config(log_format="json", level="INFO")
    config["handlers"]["console"]["stream"] = "ext://sys.stdout"
    logging.config.dictConfig(config)
    handler = logging.getLogger().handlers[0]
    handler.setStream(stream)  # type: ignore[attr-defined]

    def read() -> list[dict]:
        return [json.loads(line) for line in stream.getvalue().splitlines()]

    yield read
    logging.config.dictConfig(operations.LOGGING)


def test_each_request_is_one_json_line_with_its_id(client, json_lines):
    response = client.get("/accounts/login/?q=child-name", HTTP_X_REQUEST_ID="abc-123")
    assert response["X-Request-ID"] == "abc-123"
    [line] = [e for e in json_lines() if e["logger"] == "reunite.request"]
    assert line["request_id"] == "abc-123"
    assert line["status"] == 200 and line["method"] == "GET"
    assert line["path"] == "/accounts/login/"
    assert "child-name" not in json.dumps(json_lines())  # no query strings
    assert {"time", "level", "message"} <= set(line)


def test_a_request_without_an_id_gets_a_new_one(client, json_lines):
    first = client.get("/healthz")["X-Request-ID"]
    second = client.get("/healthz", HTTP_X_REQUEST_ID="bad id with spaces\n")["X-Request-ID"]
    assert len(first) == 32 and first != second and " " not in second


def test_lines_inside_the_request_carry_its_id(client, json_lines):
    logger = logging.getLogger("tests.inside")

    from reunite.kernel import logs

    token = logs.request_id.set("req-42")
    try:
        logger.warning("inside %s", "a view")
    finally:
        logs.request_id.reset(token)
    [line] = [e for e in json_lines() if e["logger"] == "tests.inside"]
    assert line == {**line, "message": "inside a view", "level": "WARNING", "request_id": "req-42"}
    assert "task_id" not in line


@shared_task
def _log_in_a_task() -> None:
    logging.getLogger("tests.task").info("working")


def test_lines_inside_a_task_carry_the_task_id(json_lines):
    result = _log_in_a_task.apply(task_id="task-77")
    assert result.successful()
    [line] = [e for e in json_lines() if e["logger"] == "tests.task"]
    assert line["task_id"] == "task-77"


def test_production_defaults_to_json(monkeypatch):
    monkeypatch.delenv("REUNITE_LOG_FORMAT", raising=False)
    monkeypatch.setenv("DJANGO_SECRET_KEY", "x" * 50)
    monkeypatch.setenv("REUNITE_PHOTO_ENCRYPTION_KEY", "k" * 44)
    production = importlib.import_module("reunite.settings.production")
    production = importlib.reload(production)
    assert production.LOGGING["handlers"]["console"]["formatter"] == "json"
    assert operations.LOG_FORMAT == "text"  # development's default


def test_the_setting_switches_the_format(monkeypatch):
    monkeypatch.setenv("REUNITE_LOG_FORMAT", "json")
    reloaded = importlib.reload(operations)
    try:
        assert reloaded.LOGGING["handlers"]["console"]["formatter"] == "json"
        monkeypatch.setenv("REUNITE_LOG_FORMAT", "text")
        reloaded = importlib.reload(operations)
        assert reloaded.LOGGING["handlers"]["console"]["formatter"] == "text"
    finally:
        monkeypatch.undo()
        importlib.reload(operations)


def test_smtp_only_when_email_host_is_set(monkeypatch):
    monkeypatch.delenv("EMAIL_HOST", raising=False)
    monkeypatch.delenv("DJANGO_EMAIL_BACKEND", raising=False)
    try:
        reloaded = importlib.reload(operations)
        assert reloaded.EMAIL_BACKEND == "django.core.mail.backends.console.EmailBackend"
        monkeypatch.setenv("EMAIL_HOST", "smtp.example.org")
        monkeypatch.setenv("EMAIL_PORT", "2525")
        reloaded = importlib.reload(operations)
        assert reloaded.EMAIL_BACKEND == "django.core.mail.backends.smtp.EmailBackend"
        assert (reloaded.EMAIL_HOST, reloaded.EMAIL_PORT) == ("smtp.example.org", 2525)
    finally:
        monkeypatch.undo()
        importlib.reload(operations)


def test_a_task_queued_by_a_request_carries_its_id(json_lines):
    from reunite.kernel import logs

    headers: dict = {}
    token = logs.request_id.set("req-7")
    try:
        logs._request_id_to_task(headers=headers)
    finally:
        logs.request_id.reset(token)
    assert headers == {logs.REQUEST_ID_TASK_HEADER: "req-7"}

    # The worker finds the header on the task's request.
    result = _log_in_a_task.apply(task_id="task-8", headers=headers)
    assert result.successful()
    [line] = [e for e in json_lines() if e["logger"] == "tests.task"]
    assert (line["task_id"], line["request_id"]) == ("task-8", "req-7")


@pytest.mark.parametrize(
    ("path", "status", "message"),
    [("/no-such-page/", 404, "Not Found"), ("/api/v1/found-reports/", 401, "Unauthorized")],
)
def test_djangos_own_4xx_lines_carry_the_request_id(client, json_lines, path, status, message):
    # The lines a partner's support request quotes.
    assert client.get(path, HTTP_X_REQUEST_ID="support-7").status_code == status
    [line] = [e for e in json_lines() if e["logger"] == "django.request"]
    assert line["message"] == f"{message}: {path}"
    assert line["request_id"] == "support-7"
