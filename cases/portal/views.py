"""The caseworker portal: server-rendered pages. Views validate, call services, render."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages as user_messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import NON_FIELD_ERRORS
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from cases.access.audit_log import audit_event_list, audit_event_rows, audit_events_csv
from cases.access.http import AuthenticatedHttpRequest, form_errors_add, portal
from cases.access.permissions import Action, role_allows, user_can
from cases.audit.trail import audit_record
from cases.models import Photo
from cases.partners.idempotency import (
    KEY_MAX_LENGTH,
    IdempotencyKeyReused,
    case_create_idempotent,
    report_create_idempotent,
)
from cases.portal.forms import (
    AuditFilterForm,
    CaseFilter,
    CaseForm,
    FacePickForm,
    ReportEditForm,
    ReportForm,
)
from cases.portal.uploads import error_summary, photo_choice_read
from cases.records import selectors, services
from cases.records.images import PhotoRejected, photo_pixels
from cases.records.limits import DailyLimitReached
from cases.records.reports import report_update
from cases.records.storage import photo_file_read

# Modules, not names: the views below share these services' names.
from cases.safeguards import erasure, retention
from matching import interfaces as matching
from reunite.kernel.errors import InvalidInput
from reunite.kernel.images import THUMB_SIDE, image_response


@portal()
def dashboard(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    if role_allows(user.role, Action.CANDIDATE_REVIEW):
        return redirect("review-queue")
    notifications = list(selectors.notification_list(user=user, unread_only=True)[:5])
    context: dict[str, Any] = {"notifications": notifications}
    if user_can(user, Action.CASE_VIEW):
        cases = selectors.case_list(user=user)
        context["recent_cases"] = cases.order_by("-created_at")[:5]
        context["case_counts"] = {
            "open": cases.filter(status="open").count(),
            "possible_match": cases.filter(status="possible_match").count(),
        }
    return render(request, "portal/dashboard.html", context)


@portal()
def notification_history(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Every notification, newest first; read ones stay, shown as read."""
    notifications = selectors.notification_list(user=request.user)
    page = Paginator(notifications, 30).get_page(request.GET.get("page"))
    return render(request, "portal/notifications.html", {"page": page, "query": ""})


@portal()
@require_http_methods(["POST"])
def notification_read(request: AuthenticatedHttpRequest, notification_id: int) -> HttpResponse:
    services.notification_mark_read(user=request.user, notification_id=notification_id)
    target = request.POST.get("next", "")
    return redirect("notifications" if target == "notifications" else "dashboard")


def filters_ignored_say(request: AuthenticatedHttpRequest, form: forms.Form) -> None:
    """A filter value that is not understood is left out, and the page says so (never a 500)."""
    for name in form.errors:
        field = form.fields.get(name)
        label = field.label if field is not None and field.label else name
        user_messages.warning(
            request,
            _("The filter “%(filter)s” was not understood, so it was ignored.") % {"filter": label},
        )


@portal(Action.CASE_VIEW)
def case_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    filterset = CaseFilter(request.GET, queryset=selectors.case_list(user=request.user))
    filters_ignored_say(request, filterset.form)
    page = Paginator(filterset.qs, 20).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "portal/case_list.html",
        {"filter": filterset, "page": page, "query": query.urlencode()},
    )


def _removed_page(
    request: AuthenticatedHttpRequest, record: Any, *, refused: str = ""
) -> HttpResponse | None:
    """The one page of an erased or withdrawn record; `refused` says why an action is not
    possible. None while the record is live."""
    removal = selectors.record_removal(owner=record)
    if removal is None:
        return None
    kind = "case" if record._meta.model_name == "missingcase" else "report"
    return render(
        request,
        "portal/record_removed.html",
        {
            "record": record,
            "removal": removal,
            "kind": kind,
            "kind_label": _("Case") if kind == "case" else _("Found-child report"),
            "refused": refused,
            "timeline": selectors.case_timeline(case=record) if kind == "case" else [],
        },
        status=409 if refused else 200,
    )


def _refused_words(record: Any) -> str:
    if record.status == "erased":
        message = _(
            "%(reference)s was erased: its details cannot be edited and it takes no new photos."
        )
    else:
        message = _(
            "%(reference)s was withdrawn: its details cannot be edited and it takes no new photos."
        )
    return message % {"reference": record.reference}


def _upload_done(request: AuthenticatedHttpRequest, response: HttpResponse) -> HttpResponse:
    """After an upload sent by the page's script, name the next page instead of redirecting:
    the browser would fetch it once for the script and again to show it (two audited views).
    """
    if request.headers.get("X-Requested-With") == "XMLHttpRequest" and response.has_header(
        "Location"
    ):
        done = HttpResponse(status=200)
        done["X-Reunite-Location"] = response["Location"]
        return done
    return response


def _idempotency_key(request: AuthenticatedHttpRequest) -> str:
    """The form's `idempotency_key`: a draft made on a device (field capture) is sent with
    the key it was made with, so sending it again returns the record it filed."""
    return request.POST.get("idempotency_key", "").strip()[:KEY_MAX_LENGTH]


@contextmanager
def _idempotency_refused_in_words() -> Iterator[None]:
    """A key already used for other details is a form error, not a 500."""
    try:
        yield
    except IdempotencyKeyReused as exc:
        raise InvalidInput({NON_FIELD_ERRORS: [str(exc)]}) from exc


def _create_with_photos(
    request: AuthenticatedHttpRequest, *, form_class: type, template: str, create: Callable
) -> HttpResponse:
    """A record form with photos: every error is listed at the top and shown where it is."""
    form = form_class(request.POST or None)
    photos = photo_choice_read(request)
    if request.method == "POST":
        photos.files_check()
        accepted = photos.accepted()
        # Each photo stands or falls alone: the record goes in with the good ones, and the
        # next page names the others; only if every chosen photo failed does the form return.
        if form.is_valid() and not photos.errors and (accepted or not photos.entries):
            try:
                done = create(form.cleaned_data, photos.uploads(accepted))
                for words in photos.refusals():
                    user_messages.warning(request, words)
                return _upload_done(request, done)
            except PhotoRejected as exc:
                photos.rejection_attach(exc, among=accepted)
            except DailyLimitReached as exc:
                form.add_error(None, str(exc))
            except InvalidInput as exc:
                form_errors_add(form, exc)
    return render(
        request,
        template,
        {"form": form, "errors": error_summary(form=form, photos=photos), **photos.context()},
        status=400 if request.method == "POST" else 200,
    )


@portal(Action.CASE_CREATE)
def case_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    def create(fields: dict, uploads: list[services.PhotoUpload]) -> HttpResponse:
        key = _idempotency_key(request)
        if not key:
            case = services.case_create(user=request.user, photos=uploads, **fields)
            return redirect("case-detail", case_id=case.pk)
        with _idempotency_refused_in_words():
            case, _ = case_create_idempotent(
                user=request.user, idempotency_key=key, photos=uploads, **fields
            )
        return redirect("case-detail", case_id=case.pk)

    return _create_with_photos(
        request, form_class=CaseForm, template="portal/case_form.html", create=create
    )


@portal(Action.CASE_EDIT)
def case_edit(request: AuthenticatedHttpRequest, case_id: int) -> HttpResponse:
    case = selectors.case_get(user=request.user, case_id=case_id, action=Action.CASE_EDIT)
    removed = _removed_page(request, case, refused=_refused_words(case))
    if removed is not None:
        return removed
    form = CaseForm(request.POST or None, instance=case)
    if request.method == "POST" and form.is_valid():
        changed = {name: form.cleaned_data[name] for name in form.changed_data}
        try:
            # Saved untouched: nothing to write, audit or re-check.
            if changed:
                services.case_update(user=request.user, case=case, **changed)
        except InvalidInput as exc:
            form_errors_add(form, exc)
        else:
            return redirect("case-detail", case_id=case.pk)
    return render(
        request,
        "portal/case_form.html",
        {"form": form, "case": case, "errors": error_summary(form=form)},
        status=400 if request.method == "POST" else 200,
    )


@portal(Action.CASE_VIEW)
def case_detail(request: AuthenticatedHttpRequest, case_id: int) -> HttpResponse:
    case = selectors.case_get(user=request.user, case_id=case_id)
    services.record_page_view(user=request.user, owner=case)
    services.notifications_read_for_link(user=request.user, link=f"/cases/{case.pk}/")
    removed = _removed_page(request, case)
    if removed is not None:
        return removed
    candidates = (
        matching.candidates_for_case(case=case)
        .select_related("found_report__organisation", "resolution")
        .prefetch_related("decisions")
    )
    return render(
        request,
        "portal/case_detail.html",
        {
            "case": case,
            "photos": case.photos.all(),
            "candidates": candidates,
            "reunifications": matching.reunifications_for_case(case=case),
            "timeline": selectors.case_timeline(case=case),
            "can_add_photo": user_can(request.user, Action.PHOTO_ADD),
            "can_edit": user_can(request.user, Action.CASE_EDIT),
        },
    )


def _add_photos(request: AuthenticatedHttpRequest, owner, redirect_to: str) -> HttpResponse:
    removed = _removed_page(request, owner, refused=_refused_words(owner))
    if removed is not None:
        return removed
    photos = photo_choice_read(request, required=True)
    if request.method == "POST":
        photos.files_check()
        accepted = photos.accepted()
        # Each photo stands or falls alone: the good ones are added, the record's page names
        # the others with their reasons.
        if not photos.errors and accepted:
            try:
                services.photos_add(
                    user=request.user, owner=owner, uploads=photos.uploads(accepted)
                )
                for words in photos.refusals():
                    user_messages.warning(request, words)
                return _upload_done(request, redirect(redirect_to, owner.pk))
            except PhotoRejected as exc:
                photos.rejection_attach(exc, among=accepted)
            except DailyLimitReached as exc:
                photos.errors.append(str(exc))
            except InvalidInput as exc:
                photos.errors.extend(exc.messages)
    return render(
        request,
        "portal/photo_add.html",
        {
            "owner": owner,
            # A found child is photographed as found: no age-progressed image on that side.
            "found_side": owner._meta.model_name == "foundreport",
            "errors": error_summary(photos=photos),
            **photos.context(),
        },
        status=400 if request.method == "POST" else 200,
    )


@portal(Action.PHOTO_ADD)
def case_photo_add(request: AuthenticatedHttpRequest, case_id: int) -> HttpResponse:
    case = selectors.case_get(user=request.user, case_id=case_id, action=Action.PHOTO_ADD)
    return _add_photos(request, case, "case-detail")


@portal(Action.REPORT_VIEW)
def report_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    reports = selectors.report_list(user=request.user)
    query = request.GET.get("q", "").strip()
    if "\x00" in query:  # PostgreSQL cannot compare text with NUL bytes: a 500, not a search
        user_messages.warning(request, _("The search was not understood, so it was ignored."))
        query = ""
    if query:
        reports = reports.filter(external_ref__icontains=query) | reports.filter(
            reference__icontains=query
        )
    page = Paginator(reports, 20).get_page(request.GET.get("page"))
    return render(request, "portal/report_list.html", {"page": page, "q": query})


@portal(Action.REPORT_CREATE)
def report_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    def create(fields: dict, uploads: list[services.PhotoUpload]) -> HttpResponse:
        with _idempotency_refused_in_words():
            report, _ = report_create_idempotent(
                user=request.user,
                idempotency_key=_idempotency_key(request),
                photos=uploads,
                **fields,
            )
        return redirect("report-detail", report_id=report.pk)

    return _create_with_photos(
        request, form_class=ReportForm, template="portal/report_form.html", create=create
    )


@portal(Action.REPORT_VIEW)
def report_detail(request: AuthenticatedHttpRequest, report_id: int) -> HttpResponse:
    report = selectors.report_get(user=request.user, report_id=report_id)
    services.record_page_view(user=request.user, owner=report)
    removed = _removed_page(request, report)
    if removed is not None:
        return removed
    return render(
        request,
        "portal/report_detail.html",
        {
            "report": report,
            "photos": report.photos.all(),
            "can_add_photo": user_can(request.user, Action.PHOTO_ADD),
            "can_edit": user_can(request.user, Action.REPORT_EDIT),
        },
    )


@portal(Action.REPORT_EDIT)
def report_edit(request: AuthenticatedHttpRequest, report_id: int) -> HttpResponse:
    report = selectors.report_get(user=request.user, report_id=report_id, action=Action.REPORT_EDIT)
    removed = _removed_page(request, report, refused=_refused_words(report))
    if removed is not None:
        return removed
    form = ReportEditForm(request.POST or None, instance=report)
    if request.method == "POST" and form.is_valid():
        changed = {name: form.cleaned_data[name] for name in form.changed_data}
        try:
            if changed:
                report_update(user=request.user, report=report, **changed)
        except InvalidInput as exc:
            form_errors_add(form, exc)
        else:
            return redirect("report-detail", report_id=report.pk)
    return render(
        request,
        "portal/report_form.html",
        {"form": form, "report": report, "errors": error_summary(form=form)},
        status=400 if request.method == "POST" else 200,
    )


@portal(Action.PHOTO_ADD)
def report_photo_add(request: AuthenticatedHttpRequest, report_id: int) -> HttpResponse:
    report = selectors.report_get(user=request.user, report_id=report_id, action=Action.PHOTO_ADD)
    return _add_photos(request, report, "report-detail")


def _box_percent(photo: Photo, x: int, y: int, w: int, h: int) -> dict[str, float]:
    return {
        "left": 100 * x / photo.width,
        "top": 100 * y / photo.height,
        "width": 100 * w / photo.width,
        "height": 100 * h / photo.height,
    }


@portal(Action.PHOTO_SELECT_FACE)
def photo_select_face(request: AuthenticatedHttpRequest, photo_id: int) -> HttpResponse:
    """Choose the child's face, draw a box around it, or say the child is not in the photo.

    Two steps: the choice is shown back for confirmation, and only "Save" changes anything.
    """
    photo = selectors.photo_get(
        user=request.user, photo_id=photo_id, action=Action.PHOTO_SELECT_FACE
    )
    faces = matching.photo_faces(photo=photo)
    current = next((f for f in faces if f.is_selected), None)
    error, confirm = None, None
    form = FacePickForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        choice, box = form.cleaned_data["choice"], form.box()
        face = next((f for f in faces if f"face-{f.pk}" == choice), None)
        no_face = False
        try:
            if choice == "draw":
                if box is None:
                    raise InvalidInput(
                        _("Draw a box around the child's face on the photo, or type its position.")
                    )
                matching.photo_face_box_check(photo=photo, **box)
                # Checked before the person confirms, so they are told and can say why.
                no_face = not matching.drawn_box_face_found(photo=photo, **box)
            elif choice != "reject" and face is None:
                raise InvalidInput(_("Choose one of the outlined faces."))
            reason = request.POST.get("no_face_reason", "").strip()
            if not form.cleaned_data.get("confirm") or (no_face and not reason):
                if form.cleaned_data.get("confirm"):
                    error = _("Say why this is the child's face: no face detector finds one here.")
                confirm = {"choice": choice, "face": face, "box": box, "no_face": no_face}
                if face is not None:
                    confirm["outline"] = _box_percent(photo, face.x, face.y, face.w, face.h)
                elif box is not None:
                    confirm["outline"] = _box_percent(photo, **box)
            else:
                if choice == "draw" and box is not None:
                    matching.photo_face_draw(
                        user=request.user,
                        photo=photo,
                        reason=reason,
                        face_found=not no_face,
                        **box,
                    )
                    user_messages.success(
                        request, _("Saved: the face you outlined will be compared.")
                    )
                elif choice == "reject":
                    matching.photo_reject_child_not_outlined(user=request.user, photo=photo)
                    user_messages.success(
                        request, _("Saved: the photo is set aside, not compared.")
                    )
                elif face is not None:
                    matching.photo_face_select(user=request.user, photo=photo, face_id=face.pk)
                    user_messages.success(
                        request,
                        _("Saved: face %(number)s is the child's and is compared.")
                        % {"number": face.ordinal + 1},
                    )
                return redirect(_owner_url(photo))
        except InvalidInput as exc:
            error = " ".join(exc.messages)
    elif request.method == "POST":
        if any(name in form.errors for name in ("x", "y", "w", "h")):
            error = _("The box must be given in whole pixels inside the photo. Draw it again.")
        else:
            error = _("Choose one of the outlined faces, draw a box, or say the child is not here.")
    context = {
        "photo": photo,
        "faces": [
            {
                "id": f.pk,
                "ordinal": f.ordinal + 1,
                "current": f.is_selected,
                "drawn": f.detector_score == 0,
                **_box_percent(photo, f.x, f.y, f.w, f.h),
            }
            for f in faces
        ],
        "current": current,
        "current_ordinal": current.ordinal + 1 if current else None,
        "error": error,
        "confirm": confirm,
        "min_face_pixels": settings.MIN_FACE_PIXELS,
        "posted": form.data if request.method == "POST" else {},
    }
    return render(request, "portal/photo_select_face.html", context, status=400 if error else 200)


@portal(Action.PHOTO_ADD)
def photo_remove(request: AuthenticatedHttpRequest, photo_id: int) -> HttpResponse:
    """Remove a wrong photo, after a confirmation with the reason; a photo in a candidate is
    refused in words (it can only be set aside)."""
    photo = selectors.photo_get(user=request.user, photo_id=photo_id, action=Action.PHOTO_ADD)
    held = matching.photo_candidate_ids(photo=photo)
    error, reason = "", request.POST.get("reason", "")
    if request.method == "POST":
        try:
            if held:
                matching.photo_set_aside(user=request.user, photo=photo, reason=reason)
                done = _("The photo is set aside; the possible matches are re-scored without it.")
            else:
                erasure.photo_remove(user=request.user, photo=photo, reason=reason)
                done = _("The photo is removed, with its faces and file.")
        except InvalidInput as exc:
            error = " ".join(exc.messages)
        else:
            user_messages.success(request, done)
            return redirect(_owner_url(photo))
    return render(
        request,
        "portal/photo_remove.html",
        {"photo": photo, "held": held, "error": error, "reason": reason, "back": _owner_url(photo)},
        status=400 if error else 200,
    )


def _owner_url(photo: Photo) -> str:
    if photo.side == Photo.Side.CASE:
        return reverse("case-detail", args=[photo.case_id])
    return reverse("report-detail", args=[photo.found_report_id])


@portal(Action.PHOTO_ADD)
def photo_status(request: AuthenticatedHttpRequest, photo_id: int) -> HttpResponse:
    """A small fragment for live status updates on the case page."""
    photo = selectors.photo_get(user=request.user, photo_id=photo_id, action=Action.PHOTO_ADD)
    return render(request, "portal/_photo_status.html", {"photo": photo})


@login_required
def photo_image(request: AuthenticatedHttpRequest, photo_id: int, variant: str) -> HttpResponse:
    """Serve one photo (full or thumbnail) to someone entitled to see it.

    A full photo's view is audited here. The owning organisation's thumbnails are part of
    the page that shows them, whose view is audited once (`record_page_view`); anyone
    else's fetch (a reviewer's, the case owner's after a confirmation) is audited here,
    thumbnails included, since no audited page of theirs names the photo.
    """
    try:
        photo = Photo.objects.select_related("case", "found_report").get(pk=photo_id)
    except Photo.DoesNotExist as exc:
        raise Http404("No such photo.") from exc
    own = photo.organisation_id == request.user.organisation_id and user_can(
        request.user, Action.PHOTO_VIEW
    )
    if not (
        own
        or matching.photo_viewable_by_reviewer(user=request.user, photo=photo)
        # The found child's best photo, for the case owner once reviewers confirmed.
        or matching.photo_viewable_by_case_owner(user=request.user, photo=photo)
    ):
        raise Http404("No such photo.")
    if variant != "thumb" or not own:
        audit_record(
            actor=request.user, action="photo.viewed", obj=photo, data={"variant": variant}
        )
    pixels = photo_pixels(jpeg=photo_file_read(path=photo.file))
    return image_response(pixels, max_side=THUMB_SIDE if variant == "thumb" else None)


@portal(Action.CASE_EDIT)
def case_close(request: AuthenticatedHttpRequest, case_id: int) -> HttpResponse:
    case = selectors.case_get(user=request.user, case_id=case_id, action=Action.CASE_EDIT)
    removed = _removed_page(request, case, refused=_refused_words(case))
    if removed is not None:
        return removed
    error = None
    if request.method == "POST" and request.POST.get("confirm") != "yes":
        error = _("Tick the box to confirm: closing starts the countdown to erasing the photos.")
    elif request.method == "POST":
        try:
            retention.case_close(
                user=request.user, case=case, outcome=request.POST.get("outcome", "")
            )
        except InvalidInput as exc:
            error = " ".join(exc.messages)
        else:
            return redirect("case-detail", case_id=case.pk)
    return render(
        request,
        "portal/case_close.html",
        {"case": case, "error": error, "retention_days": settings.CASE_RETENTION_DAYS},
        status=400 if error else 200,
    )


@portal(Action.CASE_EDIT)
def case_consent_withdraw(request: AuthenticatedHttpRequest, case_id: int) -> HttpResponse:
    case = selectors.case_get(user=request.user, case_id=case_id, action=Action.CASE_EDIT)
    removed = _removed_page(request, case, refused=_refused_words(case))
    if removed is not None:
        return removed
    error, reason = None, request.POST.get("reason", "")
    if request.method == "POST" and request.POST.get("confirm") != "yes":
        error = _("Tick the box to confirm that the photos and face data are erased now.")
    elif request.method == "POST":
        try:
            erasure.case_consent_withdraw(user=request.user, case=case, reason=reason)
        except InvalidInput as exc:
            error = " ".join(exc.messages)
        else:
            return redirect("case-detail", case_id=case.pk)
    return render(
        request,
        "portal/case_consent_withdraw.html",
        {"case": case, "error": error, "reason": reason},
        status=400 if error else 200,
    )


@portal(Action.AUDIT_VIEW)
def audit_log(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The organisation's audit trail (all of it for operators), with filters and CSV export."""
    form = AuditFilterForm(request.GET or None)
    filters = {}
    if form.is_bound:
        form.is_valid()
        # The fields that are understood still filter; the others are said to be ignored.
        filters = form.filters()
        filters_ignored_say(request, form)
    if request.GET.get("format") == "csv":
        response = HttpResponse(content_type="text/csv")
        response["Content-Disposition"] = 'attachment; filename="reunite-audit.csv"'
        # HttpResponse is file-like (write()), which is all the CSV writer needs.
        audit_events_csv(user=request.user, out=response, **filters)  # type: ignore[arg-type]
        return response
    events = audit_event_list(user=request.user, **filters)
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    rows = audit_event_rows(user=request.user, events=page.object_list)
    return render(
        request,
        "portal/audit_log.html",
        {"form": form, "page": page, "rows": rows, "query": query.urlencode()},
    )
