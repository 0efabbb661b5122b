"""Closing cases, legal holds and the retention sweep that erases what is kept too long."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import transaction
from django.db.models import OuterRef, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.access.permissions import Action, action_require
from cases.audit.trail import audit_record
from cases.models import FoundReport, MissingCase, User

# The module, not its names: erasure loads matching's interface, which loads this module.
from cases.safeguards import erasure
from matching import interfaces as matching
from reunite.kernel.errors import InvalidInput, NotAllowed, model_validate

logger = logging.getLogger(__name__)

CLOSED_STATUSES = (MissingCase.Status.REUNITED, MissingCase.Status.CLOSED)


@transaction.atomic
def case_close(*, user: User, case: MissingCase, outcome: str) -> MissingCase:
    """Mark a case reunited or closed. Its biometric data is erased after the retention period."""
    action_require(user=user, action=Action.CASE_EDIT)
    if case.organisation_id != user.organisation_id:
        raise NotAllowed(_("You may close only your organisation's cases."))
    if outcome not in CLOSED_STATUSES:
        raise InvalidInput({"outcome": _("Choose reunited or closed.")})
    case = MissingCase.objects.select_for_update().get(pk=case.pk)
    if case.status == MissingCase.Status.ERASED:
        raise InvalidInput(_("This case has been erased."))
    previous = case.status
    case.status = outcome
    case.closed_at = timezone.now()
    model_validate(case)
    case.save()
    audit_record(
        actor=user, action="case.closed", obj=case, data={"from": previous, "outcome": outcome}
    )
    # Its candidates still waiting now wait on no reviewer: their partners are told.
    matching.case_closed(case_id=case.pk)
    return case


def _hold_target(obj: MissingCase | FoundReport) -> MissingCase | FoundReport:
    model = type(obj)
    return model.objects.select_for_update().get(pk=obj.pk)


@transaction.atomic
def legal_hold_place(
    *, actor: User | None, obj: MissingCase | FoundReport, reason: str
) -> MissingCase | FoundReport:
    """Keep a case or report from erasure by retention until the hold is lifted.

    `actor=None` is the `legal_hold` command, run by an operator on the server.
    """
    if actor is not None:
        action_require(user=actor, action=Action.LEGAL_HOLD)
    if not reason.strip():
        raise InvalidInput({"reason": _("A legal hold needs a recorded reason.")})
    obj = _hold_target(obj)
    if obj.status == "erased":
        raise InvalidInput(
            _("%(reference)s has already been erased.") % {"reference": obj.reference}
        )
    obj.legal_hold_at = timezone.now()
    obj.legal_hold_reason = reason.strip()[:300]
    model_validate(obj)
    obj.save(update_fields=["legal_hold_at", "legal_hold_reason", "updated_at"])
    audit_record(
        actor=actor,
        action="legal_hold.placed",
        obj=obj,
        organisation=obj.organisation,
        data={"reason": obj.legal_hold_reason},
    )
    return obj


@transaction.atomic
def legal_hold_lift(
    *, actor: User | None, obj: MissingCase | FoundReport, reason: str
) -> MissingCase | FoundReport:
    if actor is not None:
        action_require(user=actor, action=Action.LEGAL_HOLD)
    if not reason.strip():
        raise InvalidInput({"reason": _("Say why the legal hold is lifted.")})
    obj = _hold_target(obj)
    if obj.legal_hold_at is None:
        return obj
    held_for = obj.legal_hold_reason
    obj.legal_hold_at = None
    obj.legal_hold_reason = ""
    obj.save(update_fields=["legal_hold_at", "legal_hold_reason", "updated_at"])
    audit_record(
        actor=actor,
        action="legal_hold.lifted",
        obj=obj,
        organisation=obj.organisation,
        data={"reason": reason.strip()[:300], "was_held_for": held_for},
    )
    return obj


def cases_due_for_erasure(*, now: dt.datetime) -> QuerySet[MissingCase]:
    """Reunited or closed cases past REUNITE_CASE_RETENTION_DAYS, not under a legal hold."""
    cutoff = now - dt.timedelta(days=settings.CASE_RETENTION_DAYS)
    return MissingCase.objects.filter(
        status__in=CLOSED_STATUSES, closed_at__lt=cutoff, legal_hold_at__isnull=True
    ).order_by("closed_at", "pk")


def reports_due_for_erasure(*, now: dt.datetime) -> QuerySet[FoundReport]:
    """Reports older than REUNITE_REPORT_RETENTION_DAYS with no open candidate and no hold."""
    cutoff = now - dt.timedelta(days=settings.REPORT_RETENTION_DAYS)
    return (
        FoundReport.objects.filter(created_at__lt=cutoff, legal_hold_at__isnull=True)
        .exclude(status=FoundReport.Status.ERASED)
        .exclude(matching.open_candidate_exists(found_report_ref=OuterRef("pk")))
        .order_by("created_at", "pk")
    )


def retention_sweep_batch(*, batch_size: int, now: dt.datetime | None = None) -> tuple[int, bool]:
    """Erase up to `batch_size` records that are past retention, each in its own transaction.

    Returns (records erased, whether more may be waiting).
    """
    now = now or timezone.now()
    cases = list(cases_due_for_erasure(now=now)[:batch_size])
    reports = list(reports_due_for_erasure(now=now)[: max(batch_size - len(cases), 0)])
    erased = 0
    for case in cases:
        try:
            erasure.case_biometrics_erase(case=case, actor=None, reason="retention period ended")
            erased += 1
        except InvalidInput:
            logger.warning("Retention could not erase case %s.", case.pk, exc_info=True)
    for report in reports:
        try:
            erasure.report_biometrics_erase(
                report=report, actor=None, reason="retention period ended"
            )
            erased += 1
        except InvalidInput:
            logger.warning("Retention could not erase report %s.", report.pk, exc_info=True)
    # A full batch that made progress may have left more; an unerasable row never loops.
    more = len(cases) + len(reports) == batch_size and erased > 0
    return erased, more
