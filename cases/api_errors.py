"""One error shape for the whole API: RFC 9457 problem details."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from cases.images import PhotoRejected
from cases.limits import DailyLimitReached


def _problem(*, code: str, title: str, status_code: int, detail: str, **extra: Any) -> Response:
    body = {"type": code, "title": title, "status": status_code, "detail": detail, **extra}
    return Response(body, status=status_code, content_type="application/problem+json")


def problem_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, PhotoRejected):
        return _problem(
            code=exc.code,
            title="Photo not accepted",
            status_code=exc.status,
            detail=exc.detail,
            errors={"photos": [exc.detail]},
        )
    if isinstance(exc, DailyLimitReached):
        problem = _problem(
            code="daily_limit_reached",
            title="Daily limit reached",
            status_code=status.HTTP_429_TOO_MANY_REQUESTS,
            detail=str(exc),
            limit=exc.limit,
            kind=exc.kind,
        )
        problem["Retry-After"] = str(exc.retry_after)
        return problem
    if isinstance(exc, DjangoValidationError):
        errors = (
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
        exc = exceptions.ValidationError(errors)
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound(str(exc) or None)

    response = exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.APIException):
        return response
    if isinstance(exc, exceptions.ValidationError):
        errors = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        problem = _problem(
            code="validation_error",
            title="Invalid request",
            status_code=response.status_code,
            detail="Some fields are missing or invalid; see `errors`.",
            errors=errors,
        )
    else:
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


__all__ = ["problem_exception_handler", "status"]
