"""Human review of candidates. Nothing here acts outside Reunite except one e-mail."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import formats, translation
from django.utils.translation import gettext as _

from cases.access.permissions import Action, action_require
from cases.audit.notifications import notification_create
from cases.audit.trail import audit_record
from cases.models import MissingCase, User

# The module, not its names: it loads matching's interface, which loads this module.
from cases.records import services as case_services
from matching.models import Candidate, DisputeResolution, ReviewDecision
from matching.review.outcomes import outcome_changed
from matching.selectors import case_is_closed
from reunite.kernel.errors import InvalidInput, NotAllowed, model_validate

CONFIRMATIONS_REQUIRED = 2
# Review is over for these: a decision on them is refused.
CLOSED_STATUSES = (
    Candidate.Status.CONFIRMED,
    Candidate.Status.WITHDRAWN,
    Candidate.Status.REJECTED,
    Candidate.Status.NOT_SAME_CHILD,
)


def reviewer_conflict(*, user: User, candidate: Candidate) -> str | None:
    """Why this user may not review this candidate, or None if they may."""
    case, report = candidate.case, candidate.found_report
    if user.organisation_id in (case.organisation_id, report.organisation_id):
        return _("You belong to an organisation that filed one side of this candidate.")
    uploaders = {case.created_by_id, report.created_by_id}
    uploaders |= set(case.photos.values_list("uploaded_by_id", flat=True))
    uploaders |= set(report.photos.values_list("uploaded_by_id", flat=True))
    if user.pk in uploaders:
        return _("You uploaded one side of this candidate.")
    return None


@transaction.atomic
def candidate_decide(
    *, user: User, candidate: Candidate, decision: str, note: str
) -> ReviewDecision:
    """Record one reviewer's decision and move the candidate on by the two-person rule.

    Two different, unconflicted reviewers confirming make it `confirmed`; any reject or
    unsure makes it `disputed`.
    """
    candidate = _candidate_locked_for(
        user=user, candidate=candidate, action=Action.CANDIDATE_REVIEW
    )
    if candidate.status in CLOSED_STATUSES:
        raise InvalidInput(
            # Translators: the status is the candidate's, in lower case ("confirmed").
            _("This candidate is already %(status)s.")
            % {"status": candidate.get_status_display().lower()}
        )
    _case_open_require(candidate=candidate)
    if not note.strip():
        raise InvalidInput({"note": _("A note is required with every decision.")})
    if decision not in ReviewDecision.Decision.values:
        raise InvalidInput({"decision": _("Choose confirm, reject or unsure.")})
    try:
        with transaction.atomic():
            record = ReviewDecision.objects.create(
                candidate=candidate, reviewer=user, decision=decision, note=note.strip()
            )
    except IntegrityError as exc:
        raise InvalidInput(_("You have already recorded a decision on this candidate.")) from exc
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
    outcome_changed(report_id=candidate.found_report_id)
    if candidate.status == Candidate.Status.CONFIRMED:
        _candidate_confirmed(candidate=candidate, senior=None)
    return record


@transaction.atomic
def candidate_resolve(
    *, user: User, candidate: Candidate, decision: str, reason: str
) -> DisputeResolution:
    """A senior reviewer's final decision on a disputed candidate, after reading every note.

    "Same child" needs at least one reviewer who also said so (a senior alone never makes a
    confirmation); it then goes to the case owner like any confirmation. "Not the same
    child" closes the candidate as rejected.
    """
    candidate = _candidate_locked_for(user=user, candidate=candidate, action=Action.DISPUTE_RESOLVE)
    if candidate.status != Candidate.Status.DISPUTED:
        raise InvalidInput(_("Only a disputed candidate takes a final decision."))
    _case_open_require(candidate=candidate)
    if decision not in DisputeResolution.Decision.values:
        raise InvalidInput({"decision": _("Choose same child or not the same child.")})
    if not reason.strip():
        raise InvalidInput({"reason": _("A reason is required with a final decision.")})
    others_confirm = (
        candidate.decisions.filter(decision=ReviewDecision.Decision.CONFIRM)
        .exclude(reviewer=user)
        .exists()
    )
    if decision == DisputeResolution.Decision.CONFIRM and not others_confirm:
        raise InvalidInput(
            _("No other reviewer said “same child”: a final “same child” needs one who did.")
        )
    resolution = DisputeResolution(
        candidate=candidate, resolved_by=user, decision=decision, reason=reason.strip()
    )
    model_validate(resolution)
    resolution.save()
    audit_record(
        actor=user,
        action=f"candidate.resolved.{decision}",
        obj=candidate,
        data={"reason": reason.strip()[:500]},
    )
    if decision == DisputeResolution.Decision.CONFIRM:
        candidate.status = Candidate.Status.CONFIRMED
        candidate.save(update_fields=["status", "updated_at"])
        _candidate_confirmed(candidate=candidate, senior=resolution)
    else:
        candidate.status = Candidate.Status.REJECTED
        candidate.save(update_fields=["status", "updated_at"])
    outcome_changed(report_id=candidate.found_report_id)
    return resolution


def _case_open_require(*, candidate: Candidate) -> None:
    case = candidate.case
    if case_is_closed(case=case):
        values = {"status": case.get_status_display().lower()}
        if case.closed_at:
            values["date"] = formats.date_format(case.closed_at, "DATE_FORMAT")
            # Translators: status is the case's, in lower case ("reunited", "closed").
            message = _(
                "This child's case was closed as %(status)s on %(date)s: no decision is needed."
            )
        else:
            message = _("This child's case was closed as %(status)s: no decision is needed.")
        raise InvalidInput(message % values)


def _candidate_confirmed(*, candidate: Candidate, senior: DisputeResolution | None) -> None:
    """`senior` is the final decision that confirmed it after reviewers disagreed."""
    case = candidate.case
    case_services.case_possible_match_set(case_id=case.pk)
    audit_record(
        actor=None,
        action="candidate.confirmed_after_dispute" if senior else "candidate.confirmed",
        obj=candidate,
        organisation=case.organisation,
    )
    recipient = case.created_by
    # Written in the case owner's language (stored; docs/i18n.md).
    with translation.override(recipient.mail_language):
        values = {"reference": case.reference}
        if senior:
            # Never "contact the family": a confirmation is a lead to verify in person first.
            message = _(
                "Possible match for case %(reference)s (a senior reviewer confirmed): verify "
                "in person before telling the family anything."
            )
            detail = _(
                "Reviewers disagreed; a senior reviewer confirmed a possible match for case "
                "%(reference)s. The senior reviewer's reason: “%(reason)s”. Open the case to "
                "see it, and verify in person before telling the family anything. Nothing has "
                "been done automatically."
            )
            values["reason"] = senior.reason
        else:
            message = _(
                "Possible match for case %(reference)s (confirmed by two reviewers): verify in "
                "person before telling the family anything."
            )
            detail = _(
                "Two reviewers independently confirmed a possible match for case "
                "%(reference)s. Open the case to see it, and verify in person before telling "
                "the family anything. Nothing has been done automatically."
            )
        notification_create(
            user=recipient,
            message=message % values,
            link=f"/cases/{case.pk}/",
            email_subject=_("Reunite: possible match for case %(reference)s") % values,
            email_detail=detail % values,
        )


@transaction.atomic
def candidate_withdraw(*, actor: User | None, candidate: Candidate, reason: str) -> Candidate:
    """Take a candidate made in error out of review (an operator's data fix), with a reason.

    `actor=None` is the `candidate_withdraw` command, run by an operator on the server: the
    admin is read-only, so this is the audited way to correct a candidate.
    """
    if actor is not None:
        action_require(user=actor, action=Action.ALL_ORGANISATIONS)
    if not reason.strip():
        raise InvalidInput({"reason": _("A withdrawal needs a recorded reason.")})
    candidate = Candidate.objects.select_for_update().select_related("case").get(pk=candidate.pk)
    if candidate.status == Candidate.Status.WITHDRAWN:
        return candidate
    previous = candidate.status
    candidate.status = Candidate.Status.WITHDRAWN
    candidate.save(update_fields=["status", "updated_at"])
    outcome_changed(report_id=candidate.found_report_id)
    case = case_reopen_unless_confirmed(case_id=candidate.case_id)
    audit_record(
        actor=actor,
        action="candidate.withdrawn",
        obj=candidate,
        organisation=case.organisation,
        data={"from": previous, "reason": reason.strip()[:500]},
    )
    return candidate


def case_reopen_unless_confirmed(*, case_id: int) -> MissingCase:
    """A candidate stopped being a confirmed match: the case is open again, unless another
    confirmed candidate is still waiting on its owner's verification."""
    others = Candidate.objects.filter(case_id=case_id, status=Candidate.Status.CONFIRMED)
    if others.exists():
        return MissingCase.objects.get(pk=case_id)
    return case_services.case_reopen(case_id=case_id)


def _candidate_locked_for(*, user: User, candidate: Candidate, action: Action) -> Candidate:
    """The candidate, locked, once the user's role allows `action` and no conflict of
    interest stands in the way."""
    action_require(user=user, action=action)
    locked = (
        Candidate.objects.select_for_update()
        .select_related("case", "found_report")
        .get(pk=candidate.pk)
    )
    conflict = reviewer_conflict(user=user, candidate=locked)
    if conflict:
        raise NotAllowed(conflict)
    return locked
