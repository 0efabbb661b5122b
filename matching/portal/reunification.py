"""The case owner's pages after a confirmation: record each reunification step."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from cases.access.http import AuthenticatedHttpRequest, portal
from cases.access.permissions import Action
from cases.records import selectors
from matching import interfaces as matching
from reunite.kernel.errors import InvalidInput


@portal(Action.CASE_EDIT)
def reunification_step(
    request: AuthenticatedHttpRequest, case_id: int, candidate_id: int
) -> HttpResponse:
    """Record one step (contact made, verification, reunion...) with the caseworker's note."""
    case = selectors.case_get(user=request.user, case_id=case_id, action=Action.CASE_EDIT)
    if not case.candidates.filter(pk=candidate_id).exists():
        raise Http404("No such possible match.")
    if request.method != "POST":
        # The form lives on the case page; another organisation's case was a 404 above.
        return redirect("case-detail", case_id=case.pk)
    stage, note = request.POST.get("stage", ""), request.POST.get("note", "")
    try:
        matching.reunification_step_record(
            user=request.user, candidate_id=candidate_id, stage=stage, note=note
        )
    except ObjectDoesNotExist as exc:
        raise Http404("No such possible match.") from exc
    except InvalidInput as exc:
        return render(
            request,
            "portal/case_detail_reunification_error.html",
            {
                "case": case,
                "errors": exc.messages,
                "reunifications": matching.reunifications_for_case(case=case),
                "form_candidate": candidate_id,
                "form_stage": stage,
                "form_note": note,
            },
            status=400,
        )
    messages.success(request, _("Step recorded."))
    return redirect("case-detail", case_id=case.pk)
