"""The partner API's bookkeeping: idempotency keys, told outcomes, webhooks."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from cases.models.access import Organisation
from cases.models.records import FoundReport, MissingCase


class IdempotencyKey(models.Model):
    """An `Idempotency-Key` an organisation sent with a create request, and what it created.

    The unique constraint settles two concurrent requests with the same key: the second
    transaction fails and answers with the first one's result.
    """

    class Scope(models.TextChoices):
        REPORT = "report", "Found report"
        CASE = "case", "Missing case"

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    scope = models.CharField(max_length=8, choices=Scope.choices)
    key = models.CharField(max_length=200)
    # SHA-256 of the request's fields and files: the same key with another body is refused.
    fingerprint = models.CharField(max_length=64)
    found_report = models.ForeignKey(
        FoundReport, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    case = models.ForeignKey(
        MissingCase, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "scope", "key"], name="idempotency_key_unique_per_org"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.scope}:{self.key}"


class ReportOutcome(models.Model):
    """The coarse outcome last told to the report's organisation; webhooks fire on change."""

    found_report = models.OneToOneField(
        FoundReport, on_delete=models.CASCADE, primary_key=True, related_name="notified_outcome"
    )
    outcome = models.CharField(max_length=32)
    changed_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.found_report_id}: {self.outcome}"


class WebhookEndpoint(models.Model):
    """A URL an organisation registered to be told when a report's outcome changes."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="webhook_endpoints"
    )
    url = models.URLField(max_length=500)
    # The HMAC needs the secret itself, so it is encrypted (cases.records.storage), not hashed.
    # Shown to the partner once, at registration.
    secret = models.CharField(max_length=400)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    disabled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.url


class WebhookDelivery(models.Model):
    """One event for one endpoint, and what happened when we tried to deliver it."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to be delivered"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Gave up"

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    event_type = models.CharField(max_length=64)
    payload = models.JSONField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.event_type} → {self.endpoint_id} ({self.status})"
