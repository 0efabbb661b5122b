"""Admin pieces both apps share."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest


class _NoWrites:
    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class ReadOnlyAdmin(_NoWrites, admin.ModelAdmin):
    """Look, never touch: no add, change or delete, and every field read-only.

    Records that carry the two-person rule, matching evidence or a photo's state change only
    through services, which check permissions and write the audit trail; an operator fixes
    data with the audited management commands, not raw edits.
    """


class ReadOnlyInline(_NoWrites, admin.TabularInline):
    extra = 0
    can_delete = False
