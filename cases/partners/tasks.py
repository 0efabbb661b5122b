"""Celery tasks for outcome webhooks: take ids, import their service in the body, call it.

A refused or failed HTTP delivery is not an exception here: it is recorded and retried
later by `webhook_deliveries_retry_task` (with backoff), so the log shows every attempt.
"""

from __future__ import annotations

from celery import shared_task

from reunite.kernel.tasks import RETRY_POLICY


@shared_task(**RETRY_POLICY)
def report_outcome_notify_task(report_id: int) -> bool:
    # Imported here, the service sends this module's tasks: a top import would cycle.
    from cases.partners.webhooks import report_outcome_notify

    return report_outcome_notify(report_id=report_id)


@shared_task(**RETRY_POLICY)
def webhook_deliver_task(delivery_id: int) -> str:
    # Imported here, the service sends this module's tasks: a top import would cycle.
    from cases.partners.webhooks import webhook_delivery_attempt

    return webhook_delivery_attempt(delivery_id=delivery_id)


@shared_task(**RETRY_POLICY)
def webhook_deliveries_retry_task() -> int:
    # Imported here, the service sends this module's tasks: a top import would cycle.
    from cases.partners.webhooks import webhook_deliveries_due

    due = webhook_deliveries_due()
    for delivery_id in due:
        webhook_deliver_task.delay(delivery_id)
    return len(due)


@shared_task(**RETRY_POLICY)
def idempotency_keys_expire_task() -> int:
    """Delete a batch of expired idempotency keys, then queue the next batch if there is one."""
    # Imported here, as every task does: tasks.py stays importable by any service that sends it.
    from cases.partners.idempotency import idempotency_keys_expire

    deleted, more = idempotency_keys_expire()
    if more:
        idempotency_keys_expire_task.apply_async(countdown=1)
    return deleted
