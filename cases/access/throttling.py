"""Per-client request rates for the API: each API key has its own budget."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from typing import TYPE_CHECKING

from django.http import HttpRequest, HttpResponse
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from cases.access.addresses import client_address
from cases.models import ApiKey

logger = logging.getLogger(__name__)

if TYPE_CHECKING:  # rest_framework.views imports this module through its settings
    from rest_framework.views import APIView


# (limit, remaining, seconds to reset) of the tightest throttle, on Django's request.
RATELIMIT_ATTRIBUTE = "reunite_ratelimit"


class ApiClientRateThrottle(SimpleRateThrottle):
    """REUNITE_API_RATE per API key (per user for portal sessions). Over it: 429 with
    Retry-After. Counters live in the default cache: use a shared cache (Redis) when the API
    runs in several processes.
    """

    scope = "api_client"

    def allow_request(self, request: Request, view: APIView) -> bool:
        # The counters live in Redis: when it is down, let requests through (and say so in
        # the log) rather than take the whole API down with it. The daily limits, kept in the
        # database, still cap what a client can file.
        try:
            allowed = super().allow_request(request, view)
        except Exception:
            logger.warning("Throttle cache unavailable; request let through", exc_info=True)
            return True
        if self.rate is not None and self.key is not None:
            self._budget_note(request)
        return allowed

    def _budget_note(self, request: Request) -> None:
        """Keep the tightest budget of the request's throttles for its RateLimit-* headers."""
        limit, duration = self.parse_rate(self.rate)
        if limit is None or duration is None:
            return
        remaining = max(0, limit - len(self.history))
        # The oldest request in the window leaves it, freeing a request, this many seconds on.
        reset = duration - (self.now - self.history[-1]) if self.history else duration
        budget = (limit, remaining, max(0, math.ceil(reset)))
        current = getattr(request._request, RATELIMIT_ATTRIBUTE, None)
        if current is None or budget[1] < current[1]:
            setattr(request._request, RATELIMIT_ATTRIBUTE, budget)

    def get_rate(self) -> str | None:
        # Read at each request, not at import, so settings overrides apply.
        rate = api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)
        return None if rate is None else str(rate)

    def get_ident(self, request: Request) -> str:
        # DRF would believe any X-Forwarded-For; only trusted proxies' is believed here.
        return client_address(request) or ""

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        if isinstance(request.auth, ApiKey):
            ident = f"key:{request.auth.prefix}"
        elif request.user and request.user.is_authenticated:
            ident = f"user:{request.user.pk}"
        else:
            ident = f"ip:{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}


class ApiBulkRateThrottle(ApiClientRateThrottle):
    """A smaller budget for the bulk endpoint: each request may file 50 reports."""

    scope = "api_bulk"


class RateLimitHeadersMiddleware:
    """`RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset` (seconds) on every
    throttled answer, a 429 included, so a client can slow down before it is refused."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        budget = getattr(request, RATELIMIT_ATTRIBUTE, None)
        if budget is not None:
            for name, value in zip(RATELIMIT_HEADERS, budget, strict=True):
                response[name] = str(value)
        return response


RATELIMIT_HEADERS = ("RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset")
