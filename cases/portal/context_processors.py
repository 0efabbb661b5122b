"""Templates ask the permission matrix, never a role: `{% if can.case_view %}`."""

from __future__ import annotations

from typing import Any

from cases.access.http import AuthenticatedHttpRequest
from cases.access.permissions import Action, user_can


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


def permissions(request: AuthenticatedHttpRequest) -> dict[str, Any]:
    return {"can": _Can(request.user)}
