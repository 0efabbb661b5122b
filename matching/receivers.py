"""Outcome changes: any change to a candidate may change its report's coarse outcome.

matching/review/decisions.py saves candidates with .save(), so post_save sees every decision;
erasure deletes them, which post_delete sees. The task decides whether anything changed.

Also, in the embedded default (no broker), the first request of a process re-queues photos
that a stopped process left waiting.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.signals import request_started
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from cases.partners.tasks import report_outcome_notify_task
from matching.models import Candidate
from matching.tasks import photos_recover_task
from reunite.kernel.tasks import task_send


def _notify_on_commit(report_id: int) -> None:
    # robust: the webhook sweep catches up if the broker is down.
    transaction.on_commit(lambda: report_outcome_notify_task.delay(report_id), robust=True)


@receiver(post_save, sender=Candidate, dispatch_uid="reunite_candidate_saved_outcome")
def _candidate_saved(sender: Any, instance: Candidate, **kwargs: Any) -> None:
    _notify_on_commit(instance.found_report_id)


@receiver(post_delete, sender=Candidate, dispatch_uid="reunite_candidate_deleted_outcome")
def _candidate_deleted(sender: Any, instance: Candidate, **kwargs: Any) -> None:
    _notify_on_commit(instance.found_report_id)


@receiver(request_started, dispatch_uid="reunite_embedded_recover")
def embedded_photos_recover(sender: Any = None, **kwargs: Any) -> None:
    """Without a broker there is no worker start or beat to re-queue photos that a stopped
    process left waiting; the first request of each process does it, on the background
    thread, once.
    """
    request_started.disconnect(dispatch_uid="reunite_embedded_recover")
    if settings.CELERY_TASK_ALWAYS_EAGER and settings.TASKS_IN_BACKGROUND:
        task_send(lambda: photos_recover_task.delay())
