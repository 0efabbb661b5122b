"""Log lines that say which request or task they belong to, as text or one JSON per line.

`RequestIdMiddleware` gives every request an id (the caller's `X-Request-ID` when it is a
plain token, else a new one), echoes it in the response, and logs one line per request.
`LogContextFilter` stamps each record with that id and with the running Celery task's id; a
task queued during a request carries the request's id in a message header.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from celery import current_task
from celery.signals import before_task_publish
from django.http import HttpRequest, HttpResponse
from django.utils.log import log_response
from pythonjsonlogger.json import JsonFormatter as _JsonFormatter

request_id: ContextVar[str | None] = ContextVar("request_id", default=None)

REQUEST_ID_HEADER = "X-Request-ID"
REQUEST_ID_TASK_HEADER = "reunite_request_id"
# A caller's id is kept only if it is a short plain token: it lands in every log line.
_REQUEST_ID_OK = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")

request_logger = logging.getLogger("reunite.request")
QUIET_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})


def _task_ids() -> tuple[str | None, str | None]:
    """The running task's id and the id of the request that queued it, if any."""
    # `current_task` is a proxy: falsy outside a task.
    if not current_task:
        return None, None
    task = current_task.request
    # A worker sets message headers as attributes; `apply(headers=...)` keeps them apart.
    queued_by = getattr(task, REQUEST_ID_TASK_HEADER, None) or (task.headers or {}).get(
        REQUEST_ID_TASK_HEADER
    )
    return getattr(task, "id", None), queued_by


@before_task_publish.connect
def _request_id_to_task(headers: dict[str, Any] | None = None, **kwargs: Any) -> None:
    # A task queued by a request carries the request's id, so both can be followed.
    rid = request_id.get()
    if rid and headers is not None:
        headers.setdefault(REQUEST_ID_TASK_HEADER, rid)


class LogContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        tid, queued_by = _task_ids()
        rid = request_id.get() or queued_by
        parts = [f"req={rid}"] if rid else []
        if tid:
            parts.append(f"task={tid}")
        # setattr: LogRecord declares no such attributes; formatters read them by name.
        setattr(record, "request_id", rid)  # noqa: B010
        setattr(record, "task_id", tid)  # noqa: B010
        setattr(record, "context", " ".join(parts) or "-")  # noqa: B010
        return True


class JsonFormatter(_JsonFormatter):
    """python-json-logger, without the empty ids and the text formatter's context field."""

    def process_log_record(self, log_data: dict[str, Any]) -> dict[str, Any]:
        log_data.pop("context", None)
        # Django's request object: its repr has the query string (what someone searched for).
        log_data.pop("request", None)
        for key in ("request_id", "task_id"):
            if log_data.get(key) is None:
                log_data.pop(key, None)
        return log_data


class RequestIdMiddleware:
    """First in MIDDLEWARE, so every later line of the request carries its id."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        rid = incoming if _REQUEST_ID_OK.match(incoming) else uuid.uuid4().hex
        token = request_id.set(rid)
        started = time.monotonic()
        try:
            response = self.get_response(request)
            response[REQUEST_ID_HEADER] = rid
            if response.status_code >= 400:
                # Django logs 4xx and 5xx ("Not Found: /x") after the whole middleware chain,
                # when this id is gone; logged here, with it, and marked so Django does not.
                log_response(
                    "%s: %s",
                    response.reason_phrase,
                    request.path,
                    response=response,
                    request=request,
                )
            # The path only: query strings may hold what someone searched for (a name).
            # Probes come every few seconds: their lines only at DEBUG.
            level = logging.DEBUG if request.path in QUIET_PATHS else logging.INFO
            request_logger.log(
                level,
                "%s %s %s",
                request.method,
                request.path,
                response.status_code,
                extra={
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "duration_ms": round((time.monotonic() - started) * 1000, 1),
                },
            )
            return response
        finally:
            request_id.reset(token)
