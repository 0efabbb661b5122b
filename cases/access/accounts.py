"""Writes that change who may do what: accounts (invited, given a role, deactivated, their
second factor reset), approving and pausing organisations.

Every one is a permission change, so every one is audited, in words: who changed whom,
from what to what.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from cases.access.permissions import (
    Action,
    action_require,
    roles_for_organisation,
    user_organisation,
)
from cases.audit.trail import audit_record
from cases.models import AuditEvent, Organisation, User
from reunite.kernel.errors import InvalidInput, NotAllowed, model_validate


def _account_check(*, actor: User | None, user: User | None, organisation: Organisation) -> None:
    """An org admin manages their own organisation's accounts, never their own.

    `actor=None` is a management command run by an operator at the server's console.
    """
    if actor is None:
        return
    action_require(user=actor, action=Action.USER_MANAGE)
    if organisation.pk != actor.organisation_id:
        raise NotAllowed(_("You may manage accounts only in your own organisation."))
    if user is not None and user.pk == actor.pk:
        raise NotAllowed(_("Nobody changes their own account's role or access."))


def _role_check(*, organisation: Organisation, role: str) -> None:
    if role not in roles_for_organisation(organisation=organisation):
        allowed = ", ".join(
            str(User.Role(r).label) for r in roles_for_organisation(organisation=organisation)
        )
        kind = organisation.get_kind_display()
        raise InvalidInput(
            {
                "role": _("%(organisation)s (%(kind)s) may give these roles: %(roles)s.")
                % {"organisation": organisation.name, "kind": kind, "roles": allowed}
            }
        )


def _role_words(role: str) -> str:
    return str(User.Role(role).label) if role in User.Role.values else role


@transaction.atomic
def user_role_set(*, actor: User | None, user: User, role: str) -> User:
    """Give `user` a new role from those their organisation's kind may hold.

    An org admin changes only their own organisation's users, and never themselves.
    """
    if role not in User.Role.values:
        raise InvalidInput({"role": _("Unknown role %(role)s.") % {"role": repr(role)}})
    organisation = user.organisation
    if organisation is None or role == User.Role.OPERATOR:
        raise NotAllowed(_("Operators are not made or changed here."))
    _account_check(actor=actor, user=user, organisation=organisation)
    user = User.objects.select_for_update().get(pk=user.pk)
    previous = user.role
    if previous == role:
        return user
    _role_check(organisation=organisation, role=role)
    user.role = role
    model_validate(user)
    user.save(update_fields=["role"])
    audit_record(
        actor=actor,
        action="user.role_changed",
        obj=user,
        organisation=user.organisation,
        data={
            "username": user.username,
            "from": previous,
            "to": role,
        },
    )
    return user


def account_link_path(*, user: User) -> str:
    """The one-time path that lets `user` set a password (an invitation or a reset).

    Django's token covers the password hash and the last sign-in, so it stops working once
    used, and after PASSWORD_RESET_TIMEOUT.
    """
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    return reverse("account-link", args=[uid, default_token_generator.make_token(user)])


def _invitation_send(*, user_id: int, invited_by: str) -> None:
    user = User.objects.select_related("organisation").get(pk=user_id)
    assert user.organisation is not None
    # In the invitee's language: their profile's if an admin set one, else the site's.
    with translation.override(user.mail_language):
        context = {
            "user": user,
            "organisation": user.organisation.name,
            "role": _role_words(user.role),
            "invited_by": invited_by or _("Reunite's operators"),
            "url": f"{settings.BASE_URL}{account_link_path(user=user)}",
            "hours": settings.PASSWORD_RESET_TIMEOUT // 3600,
        }
        subject = _("Reunite: %(organisation)s invites you") % {
            "organisation": user.organisation.name
        }
        message = render_to_string("emails/invitation.txt", context)
    send_mail(subject=subject, message=message, from_email=None, recipient_list=[user.email])


@transaction.atomic
def user_invite(
    *,
    actor: User | None,
    organisation: Organisation,
    username: str,
    email: str,
    role: str,
    first_name: str = "",
    last_name: str = "",
) -> User:
    """Make an account with no password and e-mail its owner a one-time link to set one."""
    _account_check(actor=actor, user=None, organisation=organisation)
    _role_check(organisation=organisation, role=role)
    if User.objects.filter(username__iexact=username).exists():
        raise InvalidInput({"username": _("That username is taken.")})
    if not email:
        raise InvalidInput({"email": _("An invitation needs an e-mail address.")})
    user = User(
        username=username,
        email=email,
        first_name=first_name,
        last_name=last_name,
        organisation=organisation,
        role=role,
    )
    user.set_unusable_password()
    model_validate(user)
    user.save()
    audit_record(
        actor=actor,
        action="user.invited",
        obj=user,
        organisation=organisation,
        data={"username": username, "role": role},
    )
    # Empty for the operators: the e-mail names them in the invitee's language.
    invited_by = actor.get_full_name() or actor.username if actor else ""
    transaction.on_commit(
        lambda: _invitation_send(user_id=user.pk, invited_by=invited_by), robust=True
    )
    return user


@transaction.atomic
def user_invitation_resend(*, actor: User | None, user: User) -> User:
    """A new link for an invited user who has not set a password yet."""
    assert user.organisation is not None
    _account_check(actor=actor, user=user, organisation=user.organisation)
    if user.has_usable_password():
        raise InvalidInput(_("This user has set a password; they can reset it themselves."))
    audit_record(
        actor=actor,
        action="user.invited",
        obj=user,
        organisation=user.organisation,
        data={
            "username": user.username,
            "role": user.role,
            "again": True,
        },
    )
    # Empty for the operators: the e-mail names them in the invitee's language.
    invited_by = actor.get_full_name() or actor.username if actor else ""
    transaction.on_commit(
        lambda: _invitation_send(user_id=user.pk, invited_by=invited_by), robust=True
    )
    return user


@transaction.atomic
def user_active_set(*, actor: User | None, user: User, active: bool) -> User:
    """Deactivate (sign-in, sessions and API keys stop working) or reactivate an account."""
    if user.organisation is None:
        # An operator's account changes only at the console, approved by a second operator.
        if actor is not None:
            raise NotAllowed(_("Operators are not changed here."))
    else:
        _account_check(actor=actor, user=user, organisation=user.organisation)
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.is_active == active:
        return user
    user.is_active = active
    user.save(update_fields=["is_active"])
    audit_record(
        actor=actor,
        action="user.reactivated" if active else "user.deactivated",
        obj=user,
        organisation=user.organisation,
        data={"username": user.username, "from": not active, "to": active},
    )
    return user


@transaction.atomic
def user_second_factor_reset(*, actor: User | None, user: User) -> User:
    """Remove the user's authenticator: at their next sign-in they set up a new one."""
    if user.organisation is None:
        if actor is not None:
            raise NotAllowed(_("Operators are not changed here."))
    else:
        _account_check(actor=actor, user=user, organisation=user.organisation)
    removed, _kinds = TOTPDevice.objects.filter(user=user).delete()
    audit_record(
        actor=actor,
        action="user.second_factor_reset",
        obj=user,
        organisation=user.organisation,
        data={"username": user.username, "devices_removed": removed},
    )
    return user


@transaction.atomic
def user_password_set_from_link(*, user: User, password: str) -> User:
    """The owner of an e-mailed link sets their password (validated by the form)."""
    first = not user.has_usable_password() and user.last_login is None
    user.set_password(password)
    user.save(update_fields=["password"])
    audit_record(
        actor=user,
        action="user.invitation_accepted" if first else "user.password_reset",
        obj=user,
        organisation=user.organisation,
        data={"username": user.username},
    )
    return user


@transaction.atomic
def user_language_set(*, user: User, language: str) -> User:
    """Everyone chooses the language of their own pages and e-mails; empty follows the
    browser's. Audited like every other change to an account."""
    codes = {code for code, _name in settings.LANGUAGES}
    if language and language not in codes:
        raise InvalidInput(
            {"language": _("Unknown language %(language)s.") % {"language": repr(language)}}
        )
    user = User.objects.select_for_update().get(pk=user.pk)
    previous = user.language
    if previous == language:
        return user
    user.language = language
    user.save(update_fields=["language"])
    audit_record(
        actor=user,
        action="user.language_changed",
        obj=user,
        organisation=user.organisation,
        data={"username": user.username, "from": previous, "to": language},
    )
    return user


# --- Changes at the console: one operator asks, a second one approves --------------------

ACCOUNT_CHANGES = ("role", "deactivate", "reactivate", "second_factor_reset")
ACCOUNT_REQUEST_HOURS = 24


def _console_operator(*, username: str) -> User:
    operator = User.objects.filter(username=username, role=User.Role.OPERATOR).first()
    if operator is None or not operator.is_active:
        raise NotAllowed(f"{username!r} is not an active operator.")
    return operator


@transaction.atomic
def account_change_request(
    *, requested_by: str, username: str, change: str, role: str = "", reason: str
) -> AuditEvent:
    """Record an operator's request to change an account; nothing changes until a second
    operator approves it (`account_change_approve`). The request is itself the audit record."""
    operator = _console_operator(username=requested_by)
    user = User.objects.filter(username=username).first()
    if user is None:
        raise InvalidInput({"user": f"No account {username!r}."})
    if change not in ACCOUNT_CHANGES:
        raise InvalidInput({"change": f"One of {', '.join(ACCOUNT_CHANGES)}."})
    if change == "role":
        if user.organisation is None:
            raise NotAllowed(_("An operator's role is not changed; deactivate the account."))
        _role_check(organisation=user.organisation, role=role)
    if not reason.strip():
        raise InvalidInput({"reason": _("Say why.")})
    return audit_record(
        actor=operator,
        action="account_change.requested",
        obj=user,
        organisation=user.organisation,
        data={"username": user.username, "change": change, "role": role, "reason": reason},
    )


@transaction.atomic
def account_change_approve(*, approved_by: str, request_id: int) -> User:
    """A second operator approves a request made in the last ACCOUNT_REQUEST_HOURS, once;
    neither the operator who asked nor the account's owner can approve it."""
    operator = _console_operator(username=approved_by)
    request = (
        AuditEvent.objects.select_for_update()
        .filter(pk=request_id, action="account_change.requested")
        .first()
    )
    if request is None:
        raise InvalidInput({"request": f"No account change request #{request_id}."})
    if request.actor_id == operator.pk:
        raise NotAllowed(_("The operator who asked cannot approve; a second operator must."))
    if request.object_id == str(operator.pk):
        raise NotAllowed(_("Nobody approves a change to their own account."))
    if timezone.now() - request.created_at > dt.timedelta(hours=ACCOUNT_REQUEST_HOURS):
        raise InvalidInput({"request": _("This request has expired; ask again.")})
    if AuditEvent.objects.filter(
        action="account_change.approved", data__request=request.pk
    ).exists():
        raise InvalidInput({"request": _("This request was approved already.")})
    user = User.objects.get(pk=int(request.object_id))
    data = request.data
    audit_record(
        actor=operator,
        action="account_change.approved",
        obj=user,
        organisation=user.organisation,
        data={
            "request": request.pk,
            "requested_by": request.actor_label,
            "username": user.username,
            "change": data["change"],
            "role": data.get("role", ""),
        },
    )
    change = data["change"]
    if change == "role":
        return user_role_set(actor=None, user=user, role=data["role"])
    if change in ("deactivate", "reactivate"):
        return user_active_set(actor=None, user=user, active=change == "reactivate")
    return user_second_factor_reset(actor=None, user=user)


def organisation_user_list(*, actor: User) -> QuerySet[User]:
    """The accounts of the actor's organisation, for its admin."""
    action_require(user=actor, action=Action.USER_MANAGE)
    return User.objects.filter(organisation=user_organisation(user=actor)).order_by(
        "-is_active", "username"
    )


def _operator_check(actor: User | None, action: Action) -> None:
    if actor is not None:
        action_require(user=actor, action=action)


@transaction.atomic
def organisation_approve(*, actor: User | None, organisation: Organisation) -> Organisation:
    """Approve an organisation, and lift a pause if there is one: its users and keys work."""
    _operator_check(actor, Action.ORGANISATION_APPROVE)
    organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
    if organisation.is_active:
        return organisation
    was_paused = organisation.paused_at is not None
    organisation.approved_at = organisation.approved_at or timezone.now()
    organisation.paused_at = None
    organisation.paused_reason = ""
    model_validate(organisation)
    organisation.save()
    audit_record(
        actor=actor,
        action="organisation.resumed" if was_paused else "organisation.approved",
        obj=organisation,
        organisation=organisation,
        data={"name": organisation.name, "purpose": organisation.purpose},
    )
    return organisation


@transaction.atomic
def organisation_pause(
    *, actor: User | None, organisation: Organisation, reason: str
) -> Organisation:
    """Pause an organisation: its users and API keys are refused until it is approved again."""
    _operator_check(actor, Action.ORGANISATION_PAUSE)
    if not reason.strip():
        raise InvalidInput({"reason": _("Say why the organisation is paused.")})
    organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
    if organisation.paused_at is not None:
        return organisation
    organisation.paused_at = timezone.now()
    organisation.paused_reason = reason.strip()[:300]
    model_validate(organisation)
    organisation.save()
    audit_record(
        actor=actor,
        action="organisation.paused",
        obj=organisation,
        organisation=organisation,
        data={"name": organisation.name, "reason": organisation.paused_reason},
    )
    return organisation


def organisation_contact_update(
    *, actor: User, contact_name: str, contact_email: str, contact_phone: str
) -> Organisation:
    """The actor's organisation's named contact, shown to the other side after a confirmation."""
    return _own_organisation_update(
        actor=actor,
        action="organisation.contact_updated",
        values={
            "contact_name": contact_name.strip(),
            "contact_email": contact_email.strip(),
            "contact_phone": contact_phone.strip(),
        },
        audit_data=lambda before, after: {
            "changed": sorted(f for f in after if after[f] != before[f])
        },
    )


def organisation_field_capture_update(
    *, actor: User, offline_draft_hours: int, photo_upload_original: bool
) -> Organisation:
    """How long drafts stay on a device, and whether photos go up at their original size."""
    return _own_organisation_update(
        actor=actor,
        action="organisation.field_capture_updated",
        values={
            "offline_draft_hours": offline_draft_hours,
            "photo_upload_original": photo_upload_original,
        },
        audit_data=lambda before, after: {"before": before, "after": after},
    )


@transaction.atomic
def _own_organisation_update(
    *,
    actor: User,
    action: str,
    values: dict[str, Any],
    audit_data: Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]],
) -> Organisation:
    """Set fields of the actor's own organisation; audited only when something changed."""
    action_require(user=actor, action=Action.ORGANISATION_EDIT)
    if actor.organisation_id is None:
        raise NotAllowed(_("Only members of an organisation may do this."))
    organisation = Organisation.objects.select_for_update().get(pk=actor.organisation_id)
    before = {field: getattr(organisation, field) for field in values}
    if before == values:
        return organisation
    for field, value in values.items():
        setattr(organisation, field, value)
    model_validate(organisation)
    organisation.save(update_fields=list(values))
    audit_record(
        actor=actor,
        action=action,
        obj=organisation,
        organisation=organisation,
        data=audit_data(before, values),
    )
    return organisation
