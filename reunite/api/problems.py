"""One error shape for the whole API: RFC 9457 problem details.

Every problem has a stable `type` (a code such as `photo_corrupt`), a `title`, the HTTP
`status`, a human `detail`, and for invalid input `errors` per field.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from cases.partners.idempotency import IdempotencyKeyReused
from cases.records.images import PhotoRejected
from cases.records.limits import DailyLimitReached
from cases.records.reports import ReportNotActive

PROBLEM_CONTENT_TYPE = "application/problem+json"


class ProblemOutput(serializers.Serializer):
    """RFC 9457 problem details (documentation of the error body)."""

    type = serializers.CharField(help_text="A stable code, e.g. `photo_corrupt`.")
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField(help_text="What went wrong, in words a person can act on.")
    errors = serializers.DictField(
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
    """(body, headers) for the project's own exceptions and Django's, or None.

    Used by the handler and by the bulk endpoint for each item.
    """
    if isinstance(exc, PhotoRejected):
        extra: dict[str, Any] = {"errors": {"photos": [exc.detail]}}
        if exc.index is not None:
            extra["photo_index"] = exc.index
        body = problem_body(
            code=exc.code,
            title="Photo not accepted",
            status_code=exc.status,
            detail=exc.detail,
            **extra,
        )
        return body, {}
    if isinstance(exc, DailyLimitReached):
        body = problem_body(
            code="daily_limit_reached",
            title="Daily limit reached",
            status_code=status.HTTP_429_TOO_MANY_REQUESTS,
            detail=str(exc),
            limit=exc.limit,
            kind=exc.kind,
        )
        return body, {"Retry-After": str(exc.retry_after)}
    if isinstance(exc, IdempotencyKeyReused):
        body = problem_body(
            code="idempotency_key_reused",
            title="Idempotency-Key already used",
            status_code=status.HTTP_422_UNPROCESSABLE_ENTITY,
            detail=str(exc),
        )
        return body, {}
    if isinstance(exc, ReportNotActive):
        body = problem_body(
            code="report_not_active",
            title="Report withdrawn or erased",
            status_code=status.HTTP_409_CONFLICT,
            detail=" ".join(exc.messages),
        )
        return body, {}
    if isinstance(exc, DjangoValidationError | exceptions.ValidationError):
        if isinstance(exc, DjangoValidationError):
            errors: Any = (
                exc.message_dict
                if hasattr(exc, "error_dict")
                else {"non_field_errors": exc.messages}
            )
        else:
            errors = (
                exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
            )
        body = problem_body(
            code="validation_error",
            title="Invalid request",
            status_code=status.HTTP_400_BAD_REQUEST,
            detail="Some fields are missing or invalid; see `errors`.",
            errors=errors,
        )
        return body, {}
    return None


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

    response = exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.APIException):
        return response
    detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
    problem = _problem(
        code=exc.default_code,
        title=str(exc.default_detail),
        status_code=response.status_code,
        detail=str(detail),
    )
    for header in ("Retry-After", "WWW-Authenticate", "Allow"):
        if header in response:
            problem[header] = response[header]
    return problem


__all__ = ["ProblemOutput", "domain_problem", "problem_exception_handler", "status"]
