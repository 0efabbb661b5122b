"""OpenAPI helpers shared by every API view: the schema class and the error responses."""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import force_instance
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers

from reunite.api.problems import PROBLEM_CONTENT_TYPE, ProblemOutput

_ERROR_TEXT = {
    400: "Invalid request (`validation_error`) or refused photo (`photo_corrupt`, ...).",
    401: "No key, or an unknown or revoked key.",
    403: "Your role may not do this.",
    404: "No such record in your organisation.",
    409: "The report was withdrawn or erased (`report_not_active`).",
    413: "Photo or request too large (`photo_too_large`, `photo_too_many_pixels`).",
    415: "Photo type not accepted (`photo_unsupported_type`).",
    422: "Idempotency-Key reused with a different request (`idempotency_key_reused`).",
    429: "Too many requests (`throttled`) or daily limit (`daily_limit_reached`); see Retry-After.",
}


def problems(*codes: int) -> dict:
    """Schema entries for the error responses an operation can give (always 401, 403, 429)."""
    return {
        (code, PROBLEM_CONTENT_TYPE): OpenApiResponse(ProblemOutput, description=_ERROR_TEXT[code])
        for code in sorted({401, 403, 429, *codes})
    }


def _takes_files(serializer: Any) -> bool:
    serializer = force_instance(serializer)
    if not isinstance(serializer, serializers.Serializer):
        return False
    for field in serializer.fields.values():
        child = getattr(field, "child", None)
        if isinstance(field, serializers.FileField) or isinstance(child, serializers.FileField):
            return True
    return False


class ReuniteAutoSchema(AutoSchema):
    """The project's schema rules, so generated clients work (issue 14).

    - Operation ids are `<path words>_<list|create|retrieve|partial_update|destroy>`
      without the `/api/v1/` prefix (`SCHEMA_PATH_PREFIX`), e.g. `found_reports_create`.
    - An operation whose body takes a file declares only `multipart/form-data`: declaring
      JSON too made generators send binary photos as JSON or form fields.
    - A GET answering a list is a list operation (`*_list`); views that paginate set
      `pagination_class`, and the schema shows the page (`count`, `next`, `results`).
    """

    def map_parsers(self) -> list[str]:
        if self.method in ("POST", "PUT", "PATCH") and _takes_files(self.get_request_serializer()):
            return ["multipart/form-data"]
        return super().map_parsers()

    def _is_list_view(self, serializer: Any = None) -> bool:
        # The responses dict also holds (code, media type) keys for problems; the stock
        # heuristic took the smallest key as the main response, so lists looked like objects.
        if serializer is None:
            responses = self.get_response_serializers()
            if isinstance(responses, dict):
                serializer = responses.get(200, responses.get("200"))
        return super()._is_list_view(serializer)
