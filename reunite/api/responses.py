"""Answers shared by the API views."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter
from rest_framework import status
from rest_framework.response import Response

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
