"""The organisation admin's API key page: create (shown once), rotate and revoke."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from cases.access.apikeys import apikey_create, apikey_list, apikey_revoke, apikey_rotate
from cases.access.http import AuthenticatedHttpRequest, form_errors_add, portal
from cases.access.permissions import Action, roles_allowed
from cases.models import ApiKey, User
from reunite.kernel.errors import InvalidInput


class ApiKeyForm(forms.Form):
    user = forms.ModelChoiceField(queryset=User.objects.none(), label=_("Account"))
    name = forms.CharField(
        max_length=100,
        required=False,
        label=_("Label"),
        help_text=_("e.g. the system that uses it"),
    )

    def __init__(self, *args, organisation_id: int | None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["user"]
        assert isinstance(field, forms.ModelChoiceField)
        users = User.objects.filter(
            role__in=roles_allowed(Action.APIKEY_HOLD), is_active=True
        ).order_by("username")
        # An operator (no organisation) is offered no accounts: keys belong to organisations.
        field.queryset = (
            users.filter(organisation_id=organisation_id)
            if organisation_id is not None
            else users.none()
        )


def _key_get(request: AuthenticatedHttpRequest, key_id: int) -> ApiKey:
    key = apikey_list(user=request.user).filter(pk=key_id).first()
    if key is None:
        raise Http404("No such key.")
    return key


def _page(request: AuthenticatedHttpRequest, form: ApiKeyForm, **extra: object) -> HttpResponse:
    context = {"keys": apikey_list(user=request.user), "form": form, **extra}
    response = render(request, "portal/apikeys.html", context)
    # The page may hold a secret shown once: never cache it.
    response["Cache-Control"] = "private, no-store"
    return response


@portal(Action.APIKEY_MANAGE)
@require_http_methods(["GET", "POST"])
def apikey_index(request: AuthenticatedHttpRequest) -> HttpResponse:
    organisation_id = request.user.organisation_id
    if request.method == "POST":
        form = ApiKeyForm(request.POST, organisation_id=organisation_id)
        if form.is_valid():
            try:
                api_key, secret = apikey_create(
                    user=form.cleaned_data["user"],
                    created_by=request.user,
                    name=form.cleaned_data["name"],
                )
            except InvalidInput as exc:
                form_errors_add(form, exc)
            else:
                return _page(
                    request,
                    ApiKeyForm(organisation_id=organisation_id),
                    new_secret=secret,
                    new_key=api_key,
                )
        return _page(request, form)
    return _page(request, ApiKeyForm(organisation_id=organisation_id))


@portal(Action.APIKEY_MANAGE)
@require_http_methods(["POST"])
def apikey_rotate_view(request: AuthenticatedHttpRequest, key_id: int) -> HttpResponse:
    api_key = _key_get(request, key_id)
    try:
        new_key, secret = apikey_rotate(api_key=api_key, rotated_by=request.user)
    except InvalidInput as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("apikeys:index")
    # The service set the old key's end on its own copy of the row; show that time.
    api_key.refresh_from_db()
    return _page(
        request,
        ApiKeyForm(organisation_id=request.user.organisation_id),
        new_secret=secret,
        new_key=new_key,
        rotated=api_key,
    )


@portal(Action.APIKEY_MANAGE)
@require_http_methods(["GET", "POST"])
def apikey_revoke_view(request: AuthenticatedHttpRequest, key_id: int) -> HttpResponse:
    """Revoking cannot be undone, so it is asked for on a page of its own, then confirmed."""
    api_key = _key_get(request, key_id)
    if request.method == "POST" and request.POST.get("confirm") == "revoke":
        api_key = apikey_revoke(api_key=api_key, revoked_by=request.user)
        messages.success(
            request,
            _("Key %(prefix)s… is revoked; it no longer works.") % {"prefix": api_key.prefix},
        )
        return redirect("apikeys:index")
    return render(request, "portal/apikey_revoke.html", {"key": api_key})
