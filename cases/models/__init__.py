"""The `cases` app's models, one module per concern, all under the app label `cases`.

Import from here (`from cases.models import Photo`); the modules are an implementation detail.
"""

from cases.models.access import ApiKey, Organisation, User
from cases.models.audit import AuditEvent, Notification
from cases.models.partners import IdempotencyKey, ReportOutcome, WebhookDelivery, WebhookEndpoint
from cases.models.records import FoundReport, MissingCase, Photo, Sex

__all__ = [
    "ApiKey",
    "AuditEvent",
    "FoundReport",
    "IdempotencyKey",
    "MissingCase",
    "Notification",
    "Organisation",
    "Photo",
    "ReportOutcome",
    "Sex",
    "User",
    "WebhookDelivery",
    "WebhookEndpoint",
]
