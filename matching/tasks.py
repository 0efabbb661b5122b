"""Celery tasks: thin wrappers that take ids and call services.

Only transient infrastructure errors are retried; "no face" is an outcome, not an error.
"""

from __future__ import annotations

import logging

from celery import shared_task
from celery.signals import worker_process_shutdown, worker_ready, worker_shutdown
from django.conf import settings
from django.db import InterfaceError, OperationalError
from kombu.exceptions import OperationalError as BrokerError

from matching import index
from matching.services import generations, processing, search

logger = logging.getLogger(__name__)

TRANSIENT = (OperationalError, InterfaceError, BrokerError, ConnectionError, TimeoutError)
RETRY = {
    "autoretry_for": TRANSIENT,
    "retry_backoff": 2,
    "retry_backoff_max": 120,
    "retry_jitter": True,
    "max_retries": 5,
}


@shared_task(**RETRY)
def photo_process(photo_id: int) -> None:
    processing.photo_process(photo_id=photo_id)


@shared_task(**RETRY)
def embedding_index(embedding_id: int) -> int:
    return search.embedding_index_and_search(embedding_id=embedding_id)


@shared_task(**RETRY)
def index_faces_remove(model_name: str, side: str, face_ids: list[int]) -> int:
    """Drop erased faces from the FAISS index (queue `index`: the single writer)."""
    return index.index_faces_remove(model_name=model_name, side=side, face_ids=face_ids)


@shared_task(**RETRY)
def faces_reembed_task(space: str, face_ids: list[int]) -> int:
    """Embed stored faces into a space being built (queue `embed`)."""
    return generations.faces_reembed(space=space, face_ids=face_ids)


@shared_task(**RETRY)
def photos_recover() -> int:
    return processing.photos_recover()


@worker_ready.connect
def _recover_on_start(sender: object = None, **kwargs: object) -> None:
    # Photos held by a worker that died become reclaimable once their lease runs out.
    photos_recover.apply_async(countdown=1)
    photos_recover.apply_async(countdown=settings.PROCESSING_LEASE_SECONDS + 1)


@worker_shutdown.connect
@worker_process_shutdown.connect
def _index_snapshot_on_shutdown(sender: object = None, **kwargs: object) -> None:
    # The prefork pool's child holds the index (worker_process_shutdown); solo and threads
    # pools hold it in the main process (worker_shutdown). Rows written since are in the DB.
    saved = index.index_snapshot_all()
    if saved:
        logger.info("Wrote %d face index snapshots on shutdown.", saved)
