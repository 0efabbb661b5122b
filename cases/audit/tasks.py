"""Celery tasks for the audit trail (sealing, on the `default` queue) and notifications."""

from __future__ import annotations

import smtplib

from celery import shared_task

from reunite.tasks import RETRY_POLICY, TRANSIENT_ERRORS

# A mail server that hung up or could not be reached is tried again, with the same limit.
TRANSIENT_SMTP = (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError)


@shared_task(**RETRY_POLICY)
def audit_seal_task() -> int:
    """Seal what is waiting; queued after each audited commit and every minute by beat."""
    from cases.audit.trail import audit_seal

    return audit_seal()


@shared_task(**{**RETRY_POLICY, "autoretry_for": (*TRANSIENT_ERRORS, *TRANSIENT_SMTP)})
def notification_email_task(notification_id: int) -> bool:
    from cases.audit.notifications import notification_email_send

    return notification_email_send(notification_id=notification_id)
