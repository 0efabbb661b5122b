"""Sealing runs in one place: the `default` worker, queued after each audited commit (or, with
no broker, the one process of the embedded default)."""

from __future__ import annotations

import logging

import pytest
from celery import current_app
from django.db import connection

from cases.audit import tasks
from cases.audit.trail import audit_record
from cases.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_with_a_broker_the_commit_sends_the_seal_task_and_seals_nothing_itself(
    caseworker, monkeypatch, settings, django_capture_on_commit_callbacks
):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    queued: list[tuple] = []
    monkeypatch.setattr(tasks.audit_seal_task, "delay", lambda *args: queued.append(args))

    with django_capture_on_commit_callbacks(execute=True):
        event = audit_record(actor=caseworker, action="case.viewed", obj=caseworker)

    assert queued == [()]
    assert AuditEvent.objects.get(pk=event.pk).sequence is None


def test_the_seal_task_goes_to_the_default_queue_with_the_checkpoint_file():
    route = current_app.amqp.router.route({}, tasks.audit_seal_task.name)
    assert route["queue"].name == "default"


def test_the_seal_task_seals_what_is_waiting(caseworker):
    event = audit_record(actor=caseworker, action="case.viewed", obj=caseworker)
    assert tasks.audit_seal_task() == 1
    assert AuditEvent.objects.get(pk=event.pk).sequence == 1


def test_without_a_broker_the_commit_seals_in_process(
    caseworker, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(tasks.audit_seal_task, "delay", lambda *args: pytest.fail("queued"))

    with django_capture_on_commit_callbacks(execute=True):
        event = audit_record(actor=caseworker, action="case.viewed", obj=caseworker)

    assert AuditEvent.objects.get(pk=event.pk).sequence == 1


def test_the_daily_check_finds_a_rewritten_record_and_logs_it_at_error(caseworker, caplog):
    for _ in range(3):
        audit_record(actor=caseworker, action="case.viewed", obj=caseworker)
    tasks.audit_seal_task()
    assert tasks.audit_verify_task() == 0
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE cases_auditevent SET action = %s WHERE sequence = 2",
            ["case.erased"],
        )
    with caplog.at_level(logging.ERROR, logger="cases.audit.tasks"):
        assert tasks.audit_verify_task() > 0
    assert "Audit chain broken at record #2" in caplog.text


def test_the_daily_check_is_on_beats_schedule(settings):
    schedule = settings.CELERY_BEAT_SCHEDULE["audit-verify"]
    assert schedule["task"] == tasks.audit_verify_task.name
