import pytest

from cases.audit.trail import audit_verify
from cases.models import AuditEvent, FoundReport, MissingCase, Photo
from cases.records.images import PhotoRejected
from cases.records.services import PhotoUpload, case_create, report_create
from cases.records.storage import photo_file_exists, photo_file_read
from reunite.kernel.errors import NotAllowed as PermissionDenied
from tests.factories import FoundReportFactory
from tests.support.data import CASE_FIELDS, image_bytes

pytestmark = pytest.mark.django_db


def test_case_create_stores_encrypted_photos_and_audits(caseworker, same_person_pair):
    upload = PhotoUpload(data=same_person_pair[0].read_bytes(), filename="a.jpg", age_in_photo=8)

    case = case_create(user=caseworker, photos=[upload], **CASE_FIELDS)

    photo = case.photos.get()
    assert photo.age_in_photo == 8
    assert photo_file_exists(path=photo.file)
    assert photo_file_read(path=photo.file)[:2] == b"\xff\xd8"  # decrypts to a JPEG
    from django.conf import settings

    raw = (settings.MEDIA_ROOT / photo.file).read_bytes()
    assert raw[:2] != b"\xff\xd8"  # encrypted at rest
    actions = list(AuditEvent.objects.values_list("action", flat=True))
    assert actions[:2] == ["case.created", "photo.added"]
    assert audit_verify()[1] is None


def test_one_bad_photo_stores_nothing(caseworker, same_person_pair):
    uploads = [
        PhotoUpload(data=same_person_pair[0].read_bytes()),
        PhotoUpload(data=b"not an image at all"),
    ]
    with pytest.raises(PhotoRejected):
        case_create(user=caseworker, photos=uploads, **CASE_FIELDS)
    assert not MissingCase.objects.exists()
    assert not Photo.objects.exists()


def test_partner_may_not_create_a_case(partner):
    with pytest.raises(PermissionDenied):
        case_create(user=partner, photos=[], **CASE_FIELDS)


def test_unapproved_organisation_may_not_act(caseworker):
    caseworker.organisation.approved_at = None
    caseworker.organisation.save()
    with pytest.raises(PermissionDenied):
        case_create(user=caseworker, photos=[], **CASE_FIELDS)


def test_duplicate_external_ref_returns_the_existing_report(partner):
    fields = {
        "found_on": "2025-02-01",
        "found_place": "Shelter",
        "estimated_age_min": 6,
        "estimated_age_max": 9,
        "sex": "male",
    }
    first, created = report_create(user=partner, photos=[], external_ref="NGO-1", **fields)
    again, created_again = report_create(
        user=partner, photos=[PhotoUpload(data=image_bytes())], external_ref="NGO-1", **fields
    )
    assert created and not created_again
    assert again.pk == first.pk
    assert FoundReport.objects.count() == 1
    assert not Photo.objects.exists()


def test_same_external_ref_in_another_organisation_is_a_new_report(partner):
    FoundReportFactory(external_ref="NGO-1")
    _, created = report_create(
        user=partner,
        photos=[],
        external_ref="NGO-1",
        found_on="2025-02-01",
        found_place="x",
        estimated_age_min=1,
        estimated_age_max=2,
    )
    assert created
