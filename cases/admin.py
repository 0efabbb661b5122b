from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from cases.models import ApiKey, AuditEvent, FoundReport, MissingCase, Organisation, Photo, User
from reunite.admin import ReadOnlyAdmin


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "purpose", "approved_at", "contact_name"]


@admin.register(User)
class ReuniteUserAdmin(UserAdmin):
    list_display = ["username", "organisation", "role", "is_active"]
    fieldsets = (*(UserAdmin.fieldsets or ()), ("Reunite", {"fields": ("organisation", "role")}))


@admin.register(MissingCase)
class MissingCaseAdmin(admin.ModelAdmin):
    list_display = ["reference", "organisation", "status", "last_seen_on"]
    list_filter = ["status", "organisation"]


@admin.register(FoundReport)
class FoundReportAdmin(admin.ModelAdmin):
    list_display = ["reference", "organisation", "external_ref", "status", "found_on"]


@admin.register(Photo)
class PhotoAdmin(ReadOnlyAdmin):
    """Read-only: a photo's state moves only through processing and the face picker."""

    list_display = ["id", "side", "organisation", "status", "rejection_code", "created_at"]
    list_filter = ["status", "side"]
    exclude = ["file"]


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ["prefix", "user", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["prefix", "key_hash"]


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["sequence", "created_at", "actor_label", "action", "object_type", "object_id"]
    list_filter = ["action"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False
