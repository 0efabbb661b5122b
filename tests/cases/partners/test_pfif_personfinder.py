"""PFIF as Person Finder writes it: its own 1.4 test feed, any field order, extensions."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from cases.models import FoundReport, MissingCase, User
from cases.partners.pfif import NS, PfifInvalid, case_pfif_export, pfif_import, pfif_read
from tests.cases.partners.test_pfif import case, document, person_xml  # noqa: F401
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

FEED = Path(__file__).with_name("personfinder") / "test.pfif-1.4.xml"
# The feed's person is an adult (35-45, born 1970); Reunite takes children only (issue 23).
ADULT = (b"<pfif:date_of_birth>1970-01<", b"<pfif:age>35-45<")
CHILD = (b"<pfif:date_of_birth>1992-01<", b"<pfif:age>7-9<")


def _child_feed() -> bytes:
    """Person Finder's feed, its person made a child: the format is what is tested."""
    data = FEED.read_bytes()
    for adult, child in zip(ADULT, CHILD, strict=True):
        assert adult in data
        data = data.replace(adult, child)
    return data


def test_person_finders_feed_of_an_adult_is_refused_in_words(caseworker):
    (result,) = pfif_import(user=caseworker, data=FEED.read_bytes(), kind="case")
    assert "Reunite is for children" in str(result.error)
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
        (b"<pfif:text>Found alone, unhurt.</pfif:text>", b"", "no text"),
        (b"<pfif:full_name>Test Child</pfif:full_name>", b"", "no full_name"),
    ],
)
def test_free_order_still_needs_each_required_field_once(partner, old, new, why):
    data = document(person_xml()).replace(old, new)
    with pytest.raises(PfifInvalid, match=why):
        pfif_import(user=partner, data=data)


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
