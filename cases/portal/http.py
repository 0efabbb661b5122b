"""What every portal page shares, in cases and in matching's review pages: the sign-in and
matrix check, and how a photo is sent.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from PIL import Image

from cases.access.http import AuthenticatedHttpRequest
from cases.access.permissions import Action, role_allows, user_can

THUMB_SIDE = 320
CROP_SIDE = 360


def portal(action: Action | None = None) -> Callable:
    """Sign-in required; the role must allow `action`. A partner-only user gets a 403 page
    that says the portal is for caseworkers and where the API docs are."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        @login_required
        def wrapper(request: AuthenticatedHttpRequest, *args, **kwargs):
            if not role_allows(request.user.role, Action.PORTAL_USE):
                return render(request, "errors/partner_portal.html", status=403)
            if action is not None and not user_can(request.user, action):
                raise PermissionDenied(f"Your role may not do this ({action}).")
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def image_response(pixels, *, max_side: int | None) -> HttpResponse:
    image = Image.fromarray(pixels)
    if max_side:
        image.thumbnail((max_side, max_side))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=88)
    response = HttpResponse(out.getvalue(), content_type="image/jpeg")
    # Children's photos must not linger in shared caches or browser history.
    response["Cache-Control"] = "private, no-store"
    return response
