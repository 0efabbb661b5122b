"""OpenAPI helpers shared by every API view: the error responses an operation documents."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse

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
