"""Bring every catalogue in locale/ up to date with the code and templates, write the
pseudo-locale's, and compile them all: `manage.py i18n_messages` (`make messages`).

Needs GNU gettext (xgettext, msgmerge, msgfmt): `make messages` installs Debian's
`gettext` when it is missing. docs/i18n.md says how a language is added.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.utils.translation import to_locale

from cases.management.po import po_read, po_write, pseudo

# Scanned for messages: the apps and the templates; not the tests, tools or vendored files.
IGNORED = [
    "tests/*",
    "bench/*",
    "tools/*",
    "data/*",
    "docs/*",
    "docker/*",
    "static/*",
    "*/migrations/*",
    "node_modules/*",
]

# Each catalogue's plural rule (the source language, British English, needs none).
PLURAL_FORMS = {
    "fr": "nplurals=2; plural=(n > 1);",
    "es": "nplurals=2; plural=(n != 1);",
    "ar": (
        "nplurals=6; plural=n==0 ? 0 : n==1 ? 1 : n==2 ? 2 : n%100>=3 && n%100<=10 ? 3 "
        ": n%100>=11 && n%100<=99 ? 4 : 5;"
    ),
    "uk": (
        "nplurals=3; plural=(n%10==1 && n%100!=11 ? 0 : n%10>=2 && n%10<=4 "
        "&& (n%100<10 || n%100>=20) ? 1 : 2);"
    ),
    "en_XA": "nplurals=2; plural=(n != 1);",
}


def catalogue_locales() -> list[str]:
    """Every translated language, and the pseudo-locale: gettext's names (fr, en_XA)."""
    codes = [code for code, _name in settings.LANGUAGES if code != settings.LANGUAGE_CODE]
    codes.append(settings.PSEUDO_LANGUAGE[0])
    return sorted({to_locale(code) for code in codes})


def catalogue_path(locale: str) -> Path:
    return Path(settings.LOCALE_PATHS[0]) / locale / "LC_MESSAGES" / "django.po"


def pseudo_catalogue_write(*, locale: str) -> int:
    """Fill the pseudo-locale's catalogue from its msgids; returns the number of messages."""
    path = catalogue_path(locale)
    catalogue = po_read(path)
    for entry in catalogue.entries:
        entry.flags.discard("fuzzy")
        if entry.msgid_plural:
            entry.msgstr = {0: pseudo(entry.msgid), 1: pseudo(entry.msgid_plural)}
        else:
            entry.msgstr = {0: pseudo(entry.msgid)}
    po_write(path, catalogue)
    return len(catalogue.entries)


class Command(BaseCommand):
    help = "Update the catalogues in locale/ from the code, write the pseudo-locale's, compile."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--no-compile", action="store_true", help="Leave the .mo files as they are."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        locales = catalogue_locales()
        call_command(
            "makemessages",
            locale=locales,
            ignore_patterns=IGNORED,
            no_location=True,
            verbosity=0,
        )
        for locale in locales:
            path = catalogue_path(locale)
            catalogue = po_read(path)
            catalogue.header_comments = [
                f"# Reunite's messages in {locale}: docs/i18n.md (glossary, review sign-off).",
                "#",
            ]
            catalogue.header_field_set("Project-Id-Version", "Reunite")
            catalogue.header_field_set("Language-Team", "Reunite (docs/i18n.md)")
            catalogue.header_field_set("Last-Translator", "Reunite (docs/i18n.md)")
            catalogue.header_field_set(
                "PO-Revision-Date", catalogue.header_field("POT-Creation-Date")
            )
            catalogue.header_field_set("Language", locale)
            catalogue.header_field_set("Plural-Forms", PLURAL_FORMS[locale])
            po_write(path, catalogue)
        pseudo_locale = to_locale(settings.PSEUDO_LANGUAGE[0])
        count = pseudo_catalogue_write(locale=pseudo_locale)
        # Once more, so that every file is in gettext's own layout (wrapped, sorted as found).
        call_command(
            "makemessages",
            locale=locales,
            ignore_patterns=IGNORED,
            no_location=True,
            verbosity=0,
        )
        if not options["no_compile"]:
            call_command("compilemessages", locale=locales, verbosity=0)
        self.stdout.write(f"{len(locales)} catalogues, {count} messages each: {', '.join(locales)}")
