from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

from cases.access.addresses import client_address
from cases.audit.trail import audit_record, client_ip
from reunite.kernel.api.problems import PROBLEM_CONTENT_TYPE, problem_body


class RequestSizeLimitMiddleware:
    """Refuse oversized bodies from their Content-Length, before any of it is read."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.REQUEST_MAX_BYTES:
            body = problem_body(
                code="request_too_large",
                title="Request too large",
                status_code=413,
                detail=f"The request is {length} bytes; the limit is "
                f"{settings.REQUEST_MAX_BYTES} bytes. Send fewer or smaller photos.",
            )
            return JsonResponse(body, status=413, content_type=PROBLEM_CONTENT_TYPE)
        return self.get_response(request)


class AuditContextMiddleware:
    """Make the client's address available to the audit trail for this request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = client_ip.set(client_address(request))
        try:
            return self.get_response(request)
        finally:
            client_ip.reset(token)


class SuperuserAuditMiddleware:
    """Audit every request a superuser makes: superusers are break-glass accounts only.

    The path is recorded without its query string (which may hold names), with the method
    and the answer's status.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.is_superuser:
            audit_record(
                actor=user,
                action="superuser.request",
                obj=user,
                data={
                    "method": request.method,
                    "path": request.path[:300],
                    "status": response.status_code,
                },
            )
        return response
