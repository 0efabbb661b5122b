"""After two confirmations: the steps the case owner records, up to reunion or hand-over.

Every step is a person's decision with a note, audited; nothing here acts on a score. A
verification that finds a different child puts both records back into matching and tells
the reviewers who confirmed, so they can learn from it.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from cases.access.permissions import Action, action_require
from cases.audit.trail import audit_record
from cases.models import MissingCase, Notification, User
from matching.models import (
    Candidate,
    DisputeResolution,
    ReunificationStage,
    ReunificationStep,
    ReviewDecision,
)
from matching.selectors import reunification_stages_open

Stage = ReunificationStage


@transaction.atomic
def reunification_step_record(
    *, user: User, candidate: Candidate, stage: str, note: str
) -> ReunificationStep:
    """Record one step the case owner took on a confirmed candidate, with their note."""
    action_require(user=user, action=Action.CASE_EDIT)
    candidate = (
        Candidate.objects.select_for_update()
        .select_related("case__created_by", "found_report")
        .get(pk=candidate.pk)
    )
    case = candidate.case
    if case.organisation_id != user.organisation_id:
        raise PermissionDenied("Only the case's own organisation records its reunification.")
    if candidate.status != Candidate.Status.CONFIRMED:
        raise ValidationError("Steps are recorded only on a confirmed possible match.")
    if not note.strip():
        raise ValidationError({"note": "A note is required with every step."})
    steps = list(candidate.reunification_steps.all())
    if stage not in reunification_stages_open(steps=steps):
        if stage not in Stage.values:
            raise ValidationError({"stage": "Choose one of the steps."})
        raise ValidationError({"stage": "That step does not follow the steps recorded so far."})

    step = ReunificationStep(candidate=candidate, stage=stage, note=note.strip(), recorded_by=user)
    step.full_clean()
    step.save()
    candidate.reunification_stage = stage
    if stage == Stage.VERIFIED_NOT_SAME:
        candidate.status = Candidate.Status.NOT_SAME_CHILD
    # .save(), not .update(): the outcome receiver tells the report's organisation.
    candidate.save(update_fields=["reunification_stage", "status", "updated_at"])
    audit_record(
        actor=user,
        action=f"reunification.{stage}",
        obj=candidate,
        data={"note": note.strip()[:500]},
    )
    if stage == Stage.VERIFIED_NOT_SAME:
        _back_to_matching(candidate=candidate)
    elif stage == Stage.REUNITED:
        _case_reunited(user=user, case_id=case.pk)
    return step


def _case_reunited(*, user: User, case_id: int) -> None:
    """Reunion ends the case, as `case_close` does: retention counts from here."""
    case = MissingCase.objects.select_for_update().get(pk=case_id)
    previous = case.status
    case.status = MissingCase.Status.REUNITED
    case.closed_at = timezone.now()
    case.save(update_fields=["status", "closed_at", "updated_at"])
    audit_record(
        actor=user,
        action="case.closed",
        obj=case,
        data={"from": previous, "outcome": MissingCase.Status.REUNITED},
    )


def _back_to_matching(*, candidate: Candidate) -> None:
    """The case is open again (unless another match is still being verified); the report
    stays active and keeps being searched. The pair itself is never proposed again: its
    candidate row stays, and a repeated search finds it instead of making a new one.
    """
    case = MissingCase.objects.select_for_update().get(pk=candidate.case_id)
    still_confirmed = case.candidates.filter(status=Candidate.Status.CONFIRMED).exists()
    if case.status == MissingCase.Status.POSSIBLE_MATCH and not still_confirmed:
        case.status = MissingCase.Status.OPEN
        case.save(update_fields=["status", "updated_at"])
    confirmers = set(
        candidate.decisions.filter(decision=ReviewDecision.Decision.CONFIRM).values_list(
            "reviewer_id", flat=True
        )
    )
    confirmers |= set(
        DisputeResolution.objects.filter(
            candidate=candidate, decision=DisputeResolution.Decision.CONFIRM
        ).values_list("resolved_by_id", flat=True)
    )
    # No names and no note: reviewers never see a child's identity.
    Notification.objects.bulk_create(
        Notification(
            user_id=reviewer_id,
            message=(
                f"Candidate #{candidate.pk}, which you confirmed, was checked in person: not "
                "the same child. Look again at the evidence to see what misled."
            ),
            link=f"/review/candidates/{candidate.pk}/",
        )
        for reviewer_id in sorted(confirmers)
    )
