"""The organisation admin's accounts page (`/org/users/`), and the e-mailed links that set a
password (an invitation or a reset), for everyone.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordResetForm
from django.contrib.auth.views import INTERNAL_RESET_SESSION_TOKEN
from django.core.cache import cache
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice

from cases.access.accounts import (
    organisation_user_list,
    user_active_set,
    user_invitation_resend,
    user_invite,
    user_password_set_from_link,
    user_role_set,
    user_second_factor_reset,
)
from cases.access.addresses import client_address
from cases.access.http import AuthenticatedHttpRequest, form_errors_add, portal
from cases.access.permissions import (
    Action,
    role_needs_second_factor,
    roles_for_organisation,
    user_organisation,
)
from cases.audit.trail import audit_record
from cases.models import User
from reunite.kernel.errors import InvalidInput, NotAllowed


def _role_choices(request: AuthenticatedHttpRequest) -> list[tuple[str, str]]:
    organisation = user_organisation(user=request.user)
    return [(r, str(User.Role(r).label)) for r in roles_for_organisation(organisation=organisation)]


class InviteForm(forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    email = forms.EmailField(label=_("E-mail"), help_text=_("The invitation link is sent here."))
    username = forms.CharField(
        label=_("Username"), max_length=150, help_text=_("What they type to sign in.")
    )
    role = forms.ChoiceField(label=_("Role"))

    def __init__(self, *args, roles: list[tuple[str, str]], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["role"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = roles


def _user_get(request: AuthenticatedHttpRequest, user_id: int) -> User:
    user = organisation_user_list(actor=request.user).filter(pk=user_id).first()
    if user is None:
        raise Http404("No such account in your organisation.")
    return user


def _page(request: AuthenticatedHttpRequest, form: InviteForm, *, status: int = 200):
    users = list(organisation_user_list(actor=request.user))
    enrolled = set(
        TOTPDevice.objects.filter(user__in=users, confirmed=True).values_list("user_id", flat=True)
    )
    rows = [
        {
            "user": u,
            "is_self": u.pk == request.user.pk,
            "invited": not u.has_usable_password() and u.last_login is None,
            "second_factor": u.pk in enrolled,
            "needs_second_factor": role_needs_second_factor(u.role),
        }
        for u in users
    ]
    context = {"rows": rows, "form": form, "roles": _role_choices(request)}
    return render(request, "portal/users.html", context, status=status)


def _errors_to_messages(request: AuthenticatedHttpRequest, exc: Exception) -> None:
    if isinstance(exc, InvalidInput):
        messages.error(request, " ".join(exc.messages))
    else:
        messages.error(request, str(exc))


@portal(Action.USER_MANAGE)
@require_http_methods(["GET", "POST"])
def user_index(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The organisation's accounts, and the form that invites one."""
    roles = _role_choices(request)
    if request.method != "POST":
        return _page(request, InviteForm(roles=roles))
    form = InviteForm(request.POST, roles=roles)
    if form.is_valid():
        try:
            user = user_invite(
                actor=request.user,
                organisation=user_organisation(user=request.user),
                **form.cleaned_data,
            )
        except InvalidInput as exc:
            form_errors_add(form, exc)
        else:
            messages.success(
                request,
                _("Invitation sent to %(email)s. %(username)s sets a password from its link.")
                % {"email": user.email, "username": user.username},
            )
            return redirect("org-users")
    return _page(request, form, status=400)


@portal(Action.USER_MANAGE)
@require_POST
def user_change(request: AuthenticatedHttpRequest, user_id: int) -> HttpResponse:
    """One change to one account: its role, deactivate or reactivate, reset its second factor,
    or send its invitation again."""
    user = _user_get(request, user_id)
    change = request.POST.get("change", "")
    try:
        if change == "role":
            before = user.get_role_display()
            user = user_role_set(actor=request.user, user=user, role=request.POST.get("role", ""))
            done = _("%(username)s is now %(role)s (was %(before)s).") % {
                "username": user.username,
                "role": user.get_role_display(),
                "before": before,
            }
        elif change == "deactivate":
            user_active_set(actor=request.user, user=user, active=False)
            done = _("%(username)s is deactivated: they can no longer sign in or use API keys.") % {
                "username": user.username
            }
        elif change == "reactivate":
            user_active_set(actor=request.user, user=user, active=True)
            done = _("%(username)s is active again.") % {"username": user.username}
        elif change == "second_factor":
            user_second_factor_reset(actor=request.user, user=user)
            done = _("%(username)s sets up a new authenticator app at their next sign-in.") % {
                "username": user.username
            }
        elif change == "resend":
            user_invitation_resend(actor=request.user, user=user)
            done = _("A new invitation is on its way to %(email)s.") % {"email": user.email}
        else:
            raise InvalidInput(_("Choose what to change."))
    except (InvalidInput, NotAllowed) as exc:
        _errors_to_messages(request, exc)
    else:
        messages.success(request, done)
    return redirect("org-users")


# --- E-mailed links: password reset requests, and setting a password from a link ----------


class ThrottledPasswordResetForm(PasswordResetForm):
    """Django's reset form; each e-mail it sends is audited (the account, not the address)."""

    def send_mail(self, subject_template_name, email_template_name, context, *args, **kwargs):
        user = context["user"]
        # The account's own language; without one, the language of the page that asked
        # (most likely the owner's browser).
        language = user.mail_language if user.language else translation.get_language()
        with translation.override(language):
            super().send_mail(subject_template_name, email_template_name, context, *args, **kwargs)
        audit_record(
            actor=None,
            action="user.password_reset_requested",
            obj=user,
            organisation=user.organisation,
            data={"username": user.username},
        )


class PasswordResetView(auth_views.PasswordResetView):
    """Always the same answer, whether or not the address is known (no user enumeration);
    past REUNITE_PASSWORD_RESET_PER_HOUR requests from one address, no e-mail goes out."""

    form_class = ThrottledPasswordResetForm
    template_name = "registration/password_reset_form.html"
    email_template_name = "emails/password_reset.txt"
    subject_template_name = "emails/password_reset_subject.txt"
    success_url = reverse_lazy("password_reset_done")

    def form_valid(self, form):
        key = f"password-reset:{client_address(self.request)}"
        cache.add(key, 0, timeout=60 * 60)
        if cache.incr(key) > settings.PASSWORD_RESET_PER_HOUR:
            return HttpResponseRedirect(self.get_success_url())
        # The link in the e-mail is the service's public address, not the request's Host.
        self.extra_email_context = {"base_url": settings.BASE_URL}
        return super().form_valid(form)


class AccountLinkView(auth_views.PasswordResetConfirmView):
    """Set a password from an e-mailed link (an invitation or a reset), then sign in: a role
    with a second factor goes straight on to set it up. The link then no longer works."""

    template_name = "registration/password_set.html"
    post_reset_login = True
    post_reset_login_backend = "django.contrib.auth.backends.ModelBackend"
    success_url = reverse_lazy("dashboard")

    def get_user(self, uidb64):
        # A deactivated account's old link no longer works either.
        user = super().get_user(uidb64)
        return user if user is not None and user.is_active else None

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = getattr(self, "user", None)
        context["invitation"] = (
            user is not None and not user.has_usable_password() and user.last_login is None
        )
        return context

    def form_valid(self, form):
        user = user_password_set_from_link(
            user=form.user, password=form.cleaned_data["new_password1"]
        )
        del self.request.session[INTERNAL_RESET_SESSION_TOKEN]
        login(self.request, user, self.post_reset_login_backend)
        return HttpResponseRedirect(self.get_success_url())
