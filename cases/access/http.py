"""Request types and the portal's sign-in check, shared by every portal page in cases and
matching.

The portal's `@portal` decorator and the API's IsAuthenticated permission guarantee a
`cases.User`, so views annotate `request` with these and the type checker knows it too.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.shortcuts import render
from rest_framework.request import Request

from cases.access.permissions import Action, role_allows, user_can
from cases.models import User
from reunite.kernel.errors import InvalidInput


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


def form_errors_add(form: forms.BaseForm, exc: InvalidInput) -> None:
    """Show a service's InvalidInput on the form that took the input: each message beside
    its field, the others at the top. (A NotAllowed becomes the 403 page in
    reunite/kernel/middleware.py; the API translates both in reunite/kernel/api/problems.py.)
    """
    for field, messages in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, messages)
