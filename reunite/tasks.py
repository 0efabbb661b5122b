"""The one retry policy for every Celery task in the project.

Only transient infrastructure errors are retried, at most five times with jittered
exponential backoff: database and broker hiccups and network timeouts. A domain outcome
("no face in photo", a refused webhook) is never an exception here.
"""

from __future__ import annotations

from typing import Any

from django.db import InterfaceError, OperationalError
from kombu.exceptions import OperationalError as BrokerError

TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    OperationalError,
    InterfaceError,
    BrokerError,
    ConnectionError,
    TimeoutError,
)

# `@shared_task(**RETRY_POLICY)`
RETRY_POLICY: dict[str, Any] = {
    "autoretry_for": TRANSIENT_ERRORS,
    "retry_backoff": 2,
    "retry_backoff_max": 120,
    "retry_jitter": True,
    "max_retries": 5,
}
