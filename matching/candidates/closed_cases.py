"""A found child who resembles the child of a reunited or closed case: nobody is asked to
review it, and the case's owner hears of it once."""

from __future__ import annotations

from django.db import transaction

from cases.audit.notifications import notification_create
from cases.audit.trail import audit_record
from cases.models import AuditEvent, FoundReport, MissingCase
from matching.selectors import case_is_closed

__all__ = ["case_is_closed", "closed_case_match_note"]


@transaction.atomic
def closed_case_match_note(*, case: MissingCase, report: FoundReport, score: float) -> bool:
    """Record on the case that `report` resembles its child, and tell the case's owner.

    Once per (case, report): each further face pair of the same two records adds nothing.
    Returns True when this call recorded it.
    """
    case = MissingCase.objects.select_for_update().get(pk=case.pk)
    seen = AuditEvent.objects.filter(
        action="case.closed_match_seen",
        object_type="cases.missingcase",
        object_id=str(case.pk),
        data__report=report.reference,
    ).exists()
    if seen or case.status == MissingCase.Status.ERASED:
        return False
    audit_record(
        actor=None,
        action="case.closed_match_seen",
        obj=case,
        organisation=case.organisation,
        data={"report": report.reference, "score": round(score, 4)},
    )
    closed = case.closed_at.strftime("%-d %b %Y") if case.closed_at else "an earlier date"
    status = case.get_status_display().lower()
    notification_create(
        user=case.created_by,
        message=(
            f"A new found-child report resembles the child of case {case.reference}, "
            f"closed as {status} on {closed}. No reviewer was asked to decide."
        ),
        link=f"/cases/{case.pk}/",
        email_subject=f"Reunite: a found-child report resembles closed case {case.reference}",
        email_detail=(
            f"A found-child report filed by another organisation resembles the child of case "
            f"{case.reference}, which you closed as {status} on {closed}. Because the case is "
            "closed, no reviewer was asked to decide and nothing was shared. If the child may "
            "be missing again, register a new case so that matching and review start again."
        ),
    )
    return True
