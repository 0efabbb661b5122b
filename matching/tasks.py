"""Celery tasks for matching: take ids, import their service in the body, call it.

Callers import these tasks at module level and send them with `transaction.on_commit`.
Retries follow the project's one policy (reunite/kernel/tasks.py): transient errors only.
"""

from __future__ import annotations

import logging

from celery import current_app, shared_task
from celery.signals import worker_process_shutdown, worker_ready, worker_shutdown
from django.conf import settings
from kombu.exceptions import ChannelError

from reunite.kernel.tasks import RETRY_POLICY

logger = logging.getLogger(__name__)


@shared_task(**RETRY_POLICY)
def photo_process_task(photo_id: int) -> None:
    # Imported here, the service sends this module's tasks: a top import would cycle.
    from matching.faces.processing import photo_process

    photo_process(photo_id=photo_id)


@shared_task(**RETRY_POLICY)
def embedding_index_task(embedding_id: int) -> int:
    # Imported here, as every task does: tasks.py stays importable by any service that sends it.
    from matching.candidates.search import embedding_index_and_search

    return embedding_index_and_search(embedding_id=embedding_id)


@shared_task(**RETRY_POLICY)
def index_faces_remove_task(space: str, side: str, face_ids: list[int]) -> int:
    """Drop erased faces from the FAISS index (queue `index`: the single writer)."""
    # Imported here, as every task does: tasks.py stays importable by any service that sends it.
    from matching.index.sync import index_faces_remove

    return index_faces_remove(space=space, side=side, face_ids=face_ids)


@shared_task(**RETRY_POLICY)
def faces_reembed_task(space: str, face_ids: list[int]) -> int:
    """Embed stored faces into a space being built (queue `embed`)."""
    # Imported here, the service sends this module's tasks: a top import would cycle.
    from matching.spaces.services import faces_reembed

    return faces_reembed(space=space, face_ids=face_ids)


@shared_task(**RETRY_POLICY)
def photos_recover_task() -> int:
    # Imported here, the service sends this module's tasks: a top import would cycle.
    from matching.faces.processing import photos_recover

    return photos_recover()


def embed_queue_length() -> int | None:
    """Messages waiting in the `embed` queue, or None when it cannot be known (no broker)."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return None
    try:
        with current_app.connection_for_read() as conn:
            return conn.default_channel.queue_declare(queue="embed", passive=True).message_count
    except ChannelError as exc:
        # Redis drops an emptied queue's list, and a passive declare then says NOT_FOUND.
        if "NOT_FOUND" in str(exc):
            return 0
        logger.warning("Could not read the embed queue's length", exc_info=True)
        return None
    except Exception:
        logger.warning("Could not read the embed queue's length", exc_info=True)
        return None


@worker_ready.connect
def _recover_on_start(sender: object = None, **kwargs: object) -> None:
    # Photos held by a worker that died become reclaimable once their lease runs out.
    photos_recover_task.apply_async(countdown=1)
    photos_recover_task.apply_async(countdown=settings.PROCESSING_LEASE_SECONDS + 1)


@worker_shutdown.connect
@worker_process_shutdown.connect
def _index_snapshot_on_shutdown(sender: object = None, **kwargs: object) -> None:
    # The prefork pool's child holds the index (worker_process_shutdown); solo and threads
    # pools hold it in the main process (worker_shutdown). Rows written since are in the DB.
    # Imported here, as the tasks' services are: tasks.py stays importable by any sender.
    from matching.index.sync import index_snapshot_all

    saved = index_snapshot_all()
    if saved:
        logger.info("Wrote %d face index snapshots on shutdown.", saved)
