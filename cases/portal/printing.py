"""The case on paper: a one-click PDF summary (WeasyPrint) for an in-person verification, a
family meeting or a court. Audited like a photo view: it carries the child's photos."""

from __future__ import annotations

import base64
import io

from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image

from cases.access.audit_log import account_name
from cases.access.http import AuthenticatedHttpRequest, portal
from cases.access.permissions import Action
from cases.models import MissingCase, Photo
from cases.records import selectors, services
from cases.records.images import photo_pixels
from cases.records.storage import photo_file_read
from matching import interfaces as matching
from reunite.kernel.images import THUMB_SIDE


def _photo_data_uri(photo: Photo) -> str:
    """The photo inlined, so the PDF renderer fetches nothing (every photo URL is behind
    sign-in)."""
    image = Image.fromarray(photo_pixels(jpeg=photo_file_read(path=photo.file)))
    image.thumbnail((THUMB_SIDE, THUMB_SIDE))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=85)
    return "data:image/jpeg;base64," + base64.b64encode(out.getvalue()).decode()


def case_summary_html(*, request: AuthenticatedHttpRequest, case: MissingCase) -> str:
    printed_at = timezone.now()
    photos = [p for p in case.photos.all() if p.file]
    return render_to_string(
        "portal/case_summary_pdf.html",
        {
            "case": case,
            "photos": [
                {
                    "photo": p,
                    "number": n,
                    "src": _photo_data_uri(p) if p.kind == Photo.Kind.PHOTO else "",
                }
                for n, p in enumerate(photos, start=1)
            ],
            "candidates": matching.candidates_for_case(case=case)
            .select_related("found_report", "resolution")
            .prefetch_related("decisions"),
            "reunifications": matching.reunifications_for_case(case=case),
            "timeline": selectors.case_timeline(case=case),
            "organisation": case.organisation,
            "printed_by": account_name(user=request.user, full=True),
            "printed_at": printed_at,
            "signers": [
                _("Caseworker"),
                _("Guardian, family member or witness"),
                _("Official"),
            ],
        },
        request=request,
    )


@portal(Action.CASE_VIEW)
def case_summary_pdf(request: AuthenticatedHttpRequest, case_id: int) -> HttpResponse:
    # Imported here: WeasyPrint loads Pango through cffi, which only this page needs.
    from weasyprint import HTML

    case = selectors.case_get(user=request.user, case_id=case_id)
    if case.status == MissingCase.Status.ERASED:
        from django.shortcuts import redirect

        return redirect("case-detail", case_id=case.pk)
    html = case_summary_html(request=request, case=case)
    pdf = HTML(string=html, base_url=None).write_pdf()
    services.case_summary_printed(user=request.user, case=case)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{case.reference}-summary.pdf"'
    # A child's photos must not linger in shared caches or browser history.
    response["Cache-Control"] = "private, no-store"
    return response
