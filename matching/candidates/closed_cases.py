"""A found child who resembles the child of a reunited or closed case: nobody is asked to
review it, and the case's owner hears of it once."""

from __future__ import annotations

from django.db import transaction
from django.utils import formats, translation
from django.utils.translation import gettext as _

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
    recipient = case.created_by
    # Written in the case owner's language (stored; docs/i18n.md).
    with translation.override(recipient.mail_language):
        values = {
            "reference": case.reference,
            "status": case.get_status_display().lower(),
            "date": (
                formats.date_format(case.closed_at, "DATE_FORMAT")
                if case.closed_at
                else _("an earlier date")
            ),
        }
        notification_create(
            user=recipient,
            message=_(
                "A new found-child report resembles the child of case %(reference)s, closed as "
                "%(status)s on %(date)s. No reviewer was asked to decide."
            )
            % values,
            link=f"/cases/{case.pk}/",
            email_subject=_("Reunite: a found-child report resembles closed case %(reference)s")
            % values,
            email_detail=_(
                "A found-child report filed by another organisation resembles the child of case "
                "%(reference)s, which you closed as %(status)s on %(date)s. Because the case is "
                "closed, no reviewer was asked to decide and nothing was shared. If the child "
                "may be missing again, register a new case so that matching and review start "
                "again."
            )
            % values,
        )
    return True
