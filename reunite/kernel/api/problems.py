"""One error shape for the whole API: RFC 9457 problem details.

Every problem has a `type` URI naming its entry in docs/problems.md (served at
/api/problems/), the same entry's bare `code` (such as `photo_corrupt`, what v1 clients
match on), a `title`, the HTTP `status`, a human `detail`, and for invalid input `errors`
per field.
"""

from __future__ import annotations

import html
import logging
import re
from functools import cache
from http import HTTPStatus
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError
from django.db import OperationalError as DatabaseDown
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe
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
    """RFC 9457 problem details (documentation of the error body).

    `type` names the problem's entry in the problem docs (`/api/problems/#<code>`); match on
    `code`, which is the same for every Reunite service.
    """

    type = serializers.URLField(
        help_text="A URI naming the problem type: its entry in the problem docs "
        "(`/api/problems/#photo_corrupt` on this service). Match on `code` instead."
    )
    code = serializers.CharField(
        help_text="The problem type as a stable code, e.g. `photo_corrupt` (what `type` was "
        "before it became a URI); new codes may be added within v1."
    )
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


# The statuses whose DRF detail is a template: their titles, in the reader's language (the
# English is http.HTTPStatus's phrase, as before).
STATUS_TITLES = {
    405: gettext_lazy("Method Not Allowed"),
    415: gettext_lazy("Unsupported Media Type"),
}


def problem_type_uri(*, code: str) -> str:
    """The `type` of a problem: its entry (an anchor per code) in the problem docs."""
    return f"{settings.PROBLEM_TYPE_BASE_URI}#{code}"


def problem_body(
    *, code: str, title: str | Promise, status_code: int, detail: str | Promise, **extra: Any
) -> dict:
    """The body; `title` and `detail` in the active language (the request's Accept-Language
    or the user's own), `code` and field names always English."""
    return {
        "type": problem_type_uri(code=code),
        # v1 clients matched on the bare code in `type`; it stays here, unchanged.
        "code": code,
        "title": str(title),
        "status": status_code,
        "detail": str(detail),
        **extra,
    }


def _problem(
    *, code: str, title: str | Promise, status_code: int, detail: str, **extra: Any
) -> Response:
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
        detail = _("The database is unavailable. Nothing was changed; retry after Retry-After.")
        return problem_body(
            code="database_unavailable",
            title=_("Service unavailable"),
            status_code=503,
            detail=detail,
        ), {"Retry-After": str(DEPENDENCY_RETRY_AFTER_SECONDS)}
    if isinstance(exc, BrokerDown | RedisDown | RedisTimeout | ConnectionError | TimeoutError):
        detail = _("A service Reunite depends on is unavailable; retry after Retry-After.")
        return problem_body(
            code="service_unavailable",
            title=_("Service unavailable"),
            status_code=503,
            detail=detail,
        ), {"Retry-After": str(DEPENDENCY_RETRY_AFTER_SECONDS)}
    return problem_body(
        code="internal_error",
        title=_("Internal error"),
        status_code=500,
        detail=_("Something failed on our side and has been logged; retry later."),
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
    default_detail = str(exc.default_detail)
    title: str | Promise = default_detail
    if "{" in default_detail:
        # DRF's default details are templates ('Method "{method}" not allowed.'); a title
        # is fixed per type, so the status's own words stand in (the detail has the rest).
        title = STATUS_TITLES.get(response.status_code, HTTPStatus(response.status_code).phrase)
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
        title=_("Could not file this item"),
        status_code=500,
        detail=_("Something failed on our side; retry this item later."),
    )


# ---- The problem docs, served where every `type` points -----------------------------------

_HEADING = re.compile(r"^(#{1,3}) (.+)$")


def _inline(text: str) -> str:
    """Escaped text with the Markdown the page uses: `code`, **strong**, [links](...)."""
    text = html.escape(text, quote=False)
    text = re.sub(r"`([^`]+)`", r"<code>\1</code>", text)
    text = re.sub(r"\*\*([^*]+)\*\*", r"<strong>\1</strong>", text)
    # Links to other files of docs/ do not resolve here; their words stay.
    return re.sub(r"\[([^\]]+)\]\([^)]+\)", r"\1", text)


@cache
def problem_docs_html() -> str:
    """docs/problems.md as a page with an anchor per code (`id` = the code).

    The docs are the one source; this reads only the few constructs that file uses, so the
    page needs no Markdown library.
    """
    parts = []
    docs = settings.BASE_DIR / "docs" / "problems.md"
    for block in docs.read_text(encoding="utf-8").split("\n\n"):
        lines = [line.rstrip() for line in block.strip().splitlines()]
        if not lines:
            continue
        heading = _HEADING.match(lines[0])
        if heading and len(lines) == 1:
            level, words = len(heading.group(1)), heading.group(2)
            anchor = words.strip("`") if level == 2 else ""
            attribute = f' id="{html.escape(anchor)}"' if anchor else ""
            parts.append(f"<h{level}{attribute}>{_inline(words)}</h{level}>")
        elif all(line.startswith("- ") or line.startswith("  ") for line in lines):
            items: list[str] = []
            for line in lines:
                if line.startswith("- "):
                    items.append(line[2:])
                else:
                    items[-1] += " " + line.strip()
            parts.append("<ul>" + "".join(f"<li>{_inline(i)}</li>" for i in items) + "</ul>")
        else:
            parts.append(f"<p>{_inline(' '.join(lines))}</p>")
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        "<title>Reunite API problem types</title></head><body><main>"
        + "\n".join(parts)
        + "</main></body></html>\n"
    )


@require_safe
def problem_docs(request: HttpRequest) -> HttpResponse:
    """GET /api/problems/: what each problem `type` means and what to do (public)."""
    response = HttpResponse(problem_docs_html(), content_type="text/html; charset=utf-8")
    response["Cache-Control"] = "public, max-age=3600"
    return response


__all__ = [
    "ProblemOutput",
    "domain_problem",
    "internal_problem",
    "problem_body",
    "problem_docs",
    "problem_exception_handler",
    "problem_type_uri",
    "status",
]
