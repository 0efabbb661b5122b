"""With a broker, audit records are sealed by the worker, which keeps the checkpoint file."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.db import transaction

from cases.audit.trail import audit_record
from cases.models import AuditEvent
from tests.support.waiting import wait_for

pytestmark = pytest.mark.e2e


@pytest.fixture
def worker_checkpoints(monkeypatch, tmp_path):
    """The worker's checkpoint file, not this process's (requested before `pipeline`)."""
    path = tmp_path / "worker-checkpoints"
    monkeypatch.setenv("REUNITE_AUDIT_CHECKPOINT_FILE", str(path))
    return path


def test_the_worker_seals_what_the_web_process_commits(
    worker_checkpoints, pipeline, caseworker, settings
):
    if pipeline is None:
        pytest.skip("needs Redis: the embedded default seals in-process")
    settings.CELERY_TASK_ALWAYS_EAGER = False  # this process is a web process with a broker

    with transaction.atomic():
        for action in ("case.created", "photo.added", "case.updated"):
            audit_record(actor=caseworker, action=action, obj=caseworker)

    wait_for(
        lambda: not AuditEvent.objects.filter(sequence__isnull=True).exists(),
        what="the worker's seal",
    )
    # The worker sealed and wrote the checkpoint; this process did neither.
    assert worker_checkpoints.is_file()
    assert not settings.AUDIT_CHECKPOINT_FILE.exists()
    settings.AUDIT_CHECKPOINT_FILE = worker_checkpoints
    out = io.StringIO()
    call_command("audit_verify", stdout=out)
    assert "Audit chain intact: 3 records verified" in out.getvalue()
