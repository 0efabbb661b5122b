"""The API's own views: a problem+json 404 for any unknown path under /api/v1/."""

from __future__ import annotations

from typing import Any

from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt

from reunite.api.problems import PROBLEM_CONTENT_TYPE, problem_body


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
