"""Celery tasks for outcome webhooks: take ids, call services, retry only transient errors.

A refused or failed HTTP delivery is not an exception here: it is recorded and retried
later by `webhook_deliveries_retry` (with backoff), so the log shows every attempt.
"""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError
from kombu.exceptions import OperationalError as BrokerError

from cases import webhooks

# As matching/tasks.py: database and broker hiccups only, at most 5 times.
RETRY = {
    "autoretry_for": (OperationalError, InterfaceError, BrokerError),
    "retry_backoff": 2,
    "retry_backoff_max": 120,
    "retry_jitter": True,
    "max_retries": 5,
}


@shared_task(**RETRY)
def report_outcome_notify(report_id: int) -> bool:
    return webhooks.report_outcome_notify(report_id=report_id)


@shared_task(**RETRY)
def webhook_deliver(delivery_id: int) -> str:
    return webhooks.webhook_delivery_attempt(delivery_id=delivery_id)


@shared_task(**RETRY)
def webhook_deliveries_retry() -> int:
    due = webhooks.webhook_deliveries_due()
    for delivery_id in due:
        webhook_deliver.delay(delivery_id)
    return len(due)
