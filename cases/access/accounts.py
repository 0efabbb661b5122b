"""Writes that change who may do what: roles, approving and pausing organisations.

Every one is a permission change, so every one is audited.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from cases.access.permissions import Action, action_require, user_can
from cases.audit.trail import audit_record
from cases.models import Organisation, User


@transaction.atomic
def user_role_set(*, actor: User | None, user: User, role: str) -> User:
    """Give `user` a new role. Org admins may change only their own organisation's users.

    `actor=None` is a management command run by an operator on the server.
    """
    if role not in User.Role.values:
        raise ValidationError({"role": f"Unknown role {role!r}."})
    if actor is not None:
        action_require(user=actor, action=Action.USER_ROLE_SET)
        if not user_can(actor, Action.ALL_ORGANISATIONS):
            if user.organisation_id != actor.organisation_id:
                raise PermissionDenied("You may change roles only in your own organisation.")
            # Nobody grants more than they hold.
            if role == User.Role.OPERATOR or user.role == User.Role.OPERATOR:
                raise PermissionDenied("Only an operator may grant or remove the operator role.")
    previous = user.role
    if previous == role:
        return user
    user.role = role
    user.full_clean()
    user.save(update_fields=["role"])
    audit_record(
        actor=actor,
        action="user.role_changed",
        obj=user,
        organisation=user.organisation,
        data={"username": user.username, "from": previous, "to": role},
    )
    return user


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
    organisation.full_clean()
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
        raise ValidationError({"reason": "Say why the organisation is paused."})
    organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
    if organisation.paused_at is not None:
        return organisation
    organisation.paused_at = timezone.now()
    organisation.paused_reason = reason.strip()[:300]
    organisation.full_clean()
    organisation.save()
    audit_record(
        actor=actor,
        action="organisation.paused",
        obj=organisation,
        organisation=organisation,
        data={"name": organisation.name, "reason": organisation.paused_reason},
    )
    return organisation


@transaction.atomic
def organisation_contact_update(
    *, actor: User, contact_name: str, contact_email: str, contact_phone: str
) -> Organisation:
    """The actor's organisation's named contact, shown to the other side after a confirmation."""
    action_require(user=actor, action=Action.ORGANISATION_EDIT)
    if actor.organisation_id is None:
        raise PermissionDenied("Only members of an organisation may do this.")
    organisation = Organisation.objects.select_for_update().get(pk=actor.organisation_id)
    before = {
        "contact_name": organisation.contact_name,
        "contact_email": organisation.contact_email,
        "contact_phone": organisation.contact_phone,
    }
    after = {
        "contact_name": contact_name.strip(),
        "contact_email": contact_email.strip(),
        "contact_phone": contact_phone.strip(),
    }
    if before == after:
        return organisation
    for field, value in after.items():
        setattr(organisation, field, value)
    organisation.full_clean()
    organisation.save(update_fields=list(after))
    audit_record(
        actor=actor,
        action="organisation.contact_updated",
        obj=organisation,
        organisation=organisation,
        data={"changed": sorted(f for f in after if after[f] != before[f])},
    )
    return organisation
