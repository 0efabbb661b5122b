"""Filing many found reports in one request: each item on its own, with its own result."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from cases.access.permissions import Action, action_require
from cases.models import User
from cases.partners.idempotency import report_create_idempotent
from cases.records.images import PhotoRejected
from cases.records.services import PhotoUpload
from reunite.api.problems import domain_problem, problem_body

logger = logging.getLogger(__name__)

BULK_MAX_ITEMS = 50


@dataclass(frozen=True)
class BulkResult:
    index: int
    external_ref: str
    status: int
    report_id: int | None = None
    error: dict | None = None


def photo_decode(
    *,
    index: int,
    content_base64: str,
    filename: str = "",
    taken_on: dt.date | None = None,
    age_in_photo: int | None = None,
) -> PhotoUpload:
    """Decode one base64 photo, refusing an oversized one from its length before decoding."""
    if len(content_base64) * 3 // 4 > settings.PHOTO_MAX_BYTES + 3:
        raise PhotoRejected(
            code="photo_too_large",
            detail=f"Photo {index} is larger than {settings.PHOTO_MAX_BYTES / 1e6:.0f} MB.",
            status=413,
            index=index,
        )
    try:
        data = base64.b64decode(content_base64, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise PhotoRejected(
            code="photo_corrupt",
            detail=f"Photo {index} is not valid base64.",
            index=index,
        ) from exc
    return PhotoUpload(data=data, filename=filename, taken_on=taken_on, age_in_photo=age_in_photo)


def reports_file(
    *,
    user: User,
    items: list[dict[str, Any]],
    validate: Callable[[dict], tuple[dict, list[PhotoUpload]]],
) -> list[BulkResult]:
    """File each item with `report_create_idempotent`; an item's error is its result.

    `validate` turns a raw item into (fields, photos) or raises. Items already filed (same
    external_ref) answer 200, so a whole batch can be retried after a timeout.
    """
    action_require(user=user, action=Action.REPORT_CREATE)
    if len(items) > BULK_MAX_ITEMS:
        raise ValueError(f"At most {BULK_MAX_ITEMS} items.")
    results = []
    for index, item in enumerate(items):
        external_ref = str(item.get("external_ref", ""))[:100]
        try:
            fields, photos = validate(item)
            report, created = report_create_idempotent(
                user=user, idempotency_key="", photos=photos, **fields
            )
        except Exception as exc:
            known = domain_problem(exc)
            if known is None:
                logger.exception("bulk item %s failed", index)
                error = problem_body(
                    code="internal_error",
                    title="Could not file this item",
                    status_code=500,
                    detail="Something failed on our side; retry this item later.",
                )
            else:
                error = known[0]
            results.append(
                BulkResult(
                    index=index, external_ref=external_ref, status=error["status"], error=error
                )
            )
            continue
        results.append(
            BulkResult(
                index=index,
                external_ref=report.external_ref,
                status=201 if created else 200,
                report_id=report.pk,
            )
        )
    return results
