"""Request types and the portal's sign-in check, shared by every portal page in cases and
matching.

The portal's `@portal` decorator and the API's IsAuthenticated permission guarantee a
`cases.User`, so views annotate `request` with these and the type checker knows it too.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.shortcuts import render
from rest_framework.request import Request

from cases.access.permissions import Action, role_allows, user_can
from cases.models import User


class AuthenticatedHttpRequest(HttpRequest):
    user: User


class AuthenticatedRequest(Request):
    user: User


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
