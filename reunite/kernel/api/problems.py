"""One error shape for the whole API: RFC 9457 problem details.

Every problem has a stable `type` (a code such as `photo_corrupt`), a `title`, the HTTP
`status`, a human `detail`, and for invalid input `errors` per field.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError
from django.db import OperationalError as DatabaseDown
from django.http import Http404
from kombu.exceptions import OperationalError as BrokerDown
from redis.exceptions import ConnectionError as RedisDown
from redis.exceptions import TimeoutError as RedisTimeout
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from reunite.kernel.errors import (
    DEPENDENCY_RETRY_AFTER_SECONDS,
    INVALID_INPUT_DETAIL,
    InvalidInput,
    ReuniteError,
)

PROBLEM_CONTENT_TYPE = "application/problem+json"

logger = logging.getLogger(__name__)


class ProblemOutput(serializers.Serializer):
    """RFC 9457 problem details (documentation of the error body)."""

    type = serializers.CharField(help_text="A stable code, e.g. `photo_corrupt`.")
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField(help_text="What went wrong, in words a person can act on.")
    # Shadows Serializer.errors, which this documentation-only serializer never uses.
    errors = serializers.DictField(  # type: ignore[assignment]
        required=False,
        help_text="Per-field messages: field name -> list of messages (nested for items).",
    )
    photo_index = serializers.IntegerField(
        required=False, help_text="Which photo (0-based) was refused, when several were sent."
    )


def problem_body(*, code: str, title: str, status_code: int, detail: str, **extra: Any) -> dict:
    return {"type": code, "title": title, "status": status_code, "detail": detail, **extra}


def _problem(*, code: str, title: str, status_code: int, detail: str, **extra: Any) -> Response:
    body = problem_body(code=code, title=title, status_code=status_code, detail=detail, **extra)
    return Response(body, status=status_code, content_type=PROBLEM_CONTENT_TYPE)


def domain_problem(exc: Exception) -> tuple[dict, dict[str, str]] | None:
    """(body, headers) for the project's own errors and Django's and DRF's validation
    errors, or None. Used by the handler and by the bulk endpoint for each item.

    This is the API's one translation of domain errors: a ReuniteError carries its own code,
    status and title. Django's ValidationError (a model validator reached outside a service)
    answers as InvalidInput does.
    """
    if isinstance(exc, DjangoValidationError):
        exc = InvalidInput(exc)
    if isinstance(exc, ReuniteError):
        body = problem_body(
            code=exc.code,
            title=exc.title,
            status_code=exc.status,
            detail=exc.detail,
            **exc.problem_extra(),
        )
        return body, exc.headers()
    if isinstance(exc, exceptions.ValidationError):
        errors = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        body = problem_body(
            code=InvalidInput.code,
            title=InvalidInput.title,
            status_code=status.HTTP_400_BAD_REQUEST,
            detail=INVALID_INPUT_DETAIL,
            errors=errors,
        )
        return body, {}
    return None


def unexpected_problem(exc: BaseException | None) -> tuple[dict, dict[str, str]]:
    """(body, headers) for an error no handler knows: 503 when a dependency is down (the
    database, or Redis as broker or cache), else 500. Never any internals in the body.
    """
    if isinstance(exc, DatabaseDown | InterfaceError):
        detail = "The database is unavailable. Nothing was changed; retry after Retry-After."
        return problem_body(
            code="database_unavailable",
            title="Service unavailable",
            status_code=503,
            detail=detail,
        ), {"Retry-After": str(DEPENDENCY_RETRY_AFTER_SECONDS)}
    if isinstance(exc, BrokerDown | RedisDown | RedisTimeout | ConnectionError | TimeoutError):
        detail = "A service Reunite depends on is unavailable; retry after Retry-After."
        return problem_body(
            code="service_unavailable",
            title="Service unavailable",
            status_code=503,
            detail=detail,
        ), {"Retry-After": str(DEPENDENCY_RETRY_AFTER_SECONDS)}
    return problem_body(
        code="internal_error",
        title="Internal error",
        status_code=500,
        detail="Something failed on our side and has been logged; retry later.",
    ), {}


def problem_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    known = domain_problem(exc)
    if known is not None:
        body, headers = known
        response = Response(body, status=body["status"], content_type=PROBLEM_CONTENT_TYPE)
        for name, value in headers.items():
            response[name] = value
        return response
    if isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound(str(exc) or None)

    handled = exception_handler(exc, context)
    if handled is None or not isinstance(exc, exceptions.APIException):
        # Anything else is ours to answer too: every error from /api/ is a problem.
        logger.error("Unhandled error in the API", exc_info=exc)
        body, headers = unexpected_problem(exc)
        response = Response(body, status=body["status"], content_type=PROBLEM_CONTENT_TYPE)
        for name, value in headers.items():
            response[name] = value
        return response
    response = handled
    detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
    title = str(exc.default_detail)
    if "{" in title:
        # DRF's default details are templates ('Method "{method}" not allowed.'); a title
        # is fixed per type, so the status's own words stand in (the detail has the rest).
        title = HTTPStatus(response.status_code).phrase
    problem = _problem(
        code=exc.default_code,
        title=title,
        status_code=response.status_code,
        detail=str(detail),
    )
    for header in ("Retry-After", "WWW-Authenticate", "Allow"):
        if header in response:
            problem[header] = response[header]
    return problem


def internal_problem() -> dict:
    """The body for an unexpected failure of one item of a batch (logged by the caller)."""
    return problem_body(
        code="internal_error",
        title="Could not file this item",
        status_code=500,
        detail="Something failed on our side; retry this item later.",
    )


__all__ = [
    "ProblemOutput",
    "domain_problem",
    "internal_problem",
    "problem_exception_handler",
    "status",
]
