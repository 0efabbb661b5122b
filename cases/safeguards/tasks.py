"""Celery tasks for cases: take ids, import their service in the body, call it."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from reunite.kernel.tasks import RETRY_POLICY


@shared_task(**RETRY_POLICY)
def retention_sweep_task() -> int:
    """Erase one batch of records past retention, then queue the next batch if there is one."""
    # Imported here, as every task does: tasks.py stays importable by any service that sends it.
    from cases.safeguards.retention import retention_sweep_batch

    erased, more = retention_sweep_batch(batch_size=settings.RETENTION_BATCH_SIZE)
    if more:
        retention_sweep_task.apply_async(countdown=1)
    return erased


@shared_task(**RETRY_POLICY)
def photo_files_check_task() -> int:
    """Remove orphaned photo files and report rows whose file is missing (both audited)."""
    # Imported here, as every task does: tasks.py stays importable by any service that sends it.
    from cases.safeguards.files import photo_files_check

    report = photo_files_check(remove_orphans=True)
    return report.removed


@shared_task(**RETRY_POLICY)
def photo_key_rotate_task(after_id: int = 0) -> int:
    """Re-encrypt one batch of photo files with the current key, then queue the next."""
    # Imported here, as every task does: tasks.py stays importable by any service that sends it.
    from cases.safeguards.keys import photo_key_rotate_batch

    rotated, last_id = photo_key_rotate_batch(
        after_id=after_id, batch_size=settings.PHOTO_KEY_ROTATION_BATCH_SIZE
    )
    if last_id is not None:
        photo_key_rotate_task.delay(after_id=last_id)
    return rotated
