"""The one retry policy for every Celery task in the project, and how tasks are sent
when there is no broker.

Only transient infrastructure errors are retried, at most five times with jittered
exponential backoff: database and broker hiccups and network timeouts. A domain outcome
("no face in photo", a refused webhook) is never an exception here.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.conf import settings
from django.db import InterfaceError, OperationalError, connections
from kombu.exceptions import OperationalError as BrokerError

TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    OperationalError,
    InterfaceError,
    BrokerError,
    ConnectionError,
    TimeoutError,
)

logger = logging.getLogger(__name__)

# `@shared_task(**RETRY_POLICY)`
RETRY_POLICY: dict[str, Any] = {
    "autoretry_for": TRANSIENT_ERRORS,
    "retry_backoff": 2,
    "retry_backoff_max": 120,
    "retry_jitter": True,
    "max_retries": 5,
}


# --- The embedded default's background worker --------------------------------------------
# With no broker, tasks run in-process. Sending them from the request would make an upload
# wait for face detection; instead one daemon thread runs them in order after the response
# (one thread, because the FAISS index has a single writer, as the `index` queue does).

_background_lock = threading.Condition()
_background_pending = 0
_background_executor: ThreadPoolExecutor | None = None


def _background_call(send: Callable[[], object]) -> None:
    global _background_pending
    try:
        send()
    except Exception:
        logger.exception("A background task failed")
    finally:
        # Django opens one connection per thread; this thread's must not linger.
        connections.close_all()
        with _background_lock:
            _background_pending -= 1
            _background_lock.notify_all()


def task_send(send: Callable[[], object]) -> None:
    """Send a task: at once with a broker, or on the background thread without one.

    `send` is what would send it (`lambda: photo_process_task.delay(photo_id)`); call this
    from `transaction.on_commit`, so the thread only ever sees committed rows.
    """
    global _background_executor, _background_pending
    if not (settings.CELERY_TASK_ALWAYS_EAGER and settings.TASKS_IN_BACKGROUND):
        send()
        return
    with _background_lock:
        if _background_executor is None:
            _background_executor = ThreadPoolExecutor(1, thread_name_prefix="reunite-tasks")
        _background_pending += 1
    _background_executor.submit(_background_call, send)


def background_tasks_wait(*, timeout: float = 120) -> bool:
    """Block until the background thread has run everything sent so far (tests, shutdown).

    True when it did; False when `timeout` seconds passed first.
    """
    with _background_lock:
        return _background_lock.wait_for(lambda: _background_pending == 0, timeout=timeout)
