"""What /admin/ lets an operator do: look, and make the few writes that are audited.

Django's own permission tables and the superuser flag are not consulted: the matrix
(`admin.use`, operators only) decides who may look, and each admin class says which writes
it allows, for superusers too. So no flag, group or permission set in the database turns
/admin/ into a way to change roles, second factors or children's records.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.contrib import admin
from django.db import models, transaction
from django.forms import ModelForm
from django.http import HttpRequest

from cases.access.permissions import Action, user_can
from cases.audit.trail import audit_record
from cases.models import Organisation, User
from reunite.kernel.errors import model_validate


def admin_user_allowed(*, user: Any) -> bool:
    """Staff (Django's door to /admin/) and, in the matrix, an operator."""
    return bool(isinstance(user, User) and user.is_staff and user_can(user, Action.ADMIN_USE))


class LookOnly:
    """Operators look; nobody (superusers included) adds, changes or deletes."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return admin_user_allowed(user=request.user)

    def has_view_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return admin_user_allowed(user=request.user)

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class ReadOnlyAdmin(LookOnly, admin.ModelAdmin):
    """Look, never touch: no add, change or delete, and every field read-only.

    Records that carry the two-person rule, matching evidence, a photo's state or an
    account's power change only through services, which check permissions and write the
    audit trail; an operator fixes data with the audited management commands.
    """


class ReadOnlyInline(LookOnly, admin.TabularInline):
    extra = 0
    can_delete = False


def _plain(value: Any) -> Any:
    """A field's value as the audit record keeps it (JSON, no model instances)."""
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, dt.date | dt.datetime | Decimal):
        return str(value)
    return value


@transaction.atomic
def admin_record_save(
    *, actor: User, obj: models.Model, before: dict[str, Any], fields: list[str], created: bool
) -> dict[str, dict[str, Any]]:
    """Save an admin form's object and audit it with each changed field's value before and
    after (Django's LogEntry keeps neither, and sits outside the chain). Returns the changes."""
    changes = {
        name: {"from": _plain(before.get(name)), "to": _plain(getattr(obj, name))}
        for name in fields
        if created or _plain(before.get(name)) != _plain(getattr(obj, name))
    }
    model_validate(obj)
    obj.save()
    if changes or created:
        audit_record(
            actor=actor,
            action="admin.added" if created else "admin.changed",
            obj=obj,
            organisation=obj if isinstance(obj, Organisation) else None,
            data={"model": obj._meta.verbose_name, "record": str(obj), "changes": changes},
        )
    return changes


class AuditedAdmin(LookOnly, admin.ModelAdmin):
    """An admin whose only writes are the `fields` of its form, each one audited.

    `allow_add` lets an operator add a record (still audited, field by field); nothing is
    ever deleted from /admin/.
    """

    allow_add = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return self.allow_add and admin_user_allowed(user=request.user)

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return admin_user_allowed(user=request.user)

    def save_model(self, request: HttpRequest, obj: Any, form: ModelForm, change: bool) -> None:
        fields = [name for name in form.fields if name in form.base_fields]
        before: dict[str, Any] = {}
        if change:
            stored = type(obj).objects.get(pk=obj.pk)
            before = {name: getattr(stored, name) for name in fields}
        assert isinstance(request.user, User)
        admin_record_save(
            actor=request.user, obj=obj, before=before, fields=fields, created=not change
        )
