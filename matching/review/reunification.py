"""After two confirmations: the steps the case owner records, up to reunion or hand-over.

Every step is a person's decision with a note, audited; nothing here acts on a score. A
verification that finds a different child puts both records back into matching and tells
the reviewers who confirmed, so they can learn from it.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from cases.access.permissions import Action, action_require
from cases.audit.notifications import notification_create
from cases.audit.trail import audit_record
from cases.models import MissingCase, User

# The module, not its names: it loads matching's interface, which loads this module.
from cases.safeguards import retention
from matching.models import (
    Candidate,
    DisputeResolution,
    ReunificationStage,
    ReunificationStep,
    ReviewDecision,
)
from matching.review import decisions
from matching.review.outcomes import outcome_changed
from matching.selectors import reunification_stages_open
from reunite.kernel.errors import InvalidInput, NotAllowed, model_validate

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
        raise NotAllowed(_("Only the case's own organisation records its reunification."))
    if candidate.status != Candidate.Status.CONFIRMED:
        raise InvalidInput(_("Steps are recorded only on a confirmed possible match."))
    if not note.strip():
        raise InvalidInput({"note": _("A note is required with every step.")})
    steps = list(candidate.reunification_steps.all())
    if stage not in reunification_stages_open(steps=steps):
        if stage not in Stage.values:
            raise InvalidInput({"stage": _("Choose one of the steps.")})
        raise InvalidInput({"stage": _("That step does not follow the steps recorded so far.")})

    step = ReunificationStep(candidate=candidate, stage=stage, note=note.strip(), recorded_by=user)
    model_validate(step)
    step.save()
    candidate.reunification_stage = stage
    if stage == Stage.VERIFIED_NOT_SAME:
        candidate.status = Candidate.Status.NOT_SAME_CHILD
    candidate.save(update_fields=["reunification_stage", "status", "updated_at"])
    outcome_changed(report_id=candidate.found_report_id)
    audit_record(
        actor=user,
        action=f"reunification.{stage}",
        obj=candidate,
        data={"note": note.strip()[:500]},
    )
    if stage == Stage.VERIFIED_NOT_SAME:
        _back_to_matching(candidate=candidate)
    elif stage == Stage.REUNITED:
        # Reunion ends the case as closing it does: retention counts from here.
        retention.case_close(user=user, case=case, outcome=MissingCase.Status.REUNITED)
    return step


def _back_to_matching(*, candidate: Candidate) -> None:
    """The case is open again (unless another match is still being verified); the report
    stays active and keeps being searched. The pair itself is never proposed again: its
    candidate row stays, and a repeated search finds it instead of making a new one.
    """
    decisions.case_reopen_unless_confirmed(case_id=candidate.case_id)
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
    for reviewer in User.objects.filter(pk__in=confirmers).order_by("pk"):
        # Written in each reviewer's own language (stored; docs/i18n.md).
        with translation.override(reviewer.mail_language):
            values = {"number": candidate.pk}
            notification_create(
                user=reviewer,
                message=_(
                    "Candidate #%(number)s, which you confirmed, was checked in person: not "
                    "the same child. Look again at the evidence to see what misled."
                )
                % values,
                link=f"/review/candidates/{candidate.pk}/",
                email_subject=_("Reunite: possible match #%(number)s was not the same child")
                % values,
                email_detail=_(
                    "Possible match #%(number)s, which you confirmed, was checked in person by "
                    "the case owner: it is not the same child. Both records are back in "
                    "matching. Open the candidate to look again at the evidence and see what "
                    "misled."
                )
                % values,
            )
