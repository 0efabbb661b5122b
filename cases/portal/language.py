"""The reader's language: a signed-in user's profile language on every request, the
switcher every page carries, and "Your account", where the profile language is chosen.

Before sign-in Django's LocaleMiddleware picks the language from the language cookie (set
by the switcher), else from the browser's Accept-Language (docs/i18n.md).
"""

from __future__ import annotations

from collections.abc import Callable

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from cases.access.accounts import user_language_set
from cases.access.http import AuthenticatedHttpRequest, portal
from reunite.kernel.errors import InvalidInput


def language_codes() -> set[str]:
    return {code for code, _name in settings.LANGUAGES}


def _profile_language(request: HttpRequest) -> str:
    """The signed-in user's chosen language, if it is still one the service offers."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return ""
    language = getattr(user, "language", "") or ""
    return language if language in language_codes() else ""


def _language_cookie_set(response: HttpResponse, *, language: str) -> None:
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )


class UserLanguageMiddleware:
    """After AuthenticationMiddleware: a signed-in user's profile language wins over the
    cookie and the browser's. The cookie is brought in line, so the sign-out and sign-in
    pages stay in that language on this browser."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        language = _profile_language(request)
        if language:
            translation.activate(language)
            request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        # The switcher's own answer already carries the new choice.
        language = _profile_language(request)
        if (
            language
            and settings.LANGUAGE_COOKIE_NAME not in response.cookies
            and request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME) != language
        ):
            _language_cookie_set(response, language=language)
        return response


@require_POST
def language_choose(request: HttpRequest) -> HttpResponse:
    """The switcher (a plain form, no script): Django's `set_language` sets the cookie and
    goes back to `next`; a signed-in user's profile language is saved too (audited). An
    empty choice, offered on "Your account", goes back to following the browser."""
    language = request.POST.get("language", "")
    if language and language not in language_codes():
        # Django's view ignores an unknown code and just goes back.
        return set_language(request)
    if request.user.is_authenticated:
        request.user = user_language_set(user=request.user, language=language)
    response = set_language(request)
    if not language:
        response.delete_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            path=settings.LANGUAGE_COOKIE_PATH,
            domain=settings.LANGUAGE_COOKIE_DOMAIN,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        )
    return response


class AccountLanguageForm(forms.Form):
    language = forms.ChoiceField(
        label=gettext_lazy("Language of your pages and e-mails"),
        required=False,
        help_text=gettext_lazy(
            "Until you choose one, Reunite follows your browser's language setting."
        ),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["language"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", _("Same as my browser")), *settings.LANGUAGES]


@portal()
def account_profile(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Your account: who you are here, and the language of your pages and e-mails."""
    if request.method == "POST":
        form = AccountLanguageForm(request.POST)
        if form.is_valid():
            try:
                user = user_language_set(user=request.user, language=form.cleaned_data["language"])
            except InvalidInput as exc:
                form.add_error("language", exc.messages)
            else:
                request.user = user
                if user.language:
                    # The confirmation is read on the next page, in the new language.
                    translation.activate(user.language)
                messages.success(request, _("Your language is saved."))
                response = redirect("account-profile")
                if user.language:
                    _language_cookie_set(response, language=user.language)
                else:
                    response.delete_cookie(settings.LANGUAGE_COOKIE_NAME)
                return response
    else:
        form = AccountLanguageForm(initial={"language": request.user.language})
    return render(request, "portal/account.html", {"form": form})
