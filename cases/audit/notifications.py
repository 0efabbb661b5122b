"""Notifications: a line on the user's dashboard, and an e-mail with a link to the page.

The e-mail has a plain-text and an HTML part (templates/emails/notification.*), and its
link is REUNITE_BASE_URL + the notification's portal path, which asks the reader to sign in.
It is sent by `notification_email_task` after the commit, retried while the mail server is
unreachable, and sent once: `emailed_at` is claimed before sending. Each e-mail sent is
audited (`notification.emailed`: recipient's username and subject, not the address).
"""

from __future__ import annotations

import logging
import smtplib

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from cases.audit.tasks import TRANSIENT_SMTP, notification_email_task
from cases.audit.trail import audit_record
from cases.models import Notification, User
from reunite.kernel.errors import model_validate

logger = logging.getLogger(__name__)

# Worth another try later; anything else (a refused address) is logged and dropped.
TRANSIENT_SMTP_ERRORS: tuple[type[BaseException], ...] = (
    *TRANSIENT_SMTP,
    ConnectionError,
    TimeoutError,
)


def notification_url(*, notification: Notification) -> str:
    return f"{settings.BASE_URL}{notification.link}" if notification.link else settings.BASE_URL


@transaction.atomic
def notification_create(
    *, user: User, message: str, link: str = "", email_subject: str = "", email_detail: str = ""
) -> Notification:
    """Show `message` on the user's dashboard; with a subject, e-mail it too (on commit).

    Write `message`, `email_subject` and `email_detail` in the recipient's language: build
    them inside `translation.override(user.mail_language)` (docs/i18n.md: they are stored).
    """
    notification = Notification(
        user=user,
        message=message[:300],
        link=link,
        email_subject=email_subject[:200],
        email_detail=email_detail,
    )
    model_validate(notification)
    notification.save()
    if email_subject and user.email:
        transaction.on_commit(lambda: notification_email_task.delay(notification.pk), robust=True)
    return notification


def notification_email_build(*, notification: Notification) -> EmailMultiAlternatives:
    """The e-mail, in the recipient's language (`User.mail_language`), whoever's request or
    task sends it. Its subject and words were written in that language by the caller."""
    with translation.override(notification.user.mail_language):
        return _notification_email_render(notification=notification)


def _notification_email_render(*, notification: Notification) -> EmailMultiAlternatives:
    subject = notification.email_subject
    context = {
        "subject": subject,
        "message": notification.message,
        "detail": notification.email_detail,
        "url": notification_url(notification=notification),
        "name": notification.user.get_full_name() or notification.user.get_username(),
    }
    email = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("emails/notification.txt", context),
        to=[notification.user.email],
    )
    email.attach_alternative(render_to_string("emails/notification.html", context), "text/html")
    return email


def notification_email_send(*, notification_id: int) -> bool:
    """Send the notification's e-mail once. False when there is nothing (more) to send."""
    claimed = (
        Notification.objects.filter(pk=notification_id, emailed_at__isnull=True)
        .exclude(email_subject="")
        .update(emailed_at=timezone.now())
    )
    if not claimed:
        return False  # gone, or already sent
    notification = Notification.objects.select_related("user").get(pk=notification_id)
    if not notification.user.email:
        return False
    try:
        notification_email_build(notification=notification).send()
    except TRANSIENT_SMTP_ERRORS:
        # Not sent: free the claim so the retry sends it.
        Notification.objects.filter(pk=notification_id).update(emailed_at=None)
        if settings.CELERY_TASK_ALWAYS_EAGER:
            # In-process tasks would retry inside the reviewer's request; the dashboard
            # still shows the notification.
            logger.warning(
                "Mail server unreachable; notification %s not e-mailed.", notification_id
            )
            return False
        raise
    except (smtplib.SMTPException, OSError):
        logger.exception("E-mail for notification %s was refused; not retried.", notification_id)
        return False
    # Who was sent what (the subject names a case reference, never a child), not the address.
    audit_record(
        actor=None,
        action="notification.emailed",
        obj=notification,
        organisation=notification.user.organisation,
        data={"recipient": notification.user.get_username(), "subject": notification.email_subject},
    )
    return True
