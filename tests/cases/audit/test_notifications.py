"""Notification e-mails: a link to the page, a plain-text and an HTML part, sent once."""

import smtplib

import pytest
from django.core import mail

from cases.audit.notifications import notification_create, notification_email_send
from cases.models import AuditEvent, Notification

pytestmark = pytest.mark.django_db


def _notify(user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return notification_create(
            user=user,
            message="Possible match for case MC-1: contact the family.",
            link="/cases/7/",
            email_subject="Reunite: possible match for case MC-1",
            email_detail="Two reviewers confirmed it. Nothing has been done automatically.",
        )


def test_the_email_links_to_the_page_in_both_parts(
    caseworker, settings, django_capture_on_commit_callbacks
):
    settings.BASE_URL = "https://reunite.example.org"
    notification = _notify(caseworker, django_capture_on_commit_callbacks)

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [caseworker.email]
    assert message.subject == "Reunite: possible match for case MC-1"
    assert "https://reunite.example.org/cases/7/" in message.body
    assert "Two reviewers confirmed it." in message.body
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    assert 'href="https://reunite.example.org/cases/7/"' in html
    assert "<strong>Possible match for case MC-1: contact the family.</strong>" in html
    notification.refresh_from_db()
    assert notification.emailed_at is not None
    event = AuditEvent.objects.get(action="notification.emailed")
    assert event.object_id == str(notification.pk)
    assert event.data == {"recipient": caseworker.username, "subject": message.subject}


def test_it_is_sent_once(caseworker, django_capture_on_commit_callbacks):
    notification = _notify(caseworker, django_capture_on_commit_callbacks)
    assert notification_email_send(notification_id=notification.pk) is False
    assert len(mail.outbox) == 1
    assert AuditEvent.objects.filter(action="notification.emailed").count() == 1


def test_a_dashboard_only_notification_is_not_emailed(
    caseworker, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        notification = notification_create(user=caseworker, message="Hello.", link="/")
    assert mail.outbox == []
    assert notification_email_send(notification_id=notification.pk) is False


def test_a_user_without_an_address_gets_no_email(caseworker, django_capture_on_commit_callbacks):
    caseworker.email = ""
    caseworker.save()
    _notify(caseworker, django_capture_on_commit_callbacks)
    assert mail.outbox == []
    assert Notification.objects.get().message.startswith("Possible match")


def test_a_mail_server_that_hangs_up_is_tried_again(caseworker, monkeypatch, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False  # a worker retries; in-process tasks do not
    notification = notification_create(
        user=caseworker, message="M.", link="/cases/1/", email_subject="S"
    )

    def hang_up(*args, **kwargs):
        raise smtplib.SMTPServerDisconnected("gone")

    monkeypatch.setattr("django.core.mail.EmailMultiAlternatives.send", hang_up)
    with pytest.raises(smtplib.SMTPServerDisconnected):
        notification_email_send(notification_id=notification.pk)
    notification.refresh_from_db()
    assert notification.emailed_at is None  # free for the retry

    monkeypatch.undo()
    assert notification_email_send(notification_id=notification.pk) is True
    assert len(mail.outbox) == 1


def test_a_refused_address_is_not_retried(caseworker, monkeypatch):
    notification = notification_create(
        user=caseworker, message="M.", link="/cases/1/", email_subject="S"
    )

    def refuse(*args, **kwargs):
        raise smtplib.SMTPRecipientsRefused({caseworker.email: (550, b"no such user")})

    monkeypatch.setattr("django.core.mail.EmailMultiAlternatives.send", refuse)
    assert notification_email_send(notification_id=notification.pk) is False


def test_in_process_tasks_do_not_retry_inside_the_request(caseworker, monkeypatch, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    notification = notification_create(
        user=caseworker, message="M.", link="/cases/1/", email_subject="S"
    )

    def unreachable(*args, **kwargs):
        raise smtplib.SMTPConnectError(421, b"try later")

    monkeypatch.setattr("django.core.mail.EmailMultiAlternatives.send", unreachable)
    assert notification_email_send(notification_id=notification.pk) is False
    notification.refresh_from_db()
    assert notification.emailed_at is None
