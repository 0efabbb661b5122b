"""Per-client request rates for the API: each API key has its own budget."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from cases.access.addresses import client_address
from cases.models import ApiKey

logger = logging.getLogger(__name__)

if TYPE_CHECKING:  # rest_framework.views imports this module through its settings
    from rest_framework.views import APIView


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
            return super().allow_request(request, view)
        except Exception:
            logger.warning("Throttle cache unavailable; request let through", exc_info=True)
            return True

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
