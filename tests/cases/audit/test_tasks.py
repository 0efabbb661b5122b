"""Sealing runs in one place: the `default` worker, queued after each audited commit (or, with
no broker, the one process of the embedded default)."""

from __future__ import annotations

import pytest
from celery import current_app

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
