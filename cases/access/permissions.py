"""The role x action matrix. Every permission check in Reunite reads this one table."""

from __future__ import annotations

from enum import StrEnum

from django.core.exceptions import PermissionDenied

from cases.models import Organisation, User

Role = User.Role


class Action(StrEnum):
    PORTAL_USE = "portal.use"
    CASE_CREATE = "case.create"
    CASE_VIEW = "case.view"
    CASE_EDIT = "case.edit"
    # Send a case to another family-tracing system (PFIF export).
    CASE_SHARE = "case.share"
    REPORT_CREATE = "report.create"
    REPORT_VIEW = "report.view"
    REPORT_EDIT = "report.edit"
    PHOTO_VIEW = "photo.view"
    PHOTO_ADD = "photo.add"
    PHOTO_SELECT_FACE = "photo.select_face"
    CANDIDATE_REVIEW = "candidate.review"
    # Say whether two of one's records (or one's and another organisation's) are one child.
    DUPLICATE_DECIDE = "duplicate.decide"
    # Record the final decision on a disputed candidate (senior reviewers).
    DISPUTE_RESOLVE = "dispute.resolve"
    WEBHOOK_MANAGE = "webhook.manage"
    # Hold an API key (keys are for systems that file cases and reports).
    APIKEY_HOLD = "apikey.hold"
    APIKEY_MANAGE = "apikey.manage"
    AUDIT_VIEW = "audit.view"
    # Act on every organisation's records, not only one's own (operators).
    ALL_ORGANISATIONS = "organisations.all"
    ORGANISATION_APPROVE = "organisation.approve"
    ORGANISATION_PAUSE = "organisation.pause"
    USER_ROLE_SET = "user.role_set"
    LEGAL_HOLD = "legal_hold.manage"
    # Keep the organisation's profile (its named contact for confirmed matches) up to date.
    ORGANISATION_EDIT = "organisation.edit"


MATRIX: dict[str, frozenset[Action]] = {
    Role.CASEWORKER: frozenset(
        {
            Action.PORTAL_USE,
            Action.CASE_CREATE,
            Action.CASE_VIEW,
            Action.CASE_EDIT,
            Action.CASE_SHARE,
            Action.REPORT_CREATE,
            Action.REPORT_VIEW,
            Action.REPORT_EDIT,
            Action.PHOTO_VIEW,
            Action.PHOTO_ADD,
            Action.PHOTO_SELECT_FACE,
            Action.DUPLICATE_DECIDE,
            Action.WEBHOOK_MANAGE,
            Action.APIKEY_HOLD,
        }
    ),
    # Partner accounts use the API only.
    Role.PARTNER: frozenset(
        {
            Action.REPORT_CREATE,
            Action.REPORT_VIEW,
            Action.REPORT_EDIT,
            Action.PHOTO_ADD,
            Action.PHOTO_SELECT_FACE,
            Action.WEBHOOK_MANAGE,
            Action.APIKEY_HOLD,
        }
    ),
    Role.REVIEWER: frozenset({Action.PORTAL_USE, Action.CANDIDATE_REVIEW}),
    Role.SENIOR_REVIEWER: frozenset(
        {Action.PORTAL_USE, Action.CANDIDATE_REVIEW, Action.DISPUTE_RESOLVE}
    ),
    Role.ORG_ADMIN: frozenset(
        {
            Action.PORTAL_USE,
            Action.CASE_VIEW,
            Action.REPORT_VIEW,
            Action.PHOTO_VIEW,
            Action.APIKEY_MANAGE,
            Action.AUDIT_VIEW,
            Action.USER_ROLE_SET,
            Action.ORGANISATION_EDIT,
        }
    ),
    Role.OPERATOR: frozenset(
        {
            Action.PORTAL_USE,
            Action.APIKEY_MANAGE,
            Action.AUDIT_VIEW,
            Action.ALL_ORGANISATIONS,
            Action.ORGANISATION_APPROVE,
            Action.ORGANISATION_PAUSE,
            Action.USER_ROLE_SET,
            Action.LEGAL_HOLD,
        }
    ),
}


# Whoever may review matches, read the audit log or manage API keys signs in with a second
# factor: those are the actions that expose children's data across records.
SECOND_FACTOR_ACTIONS = frozenset(
    {Action.CANDIDATE_REVIEW, Action.AUDIT_VIEW, Action.APIKEY_MANAGE}
)


def role_needs_second_factor(role: str) -> bool:
    return any(role_allows(role, action) for action in SECOND_FACTOR_ACTIONS)


def role_allows(role: str, action: Action) -> bool:
    """The matrix cell alone, without the user's and organisation's state."""
    return action in MATRIX.get(role, frozenset())


def roles_allowed(action: Action) -> list[str]:
    """The roles whose matrix row holds `action` (for queries such as "who may hold a key")."""
    return [role for role in Role.values if role_allows(role, action)]


def user_can(user: User, action: Action) -> bool:
    """True when the user's role allows the action and their organisation may act at all.

    An organisation that is not approved, or that an operator has paused, may do nothing.
    """
    if not user.is_authenticated or not user.is_active:
        return False
    if user.role != Role.OPERATOR and (
        user.organisation is None or not user.organisation.is_active
    ):
        return False
    return role_allows(user.role, action)


def user_organisation(*, user: User) -> Organisation:
    """The organisation the user acts for. Operators act for none: PermissionDenied."""
    if user.organisation is None:
        raise PermissionDenied("Only members of an organisation may do this.")
    return user.organisation


def action_require(*, user: User, action: Action) -> None:
    if not user_can(user, action):
        raise PermissionDenied(f"Your role may not do this ({action}).")


def permissions_matrix_markdown() -> str:
    """The matrix as the Markdown in docs/permissions.md; a test keeps the two equal."""
    roles = list(Role)
    lines = [
        "# Permissions",
        "",
        "Generated from `cases/access/permissions.py` by `python manage.py permissions_matrix`;",
        "a test fails if this file and the code disagree. Every check also requires an",
        "active user whose organisation is approved and not paused (operators have none).",
        "Organisations see only their own cases and reports: another organisation's record",
        "is a 404 even when the role allows the action.",
        "",
        "| action | " + " | ".join(role.label for role in roles) + " |",
        "| --- |" + " :---: |" * len(roles),
    ]
    for action in Action:
        cells = ["yes" if action in MATRIX.get(role, frozenset()) else "-" for role in roles]
        lines.append(f"| `{action.value}` | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
