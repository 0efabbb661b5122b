"""Templates ask the permission matrix, never a role: `{% if can.case_view %}`."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from cases.access.http import AuthenticatedHttpRequest
from cases.access.permissions import Action, user_can
from cases.records.selectors import notification_unread_count


class _Can:
    """`can.<action name>` for the signed-in user, worked out only when a template asks."""

    def __init__(self, user: Any) -> None:
        self._user = user

    def __getattr__(self, name: str) -> bool:
        try:
            action = Action[name.upper()]
        except KeyError:
            raise AttributeError(name) from None
        return user_can(self._user, action)


class _Unread:
    """The header badge's count, read only when a page shows the header."""

    def __init__(self, user: Any) -> None:
        self._user = user

    def __str__(self) -> str:
        return str(int(self))

    def __int__(self) -> int:
        if not getattr(self._user, "is_authenticated", False):
            return 0
        if not hasattr(self, "_count"):
            self._count = notification_unread_count(user=self._user)
        return self._count

    def __bool__(self) -> bool:
        return int(self) > 0


def permissions(request: AuthenticatedHttpRequest) -> dict[str, Any]:
    return {"can": _Can(request.user), "unread_notifications": _Unread(request.user)}


def languages(request: HttpRequest) -> dict[str, Any]:
    """The switcher's choices, each named in its own language, and the page to come back to."""
    return {"language_choices": settings.LANGUAGES, "language_next": request.get_full_path()}
