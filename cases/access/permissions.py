"""The role x action matrix. Every permission check in Reunite reads this one table."""

from __future__ import annotations

from enum import StrEnum

from django.utils.translation import gettext as _

from cases.models import Organisation, User
from reunite.kernel.errors import NotAllowed

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
    # Invite the organisation's users, set their roles, deactivate them, reset their second
    # factor (org admins, for their own organisation only; nobody changes their own role).
    USER_MANAGE = "user.manage"
    # Look at /admin/ (operators): read-only but for the few audited writes it allows.
    ADMIN_USE = "admin.use"
    LEGAL_HOLD = "legal_hold.manage"
    # Keep the organisation's profile (its named contact for confirmed matches) up to date.
    ORGANISATION_EDIT = "organisation.edit"
    # Read the programme's figures (counts, waits, outcomes; never a record): an org admin's
    # own organisation, or every organisation for operators. Reviewers judge one candidate
    # at a time and are left out; their agency's admin reads its figures.
    PROGRAMME_VIEW = "programme.view"


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
            Action.USER_MANAGE,
            Action.ORGANISATION_EDIT,
            Action.PROGRAMME_VIEW,
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
            Action.LEGAL_HOLD,
            Action.ADMIN_USE,
            Action.PROGRAMME_VIEW,
        }
    ),
}


# The roles each kind of organisation may give its users. Reviewers sit only in agencies,
# which file nothing of their own that a reviewer could be asked to judge; operators belong
# to no organisation and are never given from the portal.
ROLES_BY_KIND: dict[str, tuple[str, ...]] = {
    Organisation.Kind.NGO: (Role.CASEWORKER, Role.PARTNER, Role.ORG_ADMIN),
    Organisation.Kind.GUARDIAN_SUPPORT: (Role.CASEWORKER, Role.PARTNER, Role.ORG_ADMIN),
    Organisation.Kind.AGENCY: (Role.REVIEWER, Role.SENIOR_REVIEWER, Role.ORG_ADMIN),
}


def roles_for_organisation(*, organisation: Organisation) -> tuple[str, ...]:
    """The roles an organisation of this kind may give its users."""
    return ROLES_BY_KIND.get(organisation.kind, ())


# Whoever may review matches, read the audit log or manage API keys signs in with a second
# factor: those are the actions that expose children's data across records.
SECOND_FACTOR_ACTIONS = frozenset(
    {
        Action.CANDIDATE_REVIEW,
        Action.AUDIT_VIEW,
        Action.APIKEY_MANAGE,
        Action.USER_MANAGE,
        Action.ADMIN_USE,
    }
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
    """The organisation the user acts for. Operators act for none: NotAllowed."""
    if user.organisation is None:
        raise NotAllowed(_("Only members of an organisation may do this."))
    return user.organisation


def action_require(*, user: User, action: Action) -> None:
    if not user_can(user, action):
        raise NotAllowed(_("Your role may not do this (%(action)s).") % {"action": action})


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
        "| action | " + " | ".join(str(role.label) for role in roles) + " |",
        "| --- |" + " :---: |" * len(roles),
    ]
    for action in Action:
        cells = ["yes" if action in MATRIX.get(role, frozenset()) else "-" for role in roles]
        lines.append(f"| `{action.value}` | " + " | ".join(cells) + " |")
    lines += [
        "",
        "## Roles each kind of organisation may give",
        "",
        "An organisation admin chooses a user's role from its organisation's row",
        "(`ROLES_BY_KIND`). Operators belong to no organisation and are never made in the portal.",
        "",
        "| organisation | roles |",
        "| --- | --- |",
    ]
    for kind in Organisation.Kind:
        names = ", ".join(str(Role(r).label) for r in ROLES_BY_KIND.get(kind, ()))
        lines.append(f"| {kind.label} | {names} |")
    lines += ["", *_WHO_CHANGES_WHAT]
    return "\n".join(lines) + "\n"


_WHO_CHANGES_WHAT = [
    "## Who changes accounts and data",
    "",
    "- **Organisation admins** run their organisation's accounts at `/org/users/`: invite a",
    "  user by e-mail (a one-time link to set a password, valid `REUNITE_ACCOUNT_LINK_HOURS`),",
    "  choose the role from the row above, deactivate and reactivate, reset a second factor,",
    "  and see when each user last signed in. Nobody changes their own role or deactivates",
    "  themselves. They create, rotate and revoke their organisation's API keys at",
    "  `/org/api-keys/`. Every change is in the audit log in words: who changed whom, from",
    "  what to what.",
    "- **Everyone** can reset a forgotten password by e-mail (`/accounts/password-reset/`).",
    "- **Operators** change no account in `/admin/`: no role, organisation, permission,",
    "  superuser flag or second factor, their own included, and add no account there.",
    "  Children's records (cases, reports, photos, candidates, decisions, duplicates) are",
    "  read-only in `/admin/` for everyone, superusers included. The one write left is an",
    "  organisation's name, contact and daily limits (and adding an organisation), each an",
    "  audit record with the fields' values before and after. A new organisation's first",
    "  admin is invited with `manage.py user_invite`; data is fixed with the audited",
    "  commands (`legal_hold`, `candidate_withdraw`, `organisation_pause`, ...).",
    "- **Two operators at the console** change what no organisation admin can (an",
    "  operator's account, or an organisation left without an admin): `manage.py",
    "  account_change request --by ME --user NAME --change deactivate --reason ...`, then a",
    "  second operator runs `account_change approve ID --by THEM`. Both are audited; neither",
    "  the one who asked nor the account's owner can approve, and a request expires in 24 hours.",
    "- **Superusers** are break-glass only (`createsuperuser` in an incident): every request",
    "  a superuser makes is audited, and `check --deploy` warns while an active superuser",
    "  exists outside the window set by `REUNITE_BREAK_GLASS_UNTIL`.",
]
