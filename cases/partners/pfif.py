"""PFIF 1.4 (People Finder Interchange Format): export a case, import persons as records.

docs/pfif.md lists which fields map and which are dropped, and why. In short: an export
carries what helps someone recognise the child and reach the organisation, never the
guardian's details, the exact birth date, the distinguishing marks or internal state, and
the photo only when the guardian agreed to share it (`consent_photo_sharing`). An import
files found-child reports (or cases) through the same services, checks, limits and
idempotency as the API, with `person_record_id` as the external reference.

Every document in or out is validated against schemas/pfif-1.4.xsd. Parsing refuses DTDs and
never resolves entities or touches the network. An import reads record by record, as Person
Finder does: a document that is well-formed PFIF 1.4 is accepted, and each person or note
that cannot be imported (unreadable, or an adult) is skipped with its reason.
"""

from __future__ import annotations

import base64
import binascii
import copy
import datetime as dt
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy
from lxml import etree

from cases.access.permissions import Action, action_require
from cases.audit.trail import audit_record
from cases.models import FoundReport, MissingCase, Photo, User
from cases.models.validators import CHILD_AGE_MAX, TEXT_MAX_LENGTH
from cases.partners.idempotency import case_create_idempotent, report_create_idempotent
from cases.records.ages import case_age_range
from cases.records.images import photo_size_check
from cases.records.selectors import case_get
from cases.records.services import PhotoUpload
from cases.records.storage import photo_file_read
from reunite.kernel.errors import InvalidInput, ReuniteError

NS = "http://zesty.ca/pfif/1.4"
SCHEMA_PATH = Path(__file__).with_name("schemas") / "pfif-1.4.xsd"
_Q = f"{{{NS}}}"


class PfifInvalid(ReuniteError):
    code = "pfif_invalid"
    status = 400
    title = gettext_lazy("Not a valid PFIF 1.4 document")


class PfifTooLarge(ReuniteError):
    code = "pfif_too_large"
    status = 413
    title = gettext_lazy("PFIF document too large")


class PfifNotExportable(ReuniteError):
    code = "pfif_not_exportable"
    status = 409
    title = gettext_lazy("This case cannot be exported")


@cache
def _schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMA_PATH)))


def pfif_validate(*, root: etree._Element) -> None:
    """Raise PfifInvalid, listing the first problems, unless `root` is valid PFIF 1.4."""
    schema = _schema()
    if not schema.validate(root):
        problems = [f"line {e.line}: {e.message}" for e in list(schema.error_log)[:5]]
        raise PfifInvalid(
            "The document does not follow the PFIF 1.4 schema: " + "; ".join(problems)
        )


# PFIF 1.4 section 3: what each record must hold; of its fields only notes may repeat.
_PERSON_REQUIRED = ("person_record_id", "full_name")
_NOTE_REQUIRED = ("note_record_id", "source_date", "text")


@dataclass(frozen=True)
class PfifSkippedNote:
    note_record_id: str
    person_record_id: str
    reason: str


@dataclass
class PfifDocument:
    root: etree._Element
    # What was ignored or assumed, by person_record_id ("" for the document as a whole).
    warnings: dict[str, list[str]] = field(default_factory=dict)
    # Why a person cannot be read, by its position among the document's persons.
    person_problems: dict[int, str] = field(default_factory=dict)
    # Notes left out, each with why; they are removed from the tree, the rest are read.
    notes_skipped: list[PfifSkippedNote] = field(default_factory=list)
    # Every record that breaks the schema: a strict reader (an export) refuses the document.
    problems: list[str] = field(default_factory=list)

    def warn(self, person_id: str, message: str) -> None:
        self.warnings.setdefault(person_id, []).append(message)


def _owner(element: etree._Element) -> str:
    """The person_record_id of the record holding `element`, or "" for the document."""
    for ancestor in element.iterancestors():
        if ancestor.tag in {_Q + "person", _Q + "note"} and ancestor.getparent() is not None:
            if ancestor.tag == _Q + "note" and ancestor.getparent().tag == _Q + "person":
                continue
            return _text(ancestor, "person_record_id")
    return ""


def _foreign_remove(document: PfifDocument) -> None:
    """Drop elements of other namespaces, as Person Finder does: extensions, not errors."""
    foreign = [
        e
        for e in document.root.iterdescendants(tag=etree.Element)
        if etree.QName(e).namespace != NS and e.getparent().tag.startswith(_Q)
    ]
    for element in foreign:
        document.warn(
            _owner(element),
            f"line {element.sourceline}: <{etree.QName(element).text}> is not PFIF 1.4; ignored.",
        )
    for element in foreign:
        element.getparent().remove(element)


def _fields_problem(record: etree._Element, what: str, required: tuple[str, ...]) -> str:
    names = [etree.QName(child).localname for child in record.iterchildren(tag=etree.Element)]
    missing = [name for name in required if name not in names]
    repeated = sorted({name for name in names if name != "note" and names.count(name) > 1})
    if not (missing or repeated):
        return ""
    problems = [f"no {name}" for name in missing] + [f"{name} twice" for name in repeated]
    return f"line {record.sourceline}: the {what} has " + ", ".join(problems) + "."


def _schema_problem(record: etree._Element) -> str:
    """What the PFIF 1.4 schema finds wrong with one record (a person without its notes, or
    a note), checked alone so that one bad record does not stop the others."""
    shell = etree.Element(_Q + "pfif")
    alone = copy.deepcopy(record)  # keeps source line numbers
    for note in alone.findall(_Q + "note"):
        alone.remove(note)
    shell.append(alone)
    schema = _schema()
    if schema.validate(shell):
        return ""
    return "; ".join(f"line {e.line}: {e.message}" for e in list(schema.error_log)[:3])


def _note_skip(document: PfifDocument, note: etree._Element, person_id: str, why: str) -> None:
    note_id = _text(note, "note_record_id") or f"at line {note.sourceline}"
    document.notes_skipped.append(
        PfifSkippedNote(note_record_id=note_id, person_record_id=person_id, reason=why)
    )
    document.warn(person_id, f"note {note_id} skipped: {why}")
    note.getparent().remove(note)


def _records_sort(document: PfifDocument) -> None:
    """Check each record on its own: a person or note the schema or section 3 refuses is
    set aside with its reason (a note is removed; its person is still read)."""
    root = document.root
    for element in list(root.iterchildren(tag=etree.Element)):
        if element.tag not in {_Q + "person", _Q + "note"}:
            name = etree.QName(element).localname
            document.warn("", f"line {element.sourceline}: <pfif:{name}> is no record; ignored.")
            root.remove(element)
    persons = root.findall(_Q + "person")
    for index, person in enumerate(persons):
        person_id = _text(person, "person_record_id")
        for note in person.findall(_Q + "note"):
            why = _fields_problem(note, "note", _NOTE_REQUIRED) or _schema_problem(note)
            if why:
                document.problems.append(why)
                _note_skip(document, note, person_id, why)
        why = _fields_problem(person, "person", _PERSON_REQUIRED) or _schema_problem(person)
        if why:
            document.problems.append(why)
            document.person_problems[index] = why
    in_document = {_text(person, "person_record_id") for person in persons}
    for note in root.findall(_Q + "note"):
        person_id = _text(note, "person_record_id")
        required = ("person_record_id", *_NOTE_REQUIRED)
        why = _fields_problem(note, "note", required) or _schema_problem(note)
        if why:
            document.problems.append(why)
            _note_skip(document, note, person_id, why)
        elif person_id not in in_document:
            # Reunite keeps a note's words only with its person, filed from this document.
            _note_skip(document, note, person_id, "its person is not in this document.")
    for note in root.iter(_Q + "note"):
        if not _text(note, "author_name"):
            # Real feeds leave it out (Person Finder's own does); no Reunite field needs it.
            owner = _text(note, "person_record_id") or _owner(note)
            document.warn(
                owner,
                f"note {_text(note, 'note_record_id')} has no author_name; "
                "its author was taken as unknown.",
            )


def _records_check(document: PfifDocument) -> None:
    """Refuse the document if any record breaks the schema (what Reunite writes must not)."""
    _records_sort(document)
    if document.problems:
        raise PfifInvalid(
            "The document does not follow the PFIF 1.4 schema: " + "; ".join(document.problems[:5])
        )


def pfif_read(*, data: bytes) -> PfifDocument:
    """Parse a PFIF 1.4 document and check each record: size limit, no DTD, no entities,
    no network.

    Refused whole (PfifInvalid, PfifTooLarge) only when it is too large, not well-formed, has
    a DOCTYPE or is not a PFIF 1.4 document; a record that breaks the schema is set aside
    with its reason (`person_problems`, `notes_skipped`). Fields may come in any order;
    elements of other namespaces are removed with a warning.
    """
    if len(data) > settings.PFIF_MAX_BYTES:
        raise PfifTooLarge(f"A PFIF document may be at most {settings.PFIF_MAX_BYTES} bytes.")
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    try:
        # Entities are not resolved and the network is off (the parser above).
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise PfifInvalid(f"Not well-formed XML: {exc}") from exc
    if root.getroottree().docinfo.doctype:
        raise PfifInvalid("A DOCTYPE is not accepted in a PFIF document.")
    if root.tag != _Q + "pfif":
        raise PfifInvalid(
            f"line {root.sourceline}: the document is <{root.tag}>, not a PFIF 1.4 document "
            f"(<pfif> in the namespace {NS})."
        )
    document = PfifDocument(root=root)
    _foreign_remove(document)
    _records_sort(document)
    return document


def pfif_parse(*, data: bytes) -> etree._Element:
    """The root of a PFIF 1.4 document every record of which is valid (PfifInvalid if not)."""
    document = pfif_read(data=data)
    if document.problems:
        raise PfifInvalid(
            "The document does not follow the PFIF 1.4 schema: " + "; ".join(document.problems[:5])
        )
    return document.root


# ---- Export ----------------------------------------------------------------------------


def _utc(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def record_id(*, reference: str) -> str:
    """A PFIF record id: the repository's domain, a slash, the record's own reference."""
    return f"{settings.PFIF_RECORD_DOMAIN}/{reference}"


def _add(parent: etree._Element, name: str, value: Any) -> None:
    if value is None or value == "":
        return
    etree.SubElement(parent, _Q + name).text = str(value)


def _photo_data_uri(*, case: MissingCase) -> str | None:
    photo = (
        case.photos.filter(kind=Photo.Kind.PHOTO, status=Photo.Status.READY)
        .order_by("created_at", "id")
        .first()
    )
    if photo is None:
        return None
    # Stored photos are normalised JPEGs without metadata (cases/records/images.py).
    data = photo_file_read(path=photo.file)
    return "data:image/jpeg;base64," + base64.b64encode(data).decode()


def _case_status_note(case: MissingCase) -> tuple[str, str, bool | None, str]:
    """(note id suffix, status, author_made_contact, words) for the case's state. A possible
    match is not disclosed: reviewers may still reject it."""
    if case.status == MissingCase.Status.REUNITED:
        return "reunited", "believed_alive", True, "The child has been reunited with their family."
    if case.status == MissingCase.Status.CLOSED:
        return "closed", "", None, "The organisation has closed this case."
    return "sought", "information_sought", None, "The family is looking for this child."


def case_pfif_export(*, user: User, case_id: int) -> bytes:
    """One case as a PFIF 1.4 document: a person record with its notes (audited)."""
    case = case_get(user=user, case_id=case_id, action=Action.CASE_SHARE)
    if case.status == MissingCase.Status.ERASED:
        raise PfifNotExportable("This case's data was erased.")
    org = case.organisation
    person_id = record_id(reference=case.reference)
    root = etree.Element(_Q + "pfif", nsmap={"pfif": NS})
    person = etree.SubElement(root, _Q + "person")
    _add(person, "person_record_id", person_id)
    _add(person, "entry_date", _utc(timezone.now()))
    if case.closed_at is not None:
        # Reunite erases the case's data then; other systems should delete it too.
        expiry = case.closed_at + dt.timedelta(days=settings.CASE_RETENTION_DAYS)
        _add(person, "expiry_date", _utc(expiry))
    _add(person, "author_name", org.name)
    _add(person, "author_email", org.contact_email)
    _add(person, "source_name", f"Reunite: {org.name}")
    _add(person, "source_date", _utc(case.created_at))
    _add(person, "full_name", " ".join(filter(None, [case.given_name, case.family_name])))
    _add(person, "given_name", case.given_name)
    _add(person, "family_name", case.family_name)
    _add(person, "alternate_names", case.other_names)
    _add(person, "description", case.description)
    if case.sex in {"female", "male"}:
        _add(person, "sex", case.sex)
    ages = case_age_range(case=case, on=timezone.now().date())
    if ages is not None:
        low, high = ages
        _add(person, "age", str(low) if low == high else f"{low}-{high}")
    photo_url = _photo_data_uri(case=case) if case.consent_photo_sharing else None
    _add(person, "photo_url", photo_url)
    suffix, status, made_contact, words = _case_status_note(case)
    note = etree.SubElement(person, _Q + "note")
    _add(note, "note_record_id", f"{person_id}.{suffix}")
    _add(note, "person_record_id", person_id)
    _add(note, "entry_date", _utc(timezone.now()))
    _add(note, "author_name", org.name)
    _add(note, "author_email", org.contact_email)
    _add(note, "source_date", _utc(case.updated_at))
    if made_contact is not None:
        _add(note, "author_made_contact", "true" if made_contact else "false")
    _add(note, "status", status)
    _add(note, "last_known_location", case.last_seen_place)
    _add(
        note,
        "text",
        f"{words} Last seen on {case.last_seen_on.isoformat()} at {case.last_seen_place}. "
        f"Registered with {org.name}, reference {case.reference}: contact them with any "
        "information.",
    )
    pfif_validate(root=root)
    _records_check(PfifDocument(root=root))
    with transaction.atomic():
        audit_record(
            actor=user,
            action="pfif.exported",
            obj=case,
            data={"person_record_id": person_id, "photo_included": photo_url is not None},
        )
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


# ---- Import ----------------------------------------------------------------------------


class Kind:
    REPORT = "report"
    CASE = "case"
    ALL = (REPORT, CASE)


@dataclass
class PfifImportResult:
    person_record_id: str
    kind: str
    record_id: int | None = None
    reference: str = ""
    created: bool = False
    # Fields present in the record that Reunite does not keep (docs/pfif.md says why).
    dropped: list[str] = field(default_factory=list)
    # What was ignored or assumed while reading the record (foreign elements, a note's author).
    warnings: list[str] = field(default_factory=list)
    # Why the person was skipped (nothing of it stored), in words; with `error`, its problem.
    error: Exception | None = None
    reason: str = ""


@dataclass
class PfifImport:
    """What an import did: a result per person, and the notes it left out."""

    results: list[PfifImportResult]
    notes_skipped: list[PfifSkippedNote]


# Kept (mapped) on import; anything else present is reported as dropped.
_REPORT_KEEPS = {
    "person_record_id",
    "source_name",
    "description",
    "sex",
    "age",
    "date_of_birth",
    "entry_date",
    "source_date",
    "photo_url",
    "note",
}
_NAMES = {"full_name", "given_name", "family_name", "alternate_names", "first_name", "last_name"}
# The home place (never the street or postal code): compared as a place by matching.
_HOME = ("home_neighborhood", "home_city", "home_state", "home_country")
_REPORT_KEEPS = _REPORT_KEEPS | _NAMES | set(_HOME)
_CASE_KEEPS = _REPORT_KEEPS | {"author_name"}
_AGE = re.compile(r"^(\d+)(?:-(\d+))?$")


def _text(element: etree._Element, name: str) -> str:
    found = element.find(_Q + name)
    return (found.text or "").strip() if found is not None else ""


def _when(value: str) -> dt.datetime | None:
    if not value:
        return None
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


@dataclass(frozen=True)
class _Note:
    source_date: dt.datetime
    status: str
    made_contact: bool
    location: str
    text: str


def _notes(person: etree._Element, top_level: list[etree._Element]) -> list[_Note]:
    person_id = _text(person, "person_record_id")
    elements = [
        *person.findall(_Q + "note"),
        *(n for n in top_level if _text(n, "person_record_id") == person_id),
    ]
    notes = [
        _Note(
            source_date=_when(_text(n, "source_date")) or timezone.now(),
            status=_text(n, "status"),
            made_contact=_text(n, "author_made_contact") in {"true", "1"},
            location=_text(n, "last_known_location"),
            text=_text(n, "text"),
        )
        for n in elements
    ]
    return sorted(notes, key=lambda n: n.source_date)


def _ages(person: etree._Element, *, on: dt.date) -> tuple[int, int] | None:
    match = _AGE.match(_text(person, "age"))
    if match:
        low = int(match.group(1))
        return low, int(match.group(2) or low)
    birth = _text(person, "date_of_birth")
    if birth:
        year = int(birth[:4])
        # A birth year alone: the child's age is one of two whole numbers on `on`.
        return max(0, on.year - year - 1), max(0, on.year - year)
    return None


def _photos(person: etree._Element, dropped: list[str]) -> list[PhotoUpload]:
    url = _text(person, "photo_url")
    if not url:
        return []
    head, _, payload = url.partition(",")
    if not (head.startswith("data:image/") and head.endswith(";base64")):
        # Never fetched: a URL from a document is a request on the sender's behalf (SSRF),
        # and whoever hosts it may not have the guardian's consent to share it.
        dropped.append("photo_url")
        return []
    photo_size_check(size=max(0, len(payload) * 3 // 4 - 3), index=0)
    try:
        return [PhotoUpload(data=base64.b64decode(payload, validate=True))]
    except (binascii.Error, ValueError) as exc:
        raise InvalidInput({"photo_url": "The photo is not valid base64."}) from exc


def _joined(*parts: str, limit: int = TEXT_MAX_LENGTH) -> str:
    text = "\n".join(p for p in parts if p)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _required(value: Any, name: str, why: str) -> Any:
    if value in (None, ""):
        raise InvalidInput({name: f"Missing from the PFIF record: {why}"})
    return value


def _sex(person: etree._Element) -> str:
    sex = _text(person, "sex")
    return sex if sex in {"female", "male"} else "unknown"


def _child_check(person: etree._Element, ages: tuple[int, int] | None) -> None:
    """An adult is never stored as a found child or a missing child: say so plainly (the
    model's own message speaks to someone typing an age into a form)."""
    if ages is None or ages[0] <= CHILD_AGE_MAX:
        return
    given = _text(person, "age")
    said = f"age {given}" if given else f"born {_text(person, 'date_of_birth')}"
    raise InvalidInput(
        {
            "age": f"The person is an adult ({said}): Reunite files only children under 18, "
            "so this record is skipped."
        }
    )


def _home_place(person: etree._Element) -> str:
    return ", ".join(p for p in (_text(person, f) for f in _HOME) if p)[:200]


def _report_names(person: etree._Element) -> str:
    """The names a found child gave, as the other system recorded them (all optional)."""
    full = _text(person, "full_name") or " ".join(
        p
        for p in (
            _text(person, "given_name") or _text(person, "first_name"),
            _text(person, "family_name") or _text(person, "last_name"),
        )
        if p
    )
    alternate = ", ".join(
        line.strip() for line in _text(person, "alternate_names").splitlines() if line.strip()
    )
    return ", ".join(p for p in (full, alternate) if p)[:200]


def _report_fields(person: etree._Element, notes: list[_Note]) -> dict[str, Any]:
    seen = [n for n in notes if n.status in {"believed_alive", "is_note_author"} or n.made_contact]
    found_at = (seen[0].source_date if seen else _when(_text(person, "source_date"))) or _when(
        _text(person, "entry_date")
    )
    found_on = _required(found_at, "found_on", "a note or source_date dates it.").date()
    place = next((n.location for n in reversed(notes) if n.location), "")
    ages = _required(_ages(person, on=found_on), "estimated_age_min", "give age or date_of_birth.")
    _child_check(person, ages)
    source = _text(person, "source_name")
    return {
        "found_on": found_on,
        "found_place": _required(place[:200], "found_place", "a note's last_known_location."),
        "estimated_age_min": ages[0],
        "estimated_age_max": ages[1],
        "sex": _sex(person),
        "child_names": _report_names(person),
        "home_place": _home_place(person),
        "notes": _joined(
            f"Imported from PFIF record {_text(person, 'person_record_id')}"
            + (f" ({source})." if source else "."),
            _text(person, "description"),
            *(n.text for n in notes),
        ),
    }


def _birth_date(value: str) -> dt.date | None:
    """A full date of birth, or None for a year or month only."""
    if len(value) != 10:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise InvalidInput({"date_of_birth": f"{value} is not a date."}) from exc


def _case_fields(person: etree._Element, notes: list[_Note]) -> dict[str, Any]:
    # first_name and last_name are the PFIF 1.3 names, still found in 1.4 feeds.
    given = _text(person, "given_name") or _text(person, "first_name") or _text(person, "full_name")
    family = _text(person, "family_name") or _text(person, "last_name")
    recorded = _when(_text(person, "source_date")) or _when(_text(person, "entry_date"))
    recorded = _required(recorded, "last_seen_on", "source_date or entry_date dates it.")
    ages = _ages(person, on=recorded.date())
    _child_check(person, ages)
    birth = _text(person, "date_of_birth")
    place = next((n.location for n in reversed(notes) if n.location), "") or ", ".join(
        p for p in (_text(person, f) for f in ("home_city", "home_state", "home_country")) if p
    )
    author = _text(person, "author_name")
    source = _text(person, "source_name") or "another people-finding system"
    return {
        "given_name": given[:100],
        "family_name": family[:100],
        "other_names": _text(person, "alternate_names")[:200],
        "sex": _sex(person),
        "date_of_birth": _birth_date(birth),
        "age_min": ages[0] if ages and len(birth) != 10 else None,
        "age_max": ages[1] if ages and len(birth) != 10 else None,
        "last_seen_on": recorded.date(),
        "last_seen_place": _required(place[:200], "last_seen_place", "a note's location."),
        "home_place": _home_place(person),
        "description": _joined(_text(person, "description"), *(n.text for n in notes)),
        # The person who reported the child missing in the other system asked for the search.
        "consent_given_by": _required(author[:200], "consent_given_by", "author_name."),
        "consent_given_at": recorded,
        "consent_method": MissingCase.ConsentMethod.ONLINE,
        "consent_scope": (
            f"Imported from PFIF record {_text(person, 'person_record_id')} ({source}). "
            "Matching against found-child reports for reunification only."
        ),
    }


def _dropped(person: etree._Element, keeps: set[str]) -> list[str]:
    names = {
        etree.QName(child).localname
        for child in person.iterchildren(tag=etree.Element)  # not comments
        if (child.text or "").strip() or len(child)
    }
    return sorted(names - keeps)


def _person_import(
    *, user: User, person: etree._Element, top_level: list[etree._Element], kind: str
) -> tuple[MissingCase | FoundReport, bool, list[str]]:
    notes = _notes(person, top_level)
    external_ref = _text(person, "person_record_id")
    if len(external_ref) > 100:
        raise InvalidInput({"person_record_id": "At most 100 characters."})
    dropped = _dropped(person, _CASE_KEEPS if kind == Kind.CASE else _REPORT_KEEPS)
    photos = _photos(person, dropped)
    if kind == Kind.CASE:
        fields = _case_fields(person, notes)
        case, created = case_create_idempotent(
            user=user, idempotency_key="", photos=photos, external_ref=external_ref, **fields
        )
        return case, created, dropped
    report_fields = _report_fields(person, notes)
    report, created = report_create_idempotent(
        user=user, idempotency_key="", photos=photos, external_ref=external_ref, **report_fields
    )
    return report, created, dropped


def _skip_reason(exc: ReuniteError) -> str:
    """Why a person was skipped, in one line a person can act on."""
    if not isinstance(exc, InvalidInput):
        return exc.detail
    if exc.error_dict is not None:
        return " ".join(
            f"{name}: {' '.join(messages)}" for name, messages in exc.error_dict.items()
        )
    return " ".join(exc.messages)


def pfif_import(*, user: User, data: bytes, kind: str = Kind.REPORT) -> list[PfifImportResult]:
    """pfif_import_document's result per person."""
    return pfif_import_document(user=user, data=data, kind=kind).results


def pfif_import_document(*, user: User, data: bytes, kind: str = Kind.REPORT) -> PfifImport:
    """File each PFIF person as a found report (or a case) of the user's organisation.

    Record by record, as Person Finder imports: each person is filed on its own, in its own
    transaction, with the same services, checks and daily limits as the API, and the same
    `person_record_id` again returns the record already filed. A person that cannot be filed
    (it breaks the schema, lacks what Reunite needs, or is an adult) is skipped with its
    reason and nothing of it is stored; a note that cannot be read is left out. The whole
    document is refused only when it cannot be read as PFIF 1.4 at all (pfif_read) or holds
    more than PFIF_MAX_RECORDS persons. Each result carries its record's warnings and the
    document's own (elements ignored outside any person).
    """
    if kind not in Kind.ALL:
        raise InvalidInput({"kind": f"One of {', '.join(Kind.ALL)}."})
    action_require(
        user=user, action=Action.CASE_CREATE if kind == Kind.CASE else Action.REPORT_CREATE
    )
    document = pfif_read(data=data)
    root = document.root
    persons = root.findall(_Q + "person")
    if len(persons) > settings.PFIF_MAX_RECORDS:
        raise PfifTooLarge(
            f"At most {settings.PFIF_MAX_RECORDS} person records per document; "
            f"this one has {len(persons)}."
        )
    top_level = root.findall(_Q + "note")
    results = []
    for index, person in enumerate(persons):
        person_id = _text(person, "person_record_id")
        result = PfifImportResult(
            person_record_id=person_id,
            kind=kind,
            warnings=[*document.warnings.get("", []), *document.warnings.get(person_id, [])],
        )
        try:
            if index in document.person_problems:
                raise PfifInvalid(document.person_problems[index])
            # One transaction per person: it is filed whole or not at all.
            with transaction.atomic():
                record, result.created, result.dropped = _person_import(
                    user=user, person=person, top_level=top_level, kind=kind
                )
        except ReuniteError as exc:
            # One person that cannot be filed must not sink the others.
            result.error, result.reason = exc, _skip_reason(exc)
        else:
            result.record_id, result.reference = record.pk, record.reference
        results.append(result)
    skipped = [r for r in results if r.error is not None]
    with transaction.atomic():
        audit_record(
            actor=user,
            action="pfif.imported",
            data={
                "kind": kind,
                "persons": len(results),
                "created": sum(r.created for r in results),
                "failed": len(skipped),
                "skipped": len(skipped),
                "notes_skipped": len(document.notes_skipped),
                "person_record_ids": [r.person_record_id for r in results][:50],
                "skipped_person_record_ids": [r.person_record_id for r in skipped][:50],
            },
        )
    return PfifImport(results=results, notes_skipped=document.notes_skipped)
