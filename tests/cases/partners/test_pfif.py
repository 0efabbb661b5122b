"""PFIF 1.4: export a case, import persons as reports or cases; every document schema-checked.

The documents are built here; no real child's data is used.
"""

from __future__ import annotations

import base64
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.http import Http404
from lxml import etree

from cases.models import AuditEvent, FoundReport, MissingCase, Photo, User
from cases.partners import pfif as pfif_module
from cases.partners.pfif import (
    NS,
    PfifInvalid,
    PfifTooLarge,
    case_pfif_export,
    pfif_import,
    pfif_import_document,
    pfif_parse,
)
from cases.records.services import PhotoUpload, case_create
from cases.records.storage import photo_file_read
from reunite.kernel.errors import InvalidInput
from reunite.kernel.errors import NotAllowed as PermissionDenied
from tests.factories import UserFactory
from tests.support.data import CASE_FIELDS, textured_photo

pytestmark = pytest.mark.django_db(transaction=True)

Q = f"{{{NS}}}"


def person_xml(
    record_id: str = "ngo.example.org/p1",
    *,
    age: str | None = "7-9",
    location: str | None = "Riverside shelter",
    photo_url: str | None = None,
    birth: str | None = None,
    extra: str = "",
) -> str:
    return (
        "<pfif:person>"
        f"<pfif:person_record_id>{record_id}</pfif:person_record_id>"
        "<pfif:entry_date>2025-06-02T08:00:00Z</pfif:entry_date>"
        "<pfif:author_name>Ada Example</pfif:author_name>"
        "<pfif:author_phone>+44 20 0000 0000</pfif:author_phone>"
        "<pfif:source_name>Example Person Finder</pfif:source_name>"
        "<pfif:source_date>2025-06-01T10:00:00Z</pfif:source_date>"
        "<pfif:full_name>Test Child</pfif:full_name>"
        "<pfif:given_name>Test</pfif:given_name>"
        "<pfif:family_name>Child</pfif:family_name>"
        "<pfif:description>Blue jumper.</pfif:description>"
        "<pfif:sex>female</pfif:sex>"
        + (f"<pfif:date_of_birth>{birth}</pfif:date_of_birth>" if birth else "")
        + (f"<pfif:age>{age}</pfif:age>" if age else "")
        + "<pfif:home_street>1 Example Road</pfif:home_street>"
        "<pfif:home_city>Exampletown</pfif:home_city>"
        + (f"<pfif:photo_url>{photo_url}</pfif:photo_url>" if photo_url else "")
        + extra
        + "<pfif:note>"
        f"<pfif:note_record_id>{record_id}.n1</pfif:note_record_id>"
        "<pfif:author_name>Hope Street NGO</pfif:author_name>"
        "<pfif:source_date>2025-06-01T10:00:00Z</pfif:source_date>"
        "<pfif:author_made_contact>true</pfif:author_made_contact>"
        "<pfif:status>believed_alive</pfif:status>"
        + (f"<pfif:last_known_location>{location}</pfif:last_known_location>" if location else "")
        + "<pfif:text>Found alone, unhurt.</pfif:text>"
        "</pfif:note>"
        "</pfif:person>"
    )


def document(*persons: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<pfif:pfif xmlns:pfif="{NS}">' + "".join(persons) + "</pfif:pfif>"
    ).encode()


@pytest.fixture
def case(caseworker) -> MissingCase:
    return case_create(
        user=caseworker,
        photos=[PhotoUpload(data=textured_photo(seed=7))],
        **{
            **CASE_FIELDS,
            "family_name": "Example",
            "date_of_birth": "2016-04-02",
            "age_min": None,
            "age_max": None,
            "description": "Red coat",
            "distinguishing_marks": "Scar above the left eyebrow",
            "consent_given_by": "Guardian Person",
        },
    )


def _parsed(data: bytes) -> etree._Element:
    return pfif_parse(data=data)


def test_export_is_valid_pfif_with_a_note_and_keeps_private_fields_out(caseworker, case):
    data = case_pfif_export(user=caseworker, case_id=case.pk)

    root = _parsed(data)  # validates against the PFIF 1.4 schema
    assert root.tag == f"{Q}pfif"
    person = root.find(f"{Q}person")
    assert person.findtext(f"{Q}person_record_id").endswith(f"/{case.reference}")
    assert person.findtext(f"{Q}full_name") == "Amina Example"
    assert person.findtext(f"{Q}sex") == "female"
    assert person.find(f"{Q}date_of_birth") is None
    assert person.find(f"{Q}age") is not None
    assert person.find(f"{Q}photo_url") is None
    note = person.find(f"{Q}note")
    assert note.findtext(f"{Q}status") == "information_sought"
    assert note.findtext(f"{Q}last_known_location") == "Market square"
    text = data.decode()
    for private in ("Guardian Person", "Scar above", "2016-04-02", "Mother"):
        assert private not in text
    event = AuditEvent.objects.get(action="pfif.exported")
    assert event.object_id == str(case.pk) and event.data["photo_included"] is False


@pytest.mark.parametrize(
    ("status", "note_status"),
    [("possible_match", "information_sought"), ("reunited", "believed_alive"), ("closed", "")],
)
def test_export_never_discloses_a_possible_match(caseworker, case, status, note_status):
    MissingCase.objects.filter(pk=case.pk).update(status=status)
    data = case_pfif_export(user=caseworker, case_id=case.pk)
    note = _parsed(data).find(f"{Q}person/{Q}note")
    assert (note.findtext(f"{Q}status") or "") == note_status
    assert b"possible" not in data.lower() and b"match" not in data.lower()


def test_export_includes_the_photo_only_with_consent_to_share_it(caseworker, case):
    assert case.photos.get().status == Photo.Status.READY
    MissingCase.objects.filter(pk=case.pk).update(consent_photo_sharing=True)

    person = _parsed(case_pfif_export(user=caseworker, case_id=case.pk)).find(f"{Q}person")

    url = person.findtext(f"{Q}photo_url")
    assert url.startswith("data:image/jpeg;base64,")
    assert base64.b64decode(url.split(",", 1)[1]) == photo_file_read(path=case.photos.get().file)
    assert AuditEvent.objects.get(action="pfif.exported").data["photo_included"] is True


def test_export_of_another_organisations_case_is_refused(case, org_ngo):
    other = UserFactory(organisation=org_ngo, role=User.Role.CASEWORKER)
    with pytest.raises(Http404):
        case_pfif_export(user=other, case_id=case.pk)
    assert not AuditEvent.objects.filter(action="pfif.exported").exists()


def test_import_files_each_person_as_a_report_and_a_second_import_files_nothing(partner):
    data = document(person_xml("ngo.example.org/p1"), person_xml("ngo.example.org/p2", age="5"))

    results = pfif_import(user=partner, data=data)

    assert [r.created for r in results] == [True, True]
    report = FoundReport.objects.get(external_ref="ngo.example.org/p1")
    assert (report.estimated_age_min, report.estimated_age_max) == (7, 9)
    assert report.found_place == "Riverside shelter"
    assert report.found_on.isoformat() == "2025-06-01"
    assert report.sex == "female"
    assert "Found alone, unhurt." in report.notes and "Blue jumper." in report.notes
    assert "home_street" in results[0].dropped and "author_phone" in results[0].dropped
    assert FoundReport.objects.get(external_ref="ngo.example.org/p2").estimated_age_max == 5

    again = pfif_import(user=partner, data=data)

    assert [r.created for r in again] == [False, False]
    assert [r.record_id for r in again] == [r.record_id for r in results]
    assert FoundReport.objects.count() == 2
    assert AuditEvent.objects.filter(action="pfif.imported").count() == 2


def test_one_invalid_person_does_not_sink_the_others(partner):
    data = document(person_xml("ngo.example.org/ok"), person_xml("ngo.example.org/bad", age=None))

    results = pfif_import(user=partner, data=data)

    assert results[0].error is None and results[0].created
    assert results[1].error is not None and "estimated_age_min" in str(results[1].error)
    assert FoundReport.objects.count() == 1


def test_a_person_that_breaks_the_schema_is_skipped_and_the_others_are_filed(partner):
    no_name = "<pfif:person><pfif:person_record_id>x/1</pfif:person_record_id></pfif:person>"
    bad_sex = person_xml("ngo.example.org/bad-sex").replace(">female<", ">f<")
    data = document(no_name, bad_sex, person_xml("ngo.example.org/ok"))

    imported = pfif_import_document(user=partner, data=data)

    no_name_result, bad_sex_result, ok = imported.results
    assert isinstance(no_name_result.error, PfifInvalid)
    assert no_name_result.reason.endswith("the person has no full_name.")
    assert isinstance(bad_sex_result.error, PfifInvalid)
    assert "line 1:" in bad_sex_result.reason and "'f'" in bad_sex_result.reason
    assert ok.error is None and ok.created
    assert list(FoundReport.objects.values_list("external_ref", flat=True)) == [
        "ngo.example.org/ok"
    ]
    event = AuditEvent.objects.get(action="pfif.imported")
    assert (event.data["created"], event.data["skipped"]) == (1, 2)
    assert event.data["skipped_person_record_ids"] == ["x/1", "ngo.example.org/bad-sex"]
    with pytest.raises(PfifInvalid, match="no full_name"):
        pfif_parse(data=data)  # a strict reader (exports, tests) still refuses it whole


def test_unreadable_notes_and_notes_without_their_person_are_left_out_with_why(partner):
    broken_note = (
        "<pfif:note><pfif:note_record_id>ngo.example.org/p1.n2</pfif:note_record_id>"
        "<pfif:source_date>yesterday</pfif:source_date><pfif:text>Later.</pfif:text></pfif:note>"
    )
    orphan = (
        "<pfif:note><pfif:note_record_id>elsewhere/n9</pfif:note_record_id>"
        "<pfif:person_record_id>elsewhere/p9</pfif:person_record_id>"
        "<pfif:source_date>2025-06-01T10:00:00Z</pfif:source_date>"
        "<pfif:text>Seen.</pfif:text></pfif:note>"
    )
    data = document(person_xml("ngo.example.org/p1", extra=broken_note), orphan)

    imported = pfif_import_document(user=partner, data=data)

    (result,) = imported.results
    assert result.error is None and result.created
    skipped = {(n.note_record_id, n.person_record_id): n.reason for n in imported.notes_skipped}
    assert set(skipped) == {
        ("ngo.example.org/p1.n2", "ngo.example.org/p1"),
        ("elsewhere/n9", "elsewhere/p9"),
    }
    assert "'yesterday'" in skipped[("ngo.example.org/p1.n2", "ngo.example.org/p1")]
    assert skipped[("elsewhere/n9", "elsewhere/p9")] == "its person is not in this document."
    assert any(w.startswith("note ngo.example.org/p1.n2 skipped:") for w in result.warnings)
    assert "Later." not in FoundReport.objects.get().notes


def test_each_person_is_filed_in_its_own_transaction(partner, monkeypatch):
    real = pfif_module.report_create_idempotent

    def files_then_fails(**kwargs):
        report, created = real(**kwargs)
        if kwargs["external_ref"] == "ngo.example.org/half":
            raise InvalidInput({"notes": "Failed after the report was written."})
        return report, created

    monkeypatch.setattr(pfif_module, "report_create_idempotent", files_then_fails)
    data = document(person_xml("ngo.example.org/half"), person_xml("ngo.example.org/whole"))

    half, whole = pfif_import(user=partner, data=data)

    assert half.reason == "notes: Failed after the report was written." and whole.created
    # Nothing of the failed person stayed: its report was rolled back with it.
    assert list(FoundReport.objects.values_list("external_ref", flat=True)) == [
        "ngo.example.org/whole"
    ]


@pytest.mark.parametrize(
    "data",
    [
        b"not xml",
        b'<pfif xmlns="http://zesty.ca/pfif/1.3"/>',
        b'<?xml version="1.0"?><!DOCTYPE p [<!ENTITY e "x">]><pfif:pfif xmlns:pfif="'
        + NS.encode()
        + b'"/>',
    ],
    ids=["not-xml", "other-version", "doctype"],
)
def test_documents_that_cannot_be_read_as_pfif_1_4_are_refused_whole(partner, data):
    with pytest.raises(PfifInvalid):
        pfif_import(user=partner, data=data)
    assert FoundReport.objects.count() == 0


def test_too_many_persons_are_refused(partner, settings):
    settings.PFIF_MAX_RECORDS = 2
    data = document(*(person_xml(f"ngo.example.org/p{n}") for n in range(3)))
    with pytest.raises(PfifTooLarge):
        pfif_import(user=partner, data=data)


def test_a_data_uri_photo_is_imported_and_a_remote_one_is_never_fetched(partner):
    photo = base64.b64encode(textured_photo(seed=9)).decode()
    data = document(
        person_xml("ngo.example.org/with-photo", photo_url=f"data:image/png;base64,{photo}"),
        person_xml("ngo.example.org/remote", photo_url="http://192.0.2.1/photo.jpg"),
    )

    with_photo, remote = pfif_import(user=partner, data=data)

    assert FoundReport.objects.get(pk=with_photo.record_id).photos.count() == 1
    assert FoundReport.objects.get(pk=remote.record_id).photos.count() == 0
    assert "photo_url" in remote.dropped


def test_import_as_cases_records_who_asked_and_partners_may_not(caseworker, partner):
    data = document(person_xml("pf.example.org/missing-1"))

    (result,) = pfif_import(user=caseworker, data=data, kind="case")

    case = MissingCase.objects.get(pk=result.record_id)
    assert case.external_ref == "pf.example.org/missing-1"
    assert (case.given_name, case.family_name) == ("Test", "Child")
    assert case.consent_given_by == "Ada Example"
    assert "pf.example.org/missing-1" in case.consent_scope
    assert not case.consent_photo_sharing
    with pytest.raises(PermissionDenied):
        pfif_import(user=partner, data=data, kind="case")


def test_an_impossible_birth_date_refuses_that_person_only(caseworker):
    data = document(
        person_xml("pf.example.org/bad-date", birth="2016-13-45"),
        person_xml("pf.example.org/full-date", birth="2016-04-02", age=None),
    )

    bad, good = pfif_import(user=caseworker, data=data, kind="case")

    assert "date_of_birth" in str(bad.error)
    assert MissingCase.objects.get(pk=good.record_id).date_of_birth.isoformat() == "2016-04-02"


def test_an_exported_case_imports_into_another_system_as_a_case(caseworker, case, org_ngo):
    other = UserFactory(organisation=org_ngo, role=User.Role.CASEWORKER)
    (result,) = pfif_import(
        user=other, data=case_pfif_export(user=caseworker, case_id=case.pk), kind="case"
    )
    assert result.error is None, result.error
    imported = MissingCase.objects.get(pk=result.record_id)
    assert imported.given_name == "Amina" and imported.last_seen_place == "Market square"


def test_commands_export_and_import(caseworker, partner, case, tmp_path):
    out = io.StringIO()
    call_command("pfif", "export", case.reference, "--user", "caseworker", stdout=out)
    _parsed(out.getvalue().encode())

    source = tmp_path / "in.xml"
    source.write_bytes(document(person_xml("ngo.example.org/cmd")))
    out = io.StringIO()
    call_command("pfif", "import", str(source), "--user", "partner", stdout=out)
    assert "filed as F-" in out.getvalue()
    with pytest.raises(CommandError):
        call_command("pfif", "export", case.reference, "--user", "partner")


def test_the_example_in_the_docs_is_valid_pfif(settings):
    pfif_parse(data=(settings.BASE_DIR / "docs" / "examples" / "pfif-person.xml").read_bytes())
