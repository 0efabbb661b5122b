"""Celery tasks for cases: take ids, import their service in the body, call it."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from reunite.tasks import RETRY_POLICY


@shared_task(**RETRY_POLICY)
def retention_sweep_task() -> int:
    """Erase one batch of records past retention, then queue the next batch if there is one."""
    from cases.safeguards.retention import retention_sweep_batch

    erased, more = retention_sweep_batch(batch_size=settings.RETENTION_BATCH_SIZE)
    if more:
        retention_sweep_task.apply_async(countdown=1)
    return erased


@shared_task(**RETRY_POLICY)
def photo_files_check_task() -> int:
    """Remove orphaned photo files and report rows whose file is missing (both audited)."""
    from cases.safeguards.files import photo_files_check

    report = photo_files_check(remove_orphans=True)
    return report.removed
