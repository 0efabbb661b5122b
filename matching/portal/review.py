"""The reviewers' approval queue and candidate pages; caseworkers' duplicate decisions."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import formats, timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cases.access.http import AuthenticatedHttpRequest, portal
from cases.access.permissions import Action
from cases.audit.trail import audit_record
from cases.models import FoundReport, MissingCase, Photo
from cases.records.ages import (
    CHILD_AGE_BANDS,
    ages_words,
    case_age_range,
    case_photo_age,
    report_photo_age,
    report_photo_age_known,
    years_between,
)
from cases.records.images import photo_pixels
from cases.records.selectors import notification_list
from cases.records.storage import photo_file_read
from matching.candidates.compatibility import compatibility_check
from matching.candidates.duplicates import duplicate_decide
from matching.evidence.ratios import combined_threshold
from matching.evidence.words import combined_words, evidence_lines
from matching.models import Candidate, CandidatePair, Face, ReviewDecision
from matching.review.decisions import CONFIRMATIONS_REQUIRED, candidate_decide, reviewer_conflict
from matching.selectors import (
    candidate_get,
    candidate_list,
    candidate_next,
    photo_viewable_by_reviewer,
)
from matching.spaces.calibration import age_gap_note, profile_active, score_band
from reunite.kernel.errors import InvalidInput
from reunite.kernel.images import CROP_SIDE, image_response

AGE_BANDS = {f"{low}-{high}": (low, high) for low, high in CHILD_AGE_BANDS}


@portal(Action.CANDIDATE_REVIEW)
def review_queue(
    request: AuthenticatedHttpRequest, status: str = "pending", held_back: bool = False
) -> HttpResponse:
    candidates = candidate_list(
        user=request.user, status=status, held_back=held_back
    ).select_related("case__organisation", "found_report__organisation")
    organisations = sorted(
        {c.case.organisation for c in candidates}
        | {c.found_report.organisation for c in candidates},
        key=lambda o: o.name,
    )
    org = request.GET.get("organisation", "")
    band = request.GET.get("age_band", "")
    # A filter value that is not understood is ignored, and the page says so (never a 500).
    if org and not (org.isdigit() and int(org) in {o.pk for o in organisations}):
        messages.warning(
            request, _("The organisation filter was not understood, so it was ignored.")
        )
        org = ""
    if band and band not in AGE_BANDS:
        messages.warning(request, _("The age band filter was not understood, so it was ignored."))
        band = ""
    if org:
        candidates = candidates.filter(case__organisation_id=org) | candidates.filter(
            found_report__organisation_id=org
        )
    if band:
        low, high = AGE_BANDS[band]
        candidates = candidates.filter(
            found_report__estimated_age_min__lte=high, found_report__estimated_age_max__gte=low
        )
    candidates = candidates.order_by("-evidence_score", "-best_score", "created_at")
    page = Paginator(candidates, 25).get_page(request.GET.get("page"))
    for candidate in page:
        # An attribute for the template only, next to the candidate it describes.
        candidate.band = score_band(  # type: ignore[attr-defined]
            score=candidate.best_score,
            age_gap_years=candidate.age_gap_years,
            fmr=candidate.false_match_rate,
            cell=candidate.age_cell,
            threshold=candidate.threshold,
        )
    # The count of what this page lists (held back or not, after filters), not of another list.
    waiting = page.paginator.count
    return render(
        request,
        "review/queue.html",
        {
            "page": page,
            "status": status,
            "held_back": held_back,
            "waiting": waiting,
            # E.g. "a candidate you confirmed was verified as another child" (learning).
            "notifications": list(notification_list(user=request.user)[:10]),
            "organisations": organisations,
            "age_bands": list(AGE_BANDS),
            "selected_org": org or "",
            "selected_band": band or "",
        },
    )


def _photo_date(photo: Photo) -> str:
    if photo.taken_on:
        return formats.date_format(photo.taken_on, "d M Y")
    return _("date unknown")


def _case_photo_age(case: MissingCase, photo: Photo) -> str:
    """The child's age in a case photo, in words, and where it comes from."""
    if photo.age_in_photo is not None:
        return _("%(age)s (as given)") % {"age": photo.age_in_photo}
    age = case_photo_age(case=case, photo=photo)
    if age is None:
        return _("unknown (no date or age given for this photo)")
    return _("about %(age)s (from the photo's date)") % {"age": math.floor(age)}


def _report_photo_age(report: FoundReport, photo: Photo) -> str:
    """The found child's age in a report photo. An undated photo's age is unknown: matching
    assumes it shows the child as found, but the page does not pretend to know."""
    if photo.age_in_photo is not None:
        return _("%(age)s (as given)") % {"age": photo.age_in_photo}
    if not report_photo_age_known(photo=photo):
        return _("unknown (no date or age given for this photo)")
    age = report_photo_age(report=report, photo=photo)
    return _("about %(age)s (from the photo's date and the estimate)") % {
        "age": math.floor(max(age, 0))
    }


def _pair_gap(case: MissingCase, report: FoundReport, pair: CandidatePair) -> str:
    """Years between the two photos, only when both photos' ages are known."""
    case_photo, report_photo = pair.case_face.photo, pair.report_face.photo
    known = case_photo_age(case=case, photo=case_photo) is not None
    if not known or not report_photo_age_known(photo=report_photo):
        return _("unknown")
    if pair.age_gap_years is None:
        return _("unknown")
    return formats.number_format(pair.age_gap_years, 1)


def _time_between(last_seen: dt.date, found: dt.date) -> str:
    days = (found - last_seen).days
    if days < 0:
        return ngettext(
            "Found %(days)s day before the missing child was last seen: one of the two dates "
            "is probably wrong.",
            "Found %(days)s days before the missing child was last seen: one of the two dates "
            "is probably wrong.",
            -days,
        ) % {"days": -days}
    years = years_between(last_seen, found)
    # Translators: "2 years (800 days)": the years, then the same time in days.
    return ngettext("%(years)s year (%(days)s)", "%(years)s years (%(days)s)", years) % {
        "years": years,
        "days": ngettext("%(days)s day", "%(days)s days", days) % {"days": days},
    }


def _candidate_band(candidate: Candidate, best: dict[str, Any] | None) -> dict[str, str]:
    """The score in words. When the shown photos' age gap is unknown the page says so rather
    than the gap matching assumed (an undated found-child photo taken as the found date)."""
    band = score_band(
        score=candidate.best_score,
        age_gap_years=candidate.age_gap_years,
        fmr=candidate.false_match_rate,
        cell=candidate.age_cell,
        threshold=candidate.threshold,
    )
    explanation = str(band.explanation)
    if best is None or best["gap"] == _("unknown"):
        if candidate.age_gap_years is not None:
            explanation = explanation.replace(age_gap_note(gap=candidate.age_gap_years), "")
        explanation += " " + _("How many years apart the two photos are is unknown.")
    else:
        explanation += " " + _("The photos shown are %(years)s years apart.") % {
            "years": best["gap"]
        }
    return {"key": band.key, "words": band.words, "explanation": explanation}


@portal(Action.CANDIDATE_REVIEW)
def candidate_detail(request: AuthenticatedHttpRequest, candidate_id: int) -> HttpResponse:
    candidate = candidate_get(user=request.user, candidate_id=candidate_id)
    audit_record(actor=request.user, action="candidate.viewed", obj=candidate)
    context = _candidate_context(request, candidate, shown_pair=request.GET.get("pair", ""))
    return render(request, "review/candidate.html", context)


def _candidate_context(
    request: AuthenticatedHttpRequest, candidate: Candidate, *, shown_pair: str = ""
) -> dict:
    case, report = candidate.case, candidate.found_report
    age_then, age_at_found, age_now = (
        case_age_range(case=case, on=day)
        for day in (case.last_seen_on, report.found_on, timezone.localdate())
    )
    pairs: list[dict[str, Any]] = []
    for pair in candidate.pairs.select_related("case_face__photo", "report_face__photo").order_by(
        "-score"
    ):
        case_photo, report_photo = pair.case_face.photo, pair.report_face.photo
        pairs.append(
            {
                "pair": pair,
                "band": score_band(
                    score=pair.score,
                    age_gap_years=pair.age_gap_years,
                    fmr=pair.false_match_rate,
                    cell=pair.age_cell,
                    threshold=pair.threshold,
                ),
                "case_photo": case_photo,
                "report_photo": report_photo,
                "case_date": _photo_date(case_photo),
                "report_date": _photo_date(report_photo),
                "case_age": _case_photo_age(case, case_photo),
                "report_age": _report_photo_age(report, report_photo),
                "gap": _pair_gap(case, report, pair),
            }
        )
    # The pair shown large: the one asked for, else the one matching picked (nearest in age
    # among the best).
    best_ids = (candidate.best_case_face_id, candidate.best_report_face_id)
    best = next(
        (p for p in pairs if str(p["pair"].pk) == shown_pair),
        next(
            (p for p in pairs if (p["pair"].case_face_id, p["pair"].report_face_id) == best_ids),
            pairs[0] if pairs else None,
        ),
    )
    comparison = [
        (_("Sex"), case.get_sex_display(), report.get_sex_display()),
        (
            _("Age"),
            _("%(then)s when last seen; %(found)s on the found date; %(now)s today")
            % {
                "then": ages_words(age_then),
                "found": ages_words(age_at_found),
                "now": ages_words(age_now),
            },
            _("estimated %(ages)s")
            % {"ages": ages_words((report.estimated_age_min, report.estimated_age_max))},
        ),
        (
            _("Date"),
            _("last seen %(date)s") % {"date": formats.date_format(case.last_seen_on, "d M Y")},
            _("found %(date)s") % {"date": formats.date_format(report.found_on, "d M Y")},
        ),
        (_("Place"), case.last_seen_place, report.found_place),
        (_("Time between"), _time_between(case.last_seen_on, report.found_on), ""),
        (
            _("Distinguishing marks"),
            case.distinguishing_marks or _("none recorded"),
            report.notes or _("no notes"),
        ),
    ]
    mine = candidate.decisions.filter(reviewer=request.user).first()
    decisions = list(candidate.decisions.select_related("reviewer")) if mine else []
    confirmations = candidate.decisions.filter(decision=ReviewDecision.Decision.CONFIRM).count()
    return {
        "candidate": candidate,
        "case": case,
        "report": report,
        "pairs": pairs,
        "best": best,
        "comparison": comparison,
        # Worked out now, in today's words; the stored reasons may predate a wording fix.
        "hold_reasons": (
            compatibility_check(case=case, report=report).hold_reasons or candidate.hold_reasons
            if candidate.held_back
            else []
        ),
        "band": _candidate_band(candidate, best),
        "evidence": evidence_lines(evidence=candidate.evidence),
        "evidence_together": combined_words(
            ratio=candidate.likelihood_ratio,
            threshold=combined_threshold(target_fmr=profile_active().target_fmr),
        ),
        "face_weak": candidate.agreeing_pairs == 0,
        "conflict": reviewer_conflict(user=request.user, candidate=candidate),
        "mine": mine,
        "decisions": decisions,
        "next_candidate": candidate_next(user=request.user, after=candidate) if mine else None,
        "confirmations": confirmations,
        "confirmations_required": CONFIRMATIONS_REQUIRED,
        "decision_choices": ReviewDecision.Decision.choices,
        "form_note": "",
        "form_decision": "",
        "form_errors": [],
    }


@portal(Action.CANDIDATE_REVIEW)
def candidate_decision(request: AuthenticatedHttpRequest, candidate_id: int) -> HttpResponse:
    if request.method != "POST":
        return redirect("review-candidate", candidate_id=candidate_id)
    candidate = candidate_get(user=request.user, candidate_id=candidate_id)
    decision = request.POST.get("decision", "")
    note = request.POST.get("note", "")
    try:
        candidate_decide(user=request.user, candidate=candidate, decision=decision, note=note)
    except InvalidInput as exc:
        # Keep what the reviewer typed and say what is wrong next to the form.
        context = _candidate_context(request, candidate)
        context.update(form_note=note, form_decision=decision, form_errors=exc.messages)
        return render(request, "review/candidate.html", context, status=400)
    label = dict(ReviewDecision.Decision.choices).get(decision, decision)
    messages.success(
        request, _("Your decision is recorded: “%(decision)s”.") % {"decision": str(label).lower()}
    )
    return redirect("review-candidate", candidate_id=candidate.pk)


@portal(Action.CANDIDATE_REVIEW)
def face_crop(request: AuthenticatedHttpRequest, face_id: int) -> HttpResponse:
    """A reviewer's large crop of one face of a candidate, audited like every photo view."""
    try:
        face = Face.objects.select_related("photo").get(pk=face_id)
    except Face.DoesNotExist as exc:
        raise Http404("No such face.") from exc
    if not photo_viewable_by_reviewer(user=request.user, photo=face.photo):
        raise Http404("No such face.")
    audit_record(
        actor=request.user,
        action="photo.viewed",
        obj=face.photo,
        data={"variant": "face_crop", "face": face.pk},
    )
    pixels = photo_pixels(jpeg=photo_file_read(path=face.photo.file))
    margin_x, margin_y = int(face.w * 0.4), int(face.h * 0.4)
    top, left = max(0, face.y - margin_y), max(0, face.x - margin_x)
    crop = pixels[top : face.y + face.h + margin_y, left : face.x + face.w + margin_x]
    return image_response(crop, max_side=CROP_SIDE)


@portal(Action.DUPLICATE_DECIDE)
def duplicate_decision(request: AuthenticatedHttpRequest, duplicate_id: int) -> HttpResponse:
    """A caseworker says "same child" or "different children" about a possible duplicate."""
    if request.method != "POST":
        return redirect("dashboard")
    duplicate_decide(
        user=request.user, duplicate_id=duplicate_id, decision=request.POST.get("decision", "")
    )
    target = request.POST.get("next", "")
    # Only back to a page of this site.
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "/"
    return redirect(target)
