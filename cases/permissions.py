"""The role x action matrix. Every permission check in Reunite reads this one table."""

from __future__ import annotations

from enum import StrEnum

from django.core.exceptions import PermissionDenied

from cases.models import User

Role = User.Role


class Action(StrEnum):
    CASE_CREATE = "case.create"
    CASE_VIEW = "case.view"
    CASE_EDIT = "case.edit"
    REPORT_CREATE = "report.create"
    REPORT_VIEW = "report.view"
    REPORT_EDIT = "report.edit"
    PHOTO_ADD = "photo.add"
    PHOTO_SELECT_FACE = "photo.select_face"
    CANDIDATE_REVIEW = "candidate.review"
    APIKEY_MANAGE = "apikey.manage"
    AUDIT_VIEW = "audit.view"
    ORGANISATION_APPROVE = "organisation.approve"


MATRIX: dict[str, frozenset[Action]] = {
    Role.CASEWORKER: frozenset(
        {
            Action.CASE_CREATE,
            Action.CASE_VIEW,
            Action.CASE_EDIT,
            Action.REPORT_CREATE,
            Action.REPORT_VIEW,
            Action.REPORT_EDIT,
            Action.PHOTO_ADD,
            Action.PHOTO_SELECT_FACE,
        }
    ),
    Role.PARTNER: frozenset(
        {
            Action.REPORT_CREATE,
            Action.REPORT_VIEW,
            Action.REPORT_EDIT,
            Action.PHOTO_ADD,
            Action.PHOTO_SELECT_FACE,
        }
    ),
    Role.REVIEWER: frozenset({Action.CANDIDATE_REVIEW}),
    Role.ORG_ADMIN: frozenset(
        {Action.CASE_VIEW, Action.REPORT_VIEW, Action.APIKEY_MANAGE, Action.AUDIT_VIEW}
    ),
    Role.OPERATOR: frozenset(
        {Action.APIKEY_MANAGE, Action.AUDIT_VIEW, Action.ORGANISATION_APPROVE}
    ),
}


def user_can(user: User, action: Action) -> bool:
    """True when the user's role allows the action and their organisation may act at all."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.role != Role.OPERATOR and (
        user.organisation is None or not user.organisation.is_approved
    ):
        return False
    return action in MATRIX.get(user.role, frozenset())


def action_require(*, user: User, action: Action) -> None:
    if not user_can(user, action):
        raise PermissionDenied(f"Your role may not do this ({action}).")
