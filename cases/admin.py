"""The operators' /admin/ for cases: read-only, but for an organisation's details (audited).

Accounts change only in the portal (the organisation's admin) and children's records only
through services and the audited commands: see docs/permissions.md, "Who changes accounts
and data".
"""

from axes import admin as axes_admin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.auth.models import Group
from django.http import HttpRequest
from django_otp.plugins.otp_totp.models import TOTPDevice

from cases.access.admin import AuditedAdmin, LookOnly, ReadOnlyAdmin
from cases.models import ApiKey, AuditEvent, FoundReport, MissingCase, Organisation, Photo, User

# Groups hold Django permissions, which Reunite does not use (the matrix decides), and a
# second factor's secret must not be readable or replaceable by an operator.
for _model in (Group, TOTPDevice):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)


# Sign-in attempts and lockouts: read-only (a lockout ends by itself after its cool-off).
class AccessAttemptAdmin(LookOnly, axes_admin.AccessAttemptAdmin):
    actions = None


class AccessLogAdmin(LookOnly, axes_admin.AccessLogAdmin):
    actions = None


class AccessFailureLogAdmin(LookOnly, axes_admin.AccessFailureLogAdmin):
    actions = None


for _model, _admin in (
    (AccessAttempt, AccessAttemptAdmin),
    (AccessLog, AccessLogAdmin),
    (AccessFailureLog, AccessFailureLogAdmin),
):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)
    admin.site.register(_model, _admin)


@admin.register(Organisation)
class OrganisationAdmin(AuditedAdmin):
    """An operator adds an organisation and corrects its name, contact and daily limits.

    Approving and pausing go through `manage.py organisation_approve` / `organisation_pause`;
    the kind and purpose decide what its users may be, so they are set once, when added.
    """

    allow_add = True
    list_display = ["name", "kind", "purpose", "approved_at", "paused_at", "contact_name"]
    fields = [
        "name",
        "kind",
        "purpose",
        "contact_name",
        "contact_email",
        "contact_phone",
        "daily_report_limit",
        "daily_photo_limit",
        "time_zone",
        "offline_draft_hours",
        "photo_upload_original",
        "approved_at",
        "paused_at",
        "paused_reason",
    ]

    def get_readonly_fields(self, request: HttpRequest, obj: object = None) -> list[str]:
        always = ["approved_at", "paused_at", "paused_reason"]
        return always if obj is None else ["kind", "purpose", *always]


@admin.register(User)
class ReuniteUserAdmin(ReadOnlyAdmin):
    """Accounts are read-only here: their organisation's admin runs them in the portal."""

    list_display = ["username", "organisation", "role", "is_active", "last_login"]
    list_filter = ["role", "is_active"]
    search_fields = ["username", "email"]
    fields = [
        "username",
        "first_name",
        "last_name",
        "email",
        "organisation",
        "role",
        "is_active",
        "is_staff",
        "is_superuser",
        "last_login",
        "date_joined",
    ]


@admin.register(MissingCase)
class MissingCaseAdmin(ReadOnlyAdmin):
    list_display = ["reference", "organisation", "status", "last_seen_on"]
    list_filter = ["status", "organisation"]


@admin.register(FoundReport)
class FoundReportAdmin(ReadOnlyAdmin):
    list_display = ["reference", "organisation", "external_ref", "status", "found_on"]


@admin.register(Photo)
class PhotoAdmin(ReadOnlyAdmin):
    """A photo's state moves only through processing, the recovery sweep and the face picker."""

    list_display = ["id", "side", "organisation", "status", "rejection_code", "created_at"]
    list_filter = ["status", "side"]
    exclude = ["file"]


@admin.register(ApiKey)
class ApiKeyAdmin(ReadOnlyAdmin):
    """Keys are made, rotated and revoked on the portal's key page, or by `api_keys`."""

    list_display = ["prefix", "user", "created_at", "last_used_at", "expires_at", "revoked_at"]
    exclude = ["key_hash"]


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["sequence", "created_at", "actor_label", "action", "object_type", "object_id"]
    list_filter = ["action"]
