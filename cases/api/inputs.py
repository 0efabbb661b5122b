"""Reading API requests: form fields, the Idempotency-Key header and uploaded photos."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers

from cases.access.http import AuthenticatedRequest
from cases.models.validators import DATE_VALIDATORS
from cases.partners.idempotency import KEY_MAX_LENGTH
from cases.records import services
from cases.records.images import photo_count_check, photo_size_check

IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description="Any unique string up to 200 characters (a UUID is good). Sending the same "
    "key again returns the first response's record with 200 and never creates a second. "
    "The same key with a different body is refused (422).",
)


def idempotency_key(request: AuthenticatedRequest) -> str:
    key = request.headers.get("Idempotency-Key", "").strip()
    if len(key) > KEY_MAX_LENGTH:
        raise serializers.ValidationError(
            {"Idempotency-Key": [f"At most {KEY_MAX_LENGTH} characters."]}
        )
    return key


def form_fields(request: AuthenticatedRequest) -> dict[str, Any]:
    """The request's non-file fields; the body must be an object (JSON) or a form."""
    if not hasattr(request.data, "items"):
        raise serializers.ValidationError({"non_field_errors": ["Send a JSON object or a form."]})
    return {k: v for k, v in request.data.items() if k != "photos"}


class PhotoMetaInput(serializers.Serializer):
    taken_on = serializers.DateField(required=False, allow_null=True, validators=DATE_VALIDATORS)
    age_in_photo = serializers.IntegerField(
        required=False, allow_null=True, min_value=0, max_value=25
    )


class PhotoAddInput(PhotoMetaInput):
    image = serializers.ImageField()


def uploads_read(request: AuthenticatedRequest, field: str) -> list[services.PhotoUpload]:
    """Read uploaded files, refusing oversized ones from their size before reading them."""
    files = request.FILES.getlist(field)
    photo_count_check(count=len(files))
    taken = request.data.getlist("photo_taken_on") if hasattr(request.data, "getlist") else []
    ages = request.data.getlist("photo_age_in_photo") if hasattr(request.data, "getlist") else []
    uploads = []
    for i, upload in enumerate(files):
        photo_size_check(size=upload.size, index=i)
        meta = PhotoMetaInput(
            data={
                "taken_on": taken[i] if i < len(taken) and taken[i] else None,
                "age_in_photo": ages[i] if i < len(ages) and ages[i] else None,
            }
        )
        meta.is_valid(raise_exception=True)
        uploads.append(
            services.PhotoUpload(
                data=upload.read(), filename=upload.name or "", **meta.validated_data
            )
        )
    return uploads


def upload_read(request: AuthenticatedRequest) -> services.PhotoUpload:
    meta = PhotoMetaInput(
        data={k: request.data.get(k) or None for k in ("taken_on", "age_in_photo")}
        if hasattr(request.data, "get")
        else {}
    )
    meta.is_valid(raise_exception=True)
    files = request.FILES.getlist("image")
    if len(files) != 1:
        raise serializers.ValidationError({"image": ["Send exactly one `image` file."]})
    photo_size_check(size=files[0].size)
    return services.PhotoUpload(
        data=files[0].read(), filename=files[0].name or "", **meta.validated_data
    )
