"""In the embedded default (no broker), the first request of a process re-queues photos
that a stopped process left waiting.

The one receiver left in matching: it reacts to the process serving, not to a model, so no
business effect hangs on a signal (outcome webhooks are called by the candidate services).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.signals import request_started
from django.dispatch import receiver

from matching.tasks import photos_recover_task
from reunite.kernel.tasks import task_send


@receiver(request_started, dispatch_uid="reunite_embedded_recover")
def embedded_photos_recover(sender: Any = None, **kwargs: Any) -> None:
    """Without a broker there is no worker start or beat to re-queue photos that a stopped
    process left waiting; the first request of each process does it, on the background
    thread, once.
    """
    request_started.disconnect(dispatch_uid="reunite_embedded_recover")
    if settings.CELERY_TASK_ALWAYS_EAGER and settings.TASKS_IN_BACKGROUND:
        task_send(lambda: photos_recover_task.delay())
