"""The sign-in lockout page (django-axes calls this when an account is locked)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: Any
) -> HttpResponse:
    """The branded 429: what happened, for how long, and what to do."""
    username = (credentials or {}).get("username", "") if isinstance(credentials, dict) else ""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    context = {"username": username or request.POST.get("username", ""), "cooloff_minutes": minutes}
    response = render(request, "429.html", context, status=429)
    response["Retry-After"] = str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
    return response
