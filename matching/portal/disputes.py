"""Disputed candidates: the list, and a senior reviewer's final decision with a reason."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from cases.access.http import AuthenticatedHttpRequest, portal
from cases.access.permissions import Action, user_can
from cases.audit.trail import audit_record
from matching.models import Candidate, DisputeResolution, ReviewDecision

# The reviewer's evidence (faces, every photo pair), so the senior decides with the photos.
from matching.portal.review import _candidate_context as candidate_evidence
from matching.review.decisions import candidate_resolve
from matching.selectors import candidate_list, dispute_list
from reunite.kernel.errors import InvalidInput


def _decision_counts(candidate: Candidate) -> list[tuple[str, int]]:
    labels = dict(ReviewDecision.Decision.choices)
    counts: dict[str, int] = {}
    for decision in candidate.decisions.all():
        counts[decision.decision] = counts.get(decision.decision, 0) + 1
    return [(str(labels[value]), counts[value]) for value in labels if value in counts]


@portal(Action.CANDIDATE_REVIEW)
def dispute_queue(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Every reviewer sees the disputed list; a senior reviewer also sees each note."""
    senior = user_can(request.user, Action.DISPUTE_RESOLVE)
    candidates = (
        candidate_list(user=request.user, status=Candidate.Status.DISPUTED, held_back=None)
        .select_related("case__organisation", "found_report__organisation")
        .prefetch_related("decisions__reviewer")
    )
    page = Paginator(candidates, 25).get_page(request.GET.get("page"))
    listed: list[Candidate] = list(page)
    rows = [{"candidate": c, "counts": _decision_counts(c)} for c in listed]
    if senior and listed:
        # Seniors read every reviewer's note here: one audit row for the page.
        audit_record(
            actor=request.user,
            action="candidate.viewed",
            data={"disputed_list": [c.pk for c in listed]},
        )
    return render(
        request,
        "review/disputes.html",
        {"page": page, "rows": rows, "senior": senior, "total": page.paginator.count},
    )


@portal(Action.DISPUTE_RESOLVE)
def dispute_resolve_view(request: AuthenticatedHttpRequest, candidate_id: int) -> HttpResponse:
    """Every decision and note on one candidate, and the form for the final decision."""
    try:
        candidate = dispute_list(user=request.user).get(pk=candidate_id)
    except Candidate.DoesNotExist:
        resolved = DisputeResolution.objects.filter(
            candidate__in=candidate_list(user=request.user, held_back=None),
            candidate_id=candidate_id,
        ).first()
        if resolved is None:
            raise Http404("No such disputed candidate.") from None
        messages.info(request, _("That dispute already has a final decision."))
        return redirect("review-candidate", candidate_id=candidate_id)
    decision, reason, errors = "", "", []
    if request.method == "POST":
        decision = request.POST.get("decision", "")
        reason = request.POST.get("reason", "")
        try:
            candidate_resolve(
                user=request.user, candidate=candidate, decision=decision, reason=reason
            )
        except InvalidInput as exc:
            errors = exc.messages
        else:
            messages.success(
                request,
                _("Final decision recorded on candidate #%(number)s.") % {"number": candidate.pk},
            )
            return redirect("review-disputed")
    else:
        audit_record(actor=request.user, action="candidate.viewed", obj=candidate)
    evidence = candidate_evidence(request, candidate, shown_pair=request.GET.get("pair", ""))
    return render(
        request,
        "review/dispute_resolve.html",
        {
            **{k: evidence[k] for k in ("case", "report", "pairs", "best", "comparison", "band")},
            "candidate": candidate,
            "decisions": list(candidate.decisions.all()),
            "choices": DisputeResolution.Decision.choices,
            "form_decision": decision,
            "form_reason": reason,
            "errors": errors,
        },
        status=400 if errors else 200,
    )
