"""The organisation's profile: the named contact other organisations see after a confirmation."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _

from cases.access.accounts import organisation_contact_update, organisation_field_capture_update
from cases.access.http import AuthenticatedHttpRequest, form_errors_add, portal
from cases.access.permissions import Action, user_organisation
from reunite.kernel.errors import InvalidInput


class ContactForm(forms.Form):
    contact_name = forms.CharField(label=_("Contact person"), max_length=200, required=False)
    contact_email = forms.EmailField(label=_("Contact e-mail"), required=False)
    contact_phone = forms.CharField(
        label=_("Contact phone"),
        max_length=40,
        required=False,
        help_text=_("With the country code, e.g. +44 20 7946 0000."),
    )


class FieldCaptureForm(forms.Form):
    """Field capture (docs/field-capture.md): the organisation's rules for its devices."""

    offline_draft_hours = forms.IntegerField(
        label=_("Hours a draft may stay on a device"),
        min_value=1,
        max_value=168,
        help_text=_(
            "Drafts saved without a connection are erased after this, sent or not "
            "(1 to 168; 24 by default)."
        ),
    )
    photo_upload_original = forms.BooleanField(
        label=_("Send photos at their original size"),
        required=False,
        help_text=_(
            "Off: photos are made 1,600 px on the long side on the device before they "
            "are sent (a 4 MB photo goes up as about 0.2 MB). On: only if you need the originals."
        ),
    )


def _field_capture(request: AuthenticatedHttpRequest, organisation) -> FieldCaptureForm:
    """The field-capture form, bound when it is the one posted."""
    posted = request.method == "POST" and request.POST.get("form") == "field_capture"
    return FieldCaptureForm(
        request.POST if posted else None,
        initial={
            "offline_draft_hours": organisation.offline_draft_hours,
            "photo_upload_original": organisation.photo_upload_original,
        },
        prefix="capture",
    )


@portal(Action.ORGANISATION_EDIT)
def organisation_profile(request: AuthenticatedHttpRequest) -> HttpResponse:
    organisation = user_organisation(user=request.user)
    initial = {
        "contact_name": organisation.contact_name,
        "contact_email": organisation.contact_email,
        "contact_phone": organisation.contact_phone,
    }
    capture = _field_capture(request, organisation)
    if capture.is_bound:
        if capture.is_valid():
            organisation_field_capture_update(actor=request.user, **capture.cleaned_data)
            messages.success(request, _("Rules for drafts on devices saved."))
            return redirect("organisation-profile")
        return render(
            request,
            "portal/organisation_profile.html",
            {
                "form": ContactForm(initial=initial),
                "capture": capture,
                "organisation": organisation,
            },
            status=400,
        )
    form = ContactForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            organisation_contact_update(actor=request.user, **form.cleaned_data)
        except InvalidInput as exc:
            form_errors_add(form, exc)
        else:
            messages.success(request, _("Contact saved."))
            return redirect("organisation-profile")
    return render(
        request,
        "portal/organisation_profile.html",
        {"form": form, "capture": capture, "organisation": organisation},
        status=400 if request.method == "POST" else 200,
    )
