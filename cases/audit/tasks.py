"""Celery tasks for the audit trail (sealing, on the `default` queue) and notifications."""

from __future__ import annotations

import logging
import smtplib

from celery import shared_task

from reunite.kernel.tasks import RETRY_POLICY, TRANSIENT_ERRORS

logger = logging.getLogger(__name__)

# A mail server that hung up or could not be reached is tried again, with the same limit.
TRANSIENT_SMTP = (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError)


@shared_task(**RETRY_POLICY)
def audit_seal_task() -> int:
    """Seal what is waiting; queued after each audited commit and every minute by beat."""
    # Imported here, the service sends this module's tasks: a top import would cycle.
    from cases.audit.trail import audit_seal

    return audit_seal()


@shared_task(**RETRY_POLICY)
def audit_verify_task() -> int:
    """The daily `audit_verify`, on the `default` worker beside the checkpoint file. A
    problem is logged at ERROR (alert on it); returns the number of problem lines."""
    # Imported here, the service sends this module's tasks: a top import would cycle.
    from cases.audit.trail import audit_check

    check = audit_check()
    if check.problems:
        logger.error("Audit trail check failed:\n%s", "\n".join(check.problems))
    else:
        logger.info(
            "Audit chain intact: %s records verified, %s checkpoints compared",
            check.checked,
            check.compared,
        )
    return len(check.problems)


@shared_task(**{**RETRY_POLICY, "autoretry_for": (*TRANSIENT_ERRORS, *TRANSIENT_SMTP)})
def notification_email_task(notification_id: int) -> bool:
    # Imported here, the service sends this module's tasks: a top import would cycle.
    from cases.audit.notifications import notification_email_send

    return notification_email_send(notification_id=notification_id)
