"""PFIF as Person Finder writes it: its own 1.4 test feed, any field order, extensions."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from cases.models import AuditEvent, FoundReport, MissingCase, User
from cases.partners.pfif import (
    NS,
    PfifInvalid,
    case_pfif_export,
    pfif_import,
    pfif_import_document,
    pfif_read,
)
from tests.cases.partners.test_pfif import case, document, person_xml  # noqa: F401
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

FEED = Path(__file__).with_name("personfinder") / "test.pfif-1.4.xml"
# The feed's person is an adult (35-45, born 1970); Reunite files children only (issue 23),
# so the unmodified feed imports with that person skipped, and the format is also tested
# on a copy whose person is made a child.
ADULT = (b"<pfif:date_of_birth>1970-01<", b"<pfif:age>35-45<")
CHILD = (b"<pfif:date_of_birth>1992-01<", b"<pfif:age>7-9<")


def _child_feed() -> bytes:
    """Person Finder's feed, its person made a child: the format is what is tested."""
    data = FEED.read_bytes()
    for adult, child in zip(ADULT, CHILD, strict=True):
        assert adult in data
        data = data.replace(adult, child)
    return data


ADULT_REASON = (
    "age: The person is an adult (age 35-45): Reunite files only children under 18, so this "
    "record is skipped."
)


def test_person_finders_unmodified_1_4_test_feed_imports_and_skips_the_adult(api_for, partner):
    """The acceptance of issue 27: the feed as Person Finder publishes it is accepted, and
    its one person, an adult, is skipped with the reason; nothing of it is stored."""
    response = api_for(partner).post(
        "/api/v1/pfif/import/", FEED.read_bytes(), content_type="text/xml; charset=utf-8"
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["created"], body["existing"], body["skipped"], body["failed"]) == (0, 0, 1, 1)
    assert body["detail"].startswith("Nothing was imported: every person record (1) was skipped")
    (row,) = body["results"]
    assert row["person_record_id"] == "test.google.com/person.21009"
    assert (row["outcome"], row["reason"]) == ("skipped", ADULT_REASON)
    assert (row["status"], row["error"]["code"], row["id"]) == (400, "validation_error", None)
    assert row["error"]["errors"] == {"age": [ADULT_REASON.removeprefix("age: ")]}
    assert len([w for w in row["warnings"] if "no author_name" in w]) == 2
    assert body["notes_skipped"] == []  # the adult's notes go with it
    assert not FoundReport.objects.exists()
    audit = AuditEvent.objects.get(action="pfif.imported")
    assert audit.data["skipped_person_record_ids"] == ["test.google.com/person.21009"]


def test_person_finders_feed_as_cases_skips_the_adult_too(caseworker):
    (result,) = pfif_import(user=caseworker, data=FEED.read_bytes(), kind="case")
    assert result.reason == ADULT_REASON
    assert not MissingCase.objects.exists()


Q = f"{{{NS}}}"


def test_person_finders_own_1_4_test_feed_is_accepted_with_what_was_assumed(caseworker):
    (result,) = pfif_import(user=caseworker, data=_child_feed(), kind="case")

    assert result.error is None, result.error
    assert result.person_record_id == "test.google.com/person.21009"
    assert [w for w in result.warnings if "no author_name" in w] == [
        "note test.google.com/note.40121 has no author_name; its author was taken as unknown.",
        "note test.google.com/note.50121 has no author_name; its author was taken as unknown.",
    ]
    imported = MissingCase.objects.get(pk=result.record_id)
    # PFIF 1.3's first_name / last_name, which the 1.4 feed still writes.
    assert (imported.given_name, imported.family_name) == ("_test_first_name", "_test_last_name")
    assert imported.last_seen_place == "19.16592425362802 -71.9384765625"
    assert "photo_url" in result.dropped  # a placeholder URL: never fetched


def test_person_finders_feed_through_the_api_as_text_xml(api_for, partner):
    response = api_for(partner).post(
        "/api/v1/pfif/import/", _child_feed(), content_type="text/xml; charset=utf-8"
    )

    assert response.status_code == 200, response.content
    (row,) = response.json()["results"]
    assert row["person_record_id"] == "test.google.com/person.21009"
    assert len([w for w in row["warnings"] if "no author_name" in w]) == 2
    assert row["status"] == 201, row["error"]
    report = FoundReport.objects.get(pk=row["id"])
    # Found: the first note whose author made contact; the place: the latest note's.
    assert report.found_on.isoformat() == "2000-01-17"
    assert report.found_place == "19.16592425362802 -71.9384765625"


def test_elements_of_other_namespaces_are_ignored_and_reported(partner):
    extension = '<ext:tag xmlns:ext="https://ngo.example.org/ext">x<ext:in>y</ext:in></ext:tag>'
    data = document(person_xml("ngo.example.org/x", extra=extension)).replace(
        b"</pfif:pfif>", b'<other xmlns="urn:x">document level</other></pfif:pfif>'
    )

    (result,) = pfif_import(user=partner, data=data)

    assert result.error is None and result.created
    assert any("<{https://ngo.example.org/ext}tag> is not PFIF 1.4" in w for w in result.warnings)
    assert any("<{urn:x}other>" in w for w in result.warnings)


@pytest.mark.parametrize(
    ("old", "new", "why"),
    [
        (b"<pfif:sex>female</pfif:sex>", b"<pfif:sex>female</pfif:sex>" * 2, "sex twice"),
        (b"<pfif:full_name>Test Child</pfif:full_name>", b"", "no full_name"),
    ],
)
def test_free_order_still_needs_each_required_field_once(partner, old, new, why):
    data = document(person_xml()).replace(old, new)
    (result,) = pfif_import(user=partner, data=data)
    assert isinstance(result.error, PfifInvalid) and result.reason.endswith(f"has {why}.")
    assert not FoundReport.objects.exists()


def test_a_note_without_its_required_text_is_left_out(partner):
    data = document(person_xml()).replace(b"<pfif:text>Found alone, unhurt.</pfif:text>", b"")
    imported = pfif_import_document(user=partner, data=data)
    (note,) = imported.notes_skipped
    assert note.reason.endswith("the note has no text.")
    # Its place went with it, and a report needs one: the person is skipped, saying why.
    (result,) = imported.results
    assert "found_place" in result.reason


def _as_person_finder_reads_it(data: bytes) -> dict[str, str]:
    """Person Finder's parser reads a record's fields by name, whatever their order."""
    person = etree.fromstring(data).find(Q + "person")
    return {etree.QName(c).localname: (c.text or "").strip() for c in person if c.tag != Q + "note"}


def test_an_export_read_in_any_order_round_trips(caseworker, case, org_ngo):  # noqa: F811
    exported = case_pfif_export(user=caseworker, case_id=case.pk)
    root = etree.fromstring(exported)
    person = root.find(Q + "person")
    children = list(person)
    for child in children:
        person.remove(child)
    for child in reversed(children):  # notes first, fields backwards
        person.append(child)
    reordered = etree.tostring(root)

    assert _as_person_finder_reads_it(reordered) == _as_person_finder_reads_it(exported)
    pfif_read(data=reordered)
    other = UserFactory(organisation=org_ngo, role=User.Role.CASEWORKER)
    (result,) = pfif_import(user=other, data=reordered, kind="case")
    assert result.error is None, result.error
    assert MissingCase.objects.get(pk=result.record_id).given_name == case.given_name
