"""Issue 28, phase A: every template string is marked and translated, right to left in
Arabic, and the reader chooses the language (docs/i18n.md).

The pseudo-locale (`en-xa`, test settings only) wraps every message in [[…]]: a page
rendered in it that still shows an English word outside [[…]] has an unmarked string.
"""

from __future__ import annotations

import ast
import datetime as dt
import gettext
import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from cases.management.commands.i18n_messages import PLURAL_FORMS, catalogue_locales
from cases.management.po import placeholders, po_read, pseudo, tags
from cases.models import AuditEvent
from cases.templatetags.dates import day, moment
from tests.factories import UserFactory
from tests.support.otp import force_login_verified

ROOT = Path(__file__).resolve().parents[3]
LOCALE = ROOT / "locale"
PSEUDO = "en-xa"


def _catalogues() -> list[str]:
    return catalogue_locales()


# --- The catalogues ----------------------------------------------------------------------


@pytest.mark.parametrize("locale", _catalogues())
def test_catalogue_is_complete_with_no_fuzzy_message_and_the_same_placeholders(locale):
    catalogue = po_read(LOCALE / locale / "LC_MESSAGES" / "django.po")
    assert catalogue.header_field("Language") == locale
    assert catalogue.header_field("Plural-Forms") == PLURAL_FORMS[locale]
    nplurals = int(re.search(r"nplurals=(\d+)", PLURAL_FORMS[locale]).group(1))
    assert len(catalogue.entries) > 500
    problems = []
    for entry in catalogue.entries:
        where = f"{entry.msgctxt or ''}|{entry.msgid[:60]}"
        if entry.obsolete:
            problems.append(f"obsolete: {where}")
        if entry.fuzzy:
            problems.append(f"fuzzy: {where}")
        if not entry.translated:
            problems.append(f"untranslated: {where}")
            continue
        if entry.msgid_plural:
            if sorted(entry.msgstr) != list(range(nplurals)):
                problems.append(f"{len(entry.msgstr)} plural forms, not {nplurals}: {where}")
            source = set(placeholders(entry.msgid_plural))
            for form in entry.msgstr.values():
                # A form may leave the count out ("one problem"), never add a placeholder.
                if not set(placeholders(form)) <= source:
                    problems.append(f"placeholders differ: {where} → {form}")
                if tags(form) != tags(entry.msgid_plural):
                    problems.append(f"markup differs: {where} → {form}")
            if set().union(*(set(placeholders(f)) for f in entry.msgstr.values())) != source:
                problems.append(f"a placeholder is in no plural form: {where}")
        else:
            text = entry.msgstr[0]
            if placeholders(text) != placeholders(entry.msgid):
                problems.append(f"placeholders differ: {where} → {text}")
            if tags(text) != tags(entry.msgid):
                problems.append(f"markup differs: {where} → {text}")
    assert problems == []


@pytest.mark.parametrize("locale", _catalogues())
def test_compiled_catalogue_matches_its_source(locale):
    """The .mo files are committed (make run needs no gettext): each says what its .po says."""
    folder = LOCALE / locale / "LC_MESSAGES"
    with (folder / "django.mo").open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)._catalog  # type: ignore[attr-defined]
    expected = {}
    for entry in po_read(folder / "django.po").entries:
        msgid = f"{entry.msgctxt}\x04{entry.msgid}" if entry.msgctxt is not None else entry.msgid
        if entry.msgid_plural:
            for index, text in entry.msgstr.items():
                expected[(msgid, index)] = text
        else:
            expected[msgid] = entry.msgstr[0]
    compiled.pop("", None)
    assert compiled == expected, "run `make messages` (it compiles the catalogues)"


def test_pseudo_catalogue_wraps_every_message_and_keeps_placeholders():
    catalogue = po_read(LOCALE / "en_XA" / "LC_MESSAGES" / "django.po")
    for entry in catalogue.entries:
        assert entry.msgstr[0] == pseudo(entry.msgid)
        if entry.msgid_plural:
            assert entry.msgstr[1] == pseudo(entry.msgid_plural)
    assert pseudo("Page %(number)s of %(pages)s") == "[[Page %(number)s of %(pages)s]]"


def test_catalogues_hold_every_marked_message(tmp_path):
    """A scratch copy of the code, run through `makemessages` as `make messages` does,
    finds no message the committed catalogues lack (or no longer use)."""
    if not shutil.which("xgettext"):
        pytest.fail("GNU gettext is needed (make test installs Debian's gettext)")
    copy = tmp_path / "project"
    for name in ["cases", "matching", "reunite", "templates", "locale"]:
        shutil.copytree(
            ROOT / name, copy / name, ignore=shutil.ignore_patterns("__pycache__", "*.mo")
        )
    shutil.copy(ROOT / "manage.py", copy / "manage.py")
    subprocess.run(
        [sys.executable, "manage.py", "i18n_messages", "--no-compile"],
        cwd=copy,
        check=True,
        capture_output=True,
        env={
            "PATH": "/usr/bin:/bin",
            "DJANGO_SETTINGS_MODULE": "reunite.settings.test",
            "REUNITE_DATA_DIR": str(tmp_path / "data"),
        },
    )
    for locale in _catalogues():
        ours = po_read(LOCALE / locale / "LC_MESSAGES" / "django.po")
        fresh = po_read(copy / "locale" / locale / "LC_MESSAGES" / "django.po")
        assert [e.key() for e in fresh.entries if not e.obsolete] == [
            e.key() for e in ours.entries
        ], f"{locale}: run `make messages` and translate what it adds"


# --- Pages in the pseudo-locale: nothing unmarked ------------------------------------------


class _Visible(HTMLParser):
    """The text a reader meets: text nodes, and the attributes that are read out or shown."""

    ATTRIBUTES = {"alt", "title", "aria-label", "placeholder", "data-title", "data-label"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        for name, value in attrs:
            if name in self.ATTRIBUTES and value:
                self.parts.append(value)
            if tag == "input" and name == "value" and ("type", "submit") in attrs and value:
                self.parts.append(value)

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def _visible_text(html: str) -> str:
    parser = _Visible()
    parser.feed(html)
    return "\n".join(parser.parts)


def _python_phrases() -> set[str]:
    """Phase B's strings: the ones still written in Python (services, selectors, models of
    matching). They may be shown untranslated until phase B marks them."""
    phrases: set[str] = set()
    for folder in ("cases", "matching", "reunite"):
        for path in (ROOT / folder).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Constant) and isinstance(node.value, str):
                    for piece in re.split(r"\{[^}]*\}|%\(\w+\)s|%s|\n", node.value):
                        if len(piece.strip()) >= 3:
                            phrases.add(piece.strip())
    return phrases


def _django_phrases() -> set[str]:
    """Django's own messages (form errors, the sign-in form's labels): Django translates them
    in every real language, not our catalogue."""
    import django

    phrases: set[str] = set()
    base = Path(django.__file__).parent
    for mo in [
        base / "conf/locale/fr/LC_MESSAGES/django.mo",
        base / "contrib/auth/locale/fr/LC_MESSAGES/django.mo",
    ]:
        with mo.open("rb") as handle:
            for key in gettext.GNUTranslations(handle)._catalog:  # type: ignore[attr-defined]
                text = key[0] if isinstance(key, tuple) else key
                text = text.split("\x04")[-1]
                for piece in re.split(r"%\(\w+\)[sd]|%s|\n", text):
                    if len(piece.strip()) >= 3:
                        phrases.add(piece.strip())
    return phrases


_VOCABULARY_EXTRA = {
    # Short English words an unmarked sentence would almost surely contain.
    *[
        "the",
        "a",
        "an",
        "and",
        "or",
        "of",
        "to",
        "in",
        "on",
        "for",
        "with",
        "is",
        "are",
        "was",
        "be",
        "by",
        "your",
        "you",
        "this",
        "that",
        "it",
        "not",
        "no",
    ],
}


def _english_vocabulary() -> set[str]:
    words = set(_VOCABULARY_EXTRA)
    for entry in po_read(LOCALE / "fr" / "LC_MESSAGES" / "django.po").entries:
        source = re.sub(r"<[^>]+>|%\(\w+\)s|%s", " ", entry.msgid + " " + entry.msgid_plural)
        words |= {w.lower() for w in re.findall(r"[A-Za-z]{2,}", source)}
    # Words that are also names of things no catalogue translates.
    return words - {"reunite", "api", "csv", "pdf", "utc", "openapi", "jpeg", "png", "webp"}


@pytest.fixture(scope="module")
def allowed_phrases():
    # Phase B marked the Python strings too: only Django's own messages are let through.
    phrases = _django_phrases()
    # Longest first, so a phrase is taken out before any shorter one inside it.
    # Django's labels start with a capital ("Username" from "username").
    variants = {p.lower() for p in phrases} | {p[:1].upper() + p[1:] for p in phrases}
    return sorted(phrases | variants, key=len, reverse=True)


def _unmarked_words(html: str, *, data: list[str], allowed: list[str]) -> list[str]:
    text = _visible_text(html)
    # Innermost first: a translated value may sit inside a translated sentence.
    # Not "[[" followed by a third "[": "[[[[young children]] and …]]" opens two messages.
    innermost = re.compile(r"\[\[(?!\[)((?:(?!\[\[|\]\]).)*)\]\]", re.S)
    while innermost.search(text):
        text = innermost.sub(" ", text)
    # Phase B's "8 to 10" (the compared ages, matching/selectors.py).
    text = re.sub(r"\d+ to \d+", " ", text)

    def without_data(text: str) -> str:
        for value in sorted((str(d) for d in data if d), key=len, reverse=True):
            text = re.sub(rf"(?<!\w){re.escape(value)}(?!\w)", " ", text)
        return text

    def without_phrases(text: str) -> str:
        for phrase in allowed:
            if phrase in text:
                text = text.replace(phrase, " ")
        return text

    # Data may hold a phrase ("Family Links") and a phrase data ("A reviewer said"): a word
    # is unmarked only if it is left over whichever goes first.
    vocabulary = _english_vocabulary()
    found = []
    for residue in (without_phrases(without_data(text)), without_data(without_phrases(text))):
        if os.environ.get("I18N_DEBUG"):
            print("RESIDUE", re.sub(r"\s+", " ", residue))
        found.append({w for w in re.findall(r"[A-Za-z]{2,}", residue) if w.lower() in vocabulary})
    return sorted(found[0] & found[1])


def _data(world, *users) -> list[str]:
    case, report, own = world["case"], world["report"], world["own_report"]
    values = [
        case.given_name,
        case.family_name,
        case.reference,
        case.last_seen_place,
        case.consent_given_by,
        case.consent_relationship,
        case.consent_scope,  # as recorded (the model's English default here)
        report.reference,
        report.found_place,
        own.reference,
        own.external_ref,
        own.found_place,
        "Reunite",
    ]
    for user in users:
        values += [user.username, user.email, user.organisation.name if user.organisation else ""]
    return values


@pytest.mark.django_db
def test_portal_pages_in_the_pseudo_locale_show_no_unmarked_english(
    client, caseworker, reviewer, partner, world, portal_pages, allowed_phrases
):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = PSEUDO
    data = _data(world, caseworker, reviewer, partner, world["admin"])
    problems = {}
    for user, urls in portal_pages.items():
        client.logout()
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = PSEUDO
        if user is not None:
            force_login_verified(client, user)
        for url in urls:
            response = client.get(url)
            assert response.status_code in (200, 403, 404), url
            html = response.content.decode()
            assert '<html lang="en-xa" dir="ltr">' in html, url
            words = _unmarked_words(html, data=data, allowed=allowed_phrases)
            if words:
                problems[f"{user} {url}"] = words
    assert problems == {}


@pytest.mark.django_db
def test_error_pages_and_emails_in_the_pseudo_locale_show_no_unmarked_english(allowed_phrases):
    with translation.override(PSEUDO):
        rendered = {
            name: render_to_string(name)
            for name in ["403_csrf.html", "429.html", "500.html", "503.html", "offline.html"]
        }
        rendered["429 with minutes"] = render_to_string(
            "429.html", {"username": "amina", "cooloff_minutes": 30}
        )
        rendered["notification.txt"] = render_to_string(
            "emails/notification.txt", {"name": "Amina", "message": "", "url": "http://x/"}
        )
        rendered["notification.html"] = render_to_string(
            "emails/notification.html", {"name": "Amina", "message": "", "url": "http://x/"}
        )
        invited = UserFactory(username="amina")
        rendered["invitation.txt"] = render_to_string(
            "emails/invitation.txt",
            {"user": invited, "invited_by": "Bo", "organisation": "Org", "role": "", "hours": 72},
        )
        rendered["password_reset.txt"] = render_to_string(
            "emails/password_reset.txt",
            {"user": invited, "base_url": "http://x", "uid": "MQ", "token": "abc-def"},
        )
        reset_url = "http://x" + reverse("account-link", args=["MQ", "abc-def"])
        rendered["password_reset_subject.txt"] = render_to_string(
            "emails/password_reset_subject.txt"
        )
    problems = {}
    for name, html in rendered.items():
        words = _unmarked_words(
            html,
            data=["amina", "Amina", "Bo", "Org", invited.email, reset_url],
            allowed=allowed_phrases,
        )
        if words:
            problems[name] = words
    assert problems == {}
    assert '<html lang="en-xa" dir="ltr">' in rendered["500.html"]


def test_the_unmarked_check_finds_an_unmarked_sentence(allowed_phrases):
    html = "<p>[[Photos]]</p><p>Tell the grandparents tomorrow</p><img alt='[[Photo 1]]'>"
    assert "Tell" in _unmarked_words(html, data=[], allowed=allowed_phrases)
    html = "<p>[[Your account ([[Caseworker]]) is not allowed]]</p>"
    assert _unmarked_words(html, data=[], allowed=[]) == []
    assert _unmarked_words('<img alt="Missing child">', data=[], allowed=[]) == ["Missing", "child"]


# --- Right to left, translated pages, dates -------------------------------------------------


@pytest.mark.django_db
def test_a_page_in_arabic_is_right_to_left_and_translated(client, caseworker, world):
    client.force_login(caseworker)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ar"
    html = client.get(reverse("case-detail", args=[world["case"].pk])).content.decode()
    assert '<html lang="ar" dir="rtl">' in html
    assert "التطابقات المحتملة" in html  # "Possible matches"
    assert f"<bdi>{world['case'].reference}</bdi>" in html


@pytest.mark.django_db
def test_a_page_in_french_is_left_to_right_and_translated(client, caseworker, world):
    client.force_login(caseworker)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    response = client.get("/cases/")
    html = response.content.decode()
    assert '<html lang="fr" dir="ltr">' in html
    assert "Dossiers d’enfants disparus" in html or "Dossiers d'enfants disparus" in html
    assert response["Content-Language"] == "fr"


@pytest.mark.django_db
def test_the_browser_language_applies_before_sign_in(client):
    html = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="es-ES,es;q=0.9").content.decode()
    assert '<html lang="es" dir="ltr">' in html
    assert "Iniciar sesión" in html
    # A browser language we do not offer falls back to British English.
    html = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert '<html lang="en-gb" dir="ltr">' in html


def test_day_and_moment_follow_the_language():
    when = dt.datetime(2025, 3, 3, 14, 5, tzinfo=dt.UTC)
    with translation.override("en-gb"):
        assert (day(when.date()), moment(when)) == ("3 Mar 2025", "3 Mar 2025, 14:05")
    with translation.override("fr"):
        assert day(when.date()) == "3 mars 2025"
        assert moment(when) == "3 mars 2025 à 14:05"
    with translation.override("ar"):
        assert moment(when) == "3 مارس، 2025، 14:05"
    with translation.override("uk"):
        assert day(when.date()) == "03 березня 2025 р."


# --- Choosing a language -----------------------------------------------------------------------


@pytest.mark.django_db
def test_every_page_carries_the_switcher_and_it_works_before_sign_in(client):
    html = client.get("/accounts/login/").content.decode()
    assert 'data-testid="language-switcher"' in html
    assert 'action="/language/"' in html
    assert '<option value="ar" lang="ar">العربية</option>' in html
    response = client.post("/language/", {"language": "ar", "next": "/accounts/login/"})
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "ar"
    assert '<html lang="ar" dir="rtl">' in client.get("/accounts/login/").content.decode()
    # Somewhere else is not a place to go back to.
    response = client.post("/language/", {"language": "fr", "next": "https://evil.example/"})
    assert response["Location"] == "/"


@pytest.mark.django_db
def test_the_switcher_saves_a_signed_in_users_language_and_audits_it(client, caseworker):
    client.force_login(caseworker)
    client.post("/language/", {"language": "uk", "next": "/cases/"})
    caseworker.refresh_from_db()
    assert caseworker.language == "uk"
    event = AuditEvent.objects.get(action="user.language_changed")
    assert event.data == {"username": "caseworker", "from": "", "to": "uk"}
    # The profile language wins over the browser's and over a stale cookie.
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    response = client.get("/cases/", HTTP_ACCEPT_LANGUAGE="es")
    assert '<html lang="uk" dir="ltr">' in response.content.decode()
    # ...and the cookie is brought in line, so sign-out and sign-in stay in Ukrainian.
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "uk"


@pytest.mark.django_db
def test_the_profile_language_applies_at_sign_in(client, caseworker):
    caseworker.language = "fr"
    caseworker.save()
    response = client.post(
        "/accounts/login/",
        {"username": "caseworker", "password": "a-long-test-password"},
        HTTP_ACCEPT_LANGUAGE="es",
    )
    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "fr"
    assert '<html lang="fr" dir="ltr">' in client.get("/").content.decode()


@pytest.mark.django_db
def test_your_account_page_sets_and_clears_the_profile_language(client, caseworker):
    client.force_login(caseworker)
    html = client.get("/account/").content.decode()
    assert "Same as my browser" in html and "caseworker" in html
    response = client.post("/account/", {"language": "ar"})
    assert response.status_code == 302
    caseworker.refresh_from_db()
    assert caseworker.language == "ar"
    html = client.get("/account/").content.decode()
    assert '<html lang="ar" dir="rtl">' in html
    assert "تم حفظ لغتك." in html
    client.post("/account/", {"language": ""})
    caseworker.refresh_from_db()
    assert caseworker.language == ""
    assert AuditEvent.objects.filter(action="user.language_changed").count() == 2
    assert client.post("/account/", {"language": "xx"}).status_code == 200
    caseworker.refresh_from_db()
    assert caseworker.language == ""
