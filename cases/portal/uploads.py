"""The portal's photo upload: several files in one `photos` field, each with its details.

The browser sends the chosen files as repeated `photos`, and each file's details as
repeated `photo_taken_on`, `photo_age_in_photo` and `photo_kind` in the same order (the
page's script adds a row per file). Without the script there is one set of details,
`all_*`, that applies to every file chosen. Each file is checked with the same upload
check as the API (`cases/records/images.py`), so the portal shows the API's words.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _

from cases.models import Photo
from cases.portal.forms import PhotoMetaForm, photo_help
from cases.records import services
from cases.records.images import (
    PhotoRejected,
    photo_count_check,
    photo_normalise,
    photo_size_check,
)

META_FIELDS = ("taken_on", "age_in_photo", "kind")


@dataclass
class PhotoEntry:
    """One chosen file as the form shows it back: its name, details and errors."""

    index: int
    name: str
    data: bytes | None
    meta: PhotoMetaForm
    errors: list[str] = field(default_factory=list)
    # The file itself was refused (not only its details), so it is not checked again.
    file_refused: bool = False

    @property
    def anchor(self) -> str:
        return f"photo-{self.index + 1}"

    def value(self, name: str) -> Any:
        return self.meta.data.get(name) or ""


@dataclass
class PhotoChoice:
    """Every chosen file of one request, plus errors that concern none of them alone."""

    entries: list[PhotoEntry] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    bound: bool = False

    @property
    def has_errors(self) -> bool:
        return bool(self.errors) or any(e.errors for e in self.entries)

    def uploads(self, entries: list[PhotoEntry] | None = None) -> list[services.PhotoUpload]:
        return [
            services.PhotoUpload(
                data=e.data or b"",
                filename=e.name,
                taken_on=e.meta.cleaned_data.get("taken_on"),
                age_in_photo=e.meta.cleaned_data.get("age_in_photo"),
                kind=e.meta.cleaned_data.get("kind") or Photo.Kind.PHOTO,
            )
            for e in (self.entries if entries is None else entries)
        ]

    def accepted(self) -> list[PhotoEntry]:
        """The files with no error of their own: in one upload each stands or falls alone."""
        return [e for e in self.entries if not e.errors]

    def refusals(self) -> list[str]:
        return [
            _("Photo %(number)s (%(name)s) was not added: %(reasons)s")
            % {"number": e.index + 1, "name": e.name, "reasons": " ".join(e.errors)}
            for e in self.entries
            if e.errors
        ]

    def rejection_attach(
        self, exc: PhotoRejected, *, among: list[PhotoEntry] | None = None
    ) -> None:
        """Show a refusal from the service next to its file, or above the files. `among`:
        the entries the service was given, when only some were sent."""
        if among is not None and exc.index is not None and exc.index < len(among):
            exc.index = among[exc.index].index
        if exc.index is not None and exc.index < len(self.entries):
            self.entries[exc.index].errors.append(exc.detail)
            self.entries[exc.index].file_refused = True
        else:
            self.errors.append(exc.detail)

    def files_check(self) -> None:
        """Run the upload check on every file not yet refused, so all errors show at once."""
        for entry in self.entries:
            if entry.file_refused or entry.data is None:
                continue
            try:
                photo_normalise(data=entry.data)
            except PhotoRejected as exc:
                entry.errors.append(exc.detail)

    def context(self) -> dict[str, Any]:
        return {
            "photo_choice": self,
            "photo_help": photo_help(),
            "photo_meta_form": PhotoMetaForm(prefix="all"),
            "photos_max": settings.PHOTOS_PER_REQUEST,
            "photo_max_bytes": settings.PHOTO_MAX_BYTES,
        }


def _meta_values(request: HttpRequest, index: int, name: str) -> str:
    values = request.POST.getlist(f"photo_{name}")
    if index < len(values):
        return values[index]
    return request.POST.get(f"all-{name}", "")


def photo_choice_read(request: HttpRequest, *, required: bool = False) -> PhotoChoice:
    """Read the chosen files and their details; sizes are checked before any file is read."""
    if request.method != "POST":
        return PhotoChoice()
    files = request.FILES.getlist("photos")
    choice = PhotoChoice(bound=True)
    try:
        photo_count_check(count=len(files))
    except PhotoRejected as exc:
        choice.errors.append(exc.detail)
        files = files[: settings.PHOTOS_PER_REQUEST]
    if required and not files:
        choice.errors.append(_("Choose at least one photo."))
    for index, upload in enumerate(files):
        meta = PhotoMetaForm(
            data={name: _meta_values(request, index, name) for name in META_FIELDS}
        )
        entry = PhotoEntry(
            index=index,
            name=upload.name or _("photo %(number)s") % {"number": index + 1},
            data=None,
            meta=meta,
        )
        if not meta.is_valid():
            for name, messages in meta.errors.items():
                label = meta.fields[name].label if name in meta.fields else ""
                entry.errors.extend(f"{label}: {m}" if label else str(m) for m in messages)
        try:
            photo_size_check(size=upload.size or 0, index=index)
        except PhotoRejected as exc:
            entry.errors.append(exc.detail)
            entry.file_refused = True
        else:
            entry.data = upload.read()
        choice.entries.append(entry)
    return choice


def error_summary(*, form: Any = None, photos: PhotoChoice | None = None) -> list[dict[str, str]]:
    """Every error on the page, each with the id of what it concerns, for the summary."""
    items: list[dict[str, str]] = []
    if form is not None and form.is_bound:
        for name, messages in form.errors.items():
            if name == "__all__":
                items.extend({"text": m, "href": "#form-errors"} for m in messages)
                continue
            bound = form[name]
            items.extend(
                {"text": f"{bound.label}: {m}", "href": f"#{bound.id_for_label}"} for m in messages
            )
    if photos is not None:
        items.extend({"text": m, "href": "#id_photos"} for m in photos.errors)
        for entry in photos.entries:
            items.extend(
                {
                    "text": _("Photo %(number)s (%(name)s): %(message)s")
                    % {"number": entry.index + 1, "name": entry.name, "message": m},
                    "href": f"#{entry.anchor}",
                }
                for m in entry.errors
            )
    return items
