"""The audit trail's rows and the notifications shown to people."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from cases.models.access import Organisation


class AuditEvent(models.Model):
    """An append-only, hash-chained record of who did what to which object, and when.

    `mac` is the HMAC of the row's own content (with `nonce`), made by `audit_record` in the
    INSERT. `sequence`, `prev_hash` and `hash` are empty until `audit_seal` seals the record
    into the chain (moments after its transaction commits). See cases/audit/trail.py.
    """

    sequence = models.BigIntegerField(unique=True, null=True, blank=True)
    created_at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=150)
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=64)
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    data = models.JSONField(default=dict, blank=True)
    nonce = models.CharField(max_length=32, blank=True, default="")
    # Empty only on rows sealed before migration 0012, which their chain links still cover.
    mac = models.CharField(max_length=64, unique=True, null=True, blank=True)
    prev_hash = models.CharField(max_length=64, blank=True)
    hash = models.CharField(max_length=64, unique=True, null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["object_type", "object_id"]),
            models.Index(fields=["organisation", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"#{self.sequence} {self.action} {self.object_type}:{self.object_id}"


class Notification(models.Model):
    """A message on a user's dashboard (and usually an e-mail too)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    message = models.CharField(max_length=300)
    # A path in the portal (`/cases/12/`); e-mails prefix it with REUNITE_BASE_URL.
    link = models.CharField(max_length=200, blank=True)
    # A notification with a subject is e-mailed too; the detail is the e-mail's own paragraph.
    email_subject = models.CharField(max_length=200, blank=True)
    email_detail = models.TextField(blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.message


# --- Partner API ---------------------------------------------------------------------------
