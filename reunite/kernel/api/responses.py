"""Answers shared by the API views."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from reunite.kernel.errors import ReuniteError

# The schema's word for the header every 201 carries.
LOCATION = OpenApiParameter(
    "Location",
    type=str,
    location=OpenApiParameter.HEADER,
    response=[201],
    description="The new resource's address (a path on this server).",
)


def created_response(data: Any, *, location: str, created: bool = True) -> Response:
    """201 with the new resource's `Location`; 200 without it for a record that already
    existed (a retry of the same request)."""
    if not created:
        return Response(data, status=status.HTTP_200_OK)
    return Response(data, status=status.HTTP_201_CREATED, headers={"Location": location})


ETAG = OpenApiParameter(
    "ETag",
    type=str,
    location=OpenApiParameter.HEADER,
    response=[200],
    description="The version of this answer: send it back in `If-Match` to change the record.",
)
IF_MATCH = OpenApiParameter(
    "If-Match",
    type=str,
    location=OpenApiParameter.HEADER,
    description="The `ETag` you read. If the record changed since, the change is refused "
    "with 412 `precondition_failed` instead of overwriting someone else's.",
)


class PreconditionFailed(ReuniteError):
    code = "precondition_failed"
    status = 412
    title = gettext_lazy("The record changed since you read it")


def etag_of(data: Any) -> str:
    """A strong entity tag for a JSON answer: the digest of its canonical form."""
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return '"' + hashlib.sha256(canonical.encode()).hexdigest()[:32] + '"'


def resource_response(data: Any) -> Response:
    """200 with the answer's `ETag`."""
    return Response(data, headers={"ETag": etag_of(data)})


def if_match_check(request: Request, *, current: Any) -> None:
    """Refuse a change made from a stale read: `If-Match` names another version than
    `current` (the record as GET answers it now). Without the header, nothing is checked."""
    header = request.headers.get("If-Match")
    if header is None:
        return
    # If-Match compares strongly: a weak tag (W/"...") never matches.
    tags = {tag.strip() for tag in header.split(",")}
    if "*" in tags or etag_of(current) in tags:
        return
    raise PreconditionFailed(
        "The record changed since you read it: GET it again, and send its new ETag in "
        "If-Match with your change."
    )
