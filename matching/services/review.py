"""Human review of candidates. Nothing here acts outside Reunite except one e-mail."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from cases.access.permissions import Action, action_require
from cases.audit.notifications import notification_create
from cases.audit.trail import audit_record
from cases.models import MissingCase, User
from matching.models import Candidate, ReviewDecision

CONFIRMATIONS_REQUIRED = 2


def reviewer_conflict(*, user: User, candidate: Candidate) -> str | None:
    """Why this user may not review this candidate, or None if they may."""
    case, report = candidate.case, candidate.found_report
    if user.organisation_id in (case.organisation_id, report.organisation_id):
        return "You belong to an organisation that filed one side of this candidate."
    uploaders = {case.created_by_id, report.created_by_id}
    uploaders |= set(case.photos.values_list("uploaded_by_id", flat=True))
    uploaders |= set(report.photos.values_list("uploaded_by_id", flat=True))
    if user.pk in uploaders:
        return "You uploaded one side of this candidate."
    return None


@transaction.atomic
def candidate_decide(
    *, user: User, candidate: Candidate, decision: str, note: str
) -> ReviewDecision:
    """Record one reviewer's decision and move the candidate on by the two-person rule.

    Two different, unconflicted reviewers confirming make it `confirmed`; any reject or
    unsure makes it `disputed`.
    """
    action_require(user=user, action=Action.CANDIDATE_REVIEW)
    candidate = (
        Candidate.objects.select_for_update()
        .select_related("case", "found_report")
        .get(pk=candidate.pk)
    )
    conflict = reviewer_conflict(user=user, candidate=candidate)
    if conflict:
        raise PermissionDenied(conflict)
    if candidate.status in (Candidate.Status.CONFIRMED, Candidate.Status.WITHDRAWN):
        raise ValidationError(
            f"This candidate is already {candidate.get_status_display().lower()}."
        )
    if not note.strip():
        raise ValidationError({"note": "A note is required with every decision."})
    if decision not in ReviewDecision.Decision.values:
        raise ValidationError({"decision": "Choose confirm, reject or unsure."})
    try:
        with transaction.atomic():
            record = ReviewDecision.objects.create(
                candidate=candidate, reviewer=user, decision=decision, note=note.strip()
            )
    except IntegrityError as exc:
        raise ValidationError("You have already recorded a decision on this candidate.") from exc
    audit_record(
        actor=user,
        action=f"candidate.decision.{decision}",
        obj=candidate,
        data={"note": note.strip()[:500]},
    )

    if decision != ReviewDecision.Decision.CONFIRM:
        candidate.status = Candidate.Status.DISPUTED
    elif candidate.status == Candidate.Status.PENDING:
        confirmations = (
            candidate.decisions.filter(decision=ReviewDecision.Decision.CONFIRM)
            .values("reviewer")
            .distinct()
            .count()
        )
        if confirmations >= CONFIRMATIONS_REQUIRED:
            candidate.status = Candidate.Status.CONFIRMED
    candidate.save(update_fields=["status", "updated_at"])
    if candidate.status == Candidate.Status.CONFIRMED:
        _candidate_confirmed(candidate=candidate)
    return record


def _candidate_confirmed(*, candidate: Candidate) -> None:
    case = candidate.case
    MissingCase.objects.filter(pk=case.pk).update(status=MissingCase.Status.POSSIBLE_MATCH)
    audit_record(
        actor=None, action="candidate.confirmed", obj=candidate, organisation=case.organisation
    )
    notification_create(
        user=case.created_by,
        message=f"Possible match for case {case.reference}: contact the family.",
        link=f"/cases/{case.pk}/",
        email_subject=f"Reunite: possible match for case {case.reference}",
        email_detail=(
            f"Two reviewers independently confirmed a possible match for case "
            f"{case.reference}. Open the case to see it and decide how to contact the family."
        ),
    )
