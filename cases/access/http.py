"""Request types for views that only run for a signed-in user of this project.

The portal's `@portal` decorator and the API's IsAuthenticated permission guarantee a
`cases.User`, so views annotate `request` with these and the type checker knows it too.
"""

from __future__ import annotations

from django.http import HttpRequest
from rest_framework.request import Request

from cases.models import User


class AuthenticatedHttpRequest(HttpRequest):
    user: User


class AuthenticatedRequest(Request):
    user: User
