"""The API's own views: a problem+json 404 for any unknown path under /api/v1/, and the
project's 403, 404 and 500 handlers, which answer a problem for /api/ paths and the
branded page (templates/403.html, 404.html, 500.html, 503.html) everywhere else."""

from __future__ import annotations

import sys
from typing import Any

from django.http import HttpResponse, JsonResponse
from django.template import loader
from django.views import defaults
from django.views.decorators.csrf import csrf_exempt

from reunite.kernel.api.problems import (
    PROBLEM_CONTENT_TYPE,
    domain_problem,
    problem_body,
    unexpected_problem,
)
from reunite.kernel.errors import ReuniteError


@csrf_exempt  # it changes nothing; without this a stray POST gets the HTML CSRF page
def api_not_found(request: Any, *args: Any, **kwargs: Any) -> JsonResponse:
    """Any other path under /api/v1/: a problem, not the HTML page."""
    body = problem_body(
        code="not_found",
        title="Not found.",
        status_code=404,
        detail="No such API endpoint or record. See /api/docs/.",
    )
    return JsonResponse(body, status=404, content_type=PROBLEM_CONTENT_TYPE)


def _problem(*, code: str, title: str, status: int, detail: str) -> JsonResponse:
    body = problem_body(code=code, title=title, status_code=status, detail=detail)
    return JsonResponse(body, status=status, content_type=PROBLEM_CONTENT_TYPE)


def permission_denied(request: Any, exception: Exception) -> HttpResponse:
    """handler403: a problem under /api/, the branded page elsewhere."""
    if request.path.startswith("/api/"):
        return _problem(
            code="permission_denied",
            title="Permission denied.",
            status=403,
            detail="Your role may not do this.",
        )
    return defaults.permission_denied(request, exception)


def page_not_found(request: Any, exception: Exception) -> HttpResponse:
    """handler404: a problem under /api/, the branded page elsewhere (never the URL list)."""
    if request.path.startswith("/api/"):
        return api_not_found(request)
    return defaults.page_not_found(request, exception)


def server_error(request: Any) -> HttpResponse:
    """handler500. Errors outside the API views (a middleware reaching a database that is
    down) end here, and so does every error a portal view does not handle. Under /api/ they
    are problems; a dependency that is down (database, Redis, photo storage) is a 503 with
    Retry-After in the API and the portal alike.
    """
    exc = sys.exc_info()[1]
    known = domain_problem(exc) if isinstance(exc, ReuniteError) else None
    body, headers = known if known is not None else unexpected_problem(exc)
    if not request.path.startswith("/api/"):
        if body["status"] != 503:
            return defaults.server_error(request)
        # Rendered without a request or context processors: the database may be down.
        response = HttpResponse(loader.get_template("503.html").render(), status=503)
    else:
        response = JsonResponse(body, status=body["status"], content_type=PROBLEM_CONTENT_TYPE)
    for name, value in headers.items():
        response[name] = value
    return response
