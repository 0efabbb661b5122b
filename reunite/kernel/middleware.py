"""The portal's one translation of domain errors (the API's is reunite/kernel/api/problems.py).

A NotAllowed that leaves a view becomes Django's PermissionDenied, so the 403 handler answers
as it does for every refusal: the branded page, or a problem under /api/. DRF views never get
here: their handler translates errors first. InvalidInput is shown by the view that took the
input, beside its form (`cases.access.http.form_errors_add`, or `messages`).
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from reunite.kernel.errors import NotAllowed


class DomainErrorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> None:
        if isinstance(exception, NotAllowed):
            # Raised here, Django's exception handling answers it with handler403.
            raise PermissionDenied(exception.detail) from exception
