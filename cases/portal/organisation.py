"""The organisation's profile: the named contact other organisations see after a confirmation."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render

from cases.access.accounts import organisation_contact_update
from cases.access.http import AuthenticatedHttpRequest
from cases.access.permissions import Action, user_organisation
from cases.portal.http import portal


class ContactForm(forms.Form):
    contact_name = forms.CharField(label="Contact person", max_length=200, required=False)
    contact_email = forms.EmailField(label="Contact e-mail", required=False)
    contact_phone = forms.CharField(
        label="Contact phone",
        max_length=40,
        required=False,
        help_text="With the country code, e.g. +44 20 7946 0000.",
    )


@portal(Action.ORGANISATION_EDIT)
def organisation_profile(request: AuthenticatedHttpRequest) -> HttpResponse:
    organisation = user_organisation(user=request.user)
    initial = {
        "contact_name": organisation.contact_name,
        "contact_email": organisation.contact_email,
        "contact_phone": organisation.contact_phone,
    }
    form = ContactForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            organisation_contact_update(actor=request.user, **form.cleaned_data)
        except DjangoValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, "Contact saved.")
            return redirect("organisation-profile")
    return render(
        request,
        "portal/organisation_profile.html",
        {"form": form, "organisation": organisation},
        status=400 if request.method == "POST" else 200,
    )
