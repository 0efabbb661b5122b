"""Celery task for the audit trail: seal what the on-commit hooks left (a process died first)."""

from __future__ import annotations

from celery import shared_task

from reunite.tasks import RETRY_POLICY


@shared_task(**RETRY_POLICY)
def audit_seal_task() -> int:
    from cases.audit.trail import audit_seal

    return audit_seal()
