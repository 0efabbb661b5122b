"""Filing many found reports in one request: each item on its own, with its own result."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cases.access.permissions import Action, action_require
from cases.models import User
from cases.partners.idempotency import report_create_idempotent
from cases.records.images import PhotoRejected, photo_size_check
from cases.records.services import PhotoUpload

BULK_MAX_ITEMS = 50


@dataclass(frozen=True)
class BulkResult:
    index: int
    external_ref: str
    report_id: int | None = None
    created: bool = False
    # The item's error, for the API to describe; None when filed or already filed.
    error: Exception | None = None


def photo_decode(
    *,
    index: int,
    content_base64: str,
    filename: str = "",
    taken_on: dt.date | None = None,
    age_in_photo: int | None = None,
) -> PhotoUpload:
    """Decode one base64 photo, refusing an oversized one from its length before decoding."""
    # base64 carries 3 bytes in 4 characters, up to 2 of them padding.
    photo_size_check(size=max(0, len(content_base64) * 3 // 4 - 3), index=index)
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
            # One bad item must not sink the others; the API describes (or logs) its error.
            results.append(BulkResult(index=index, external_ref=external_ref, error=exc))
            continue
        results.append(
            BulkResult(
                index=index,
                external_ref=report.external_ref,
                report_id=report.pk,
                created=created,
            )
        )
    return results
