"""Celery tasks for cases: thin wrappers around services."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from cases import retention
from matching.tasks import RETRY


@shared_task(**RETRY)
def retention_sweep() -> int:
    """Erase one batch of records past retention, then queue the next batch if there is one."""
    erased, more = retention.retention_sweep_batch(batch_size=settings.RETENTION_BATCH_SIZE)
    if more:
        retention_sweep.apply_async(countdown=1)
    return erased
