"""Photo files behind Django's storage API: the local default and S3-compatible storage.

The S3 tests talk HTTP to a real S3-compatible server (moto's, a separate process started by
the `object_store` fixture), as embed workers on other machines would to MinIO or AWS.
"""

import time

import pytest
from cryptography.fernet import InvalidToken
from django.core.files.storage import storages

from cases.models import Photo
from cases.records.services import PhotoUpload, case_create, report_create
from cases.records.storage import (
    photo_file_delete,
    photo_file_exists,
    photo_file_read,
    photo_file_write,
    photo_files_list,
)
from cases.safeguards import files as photo_files
from matching.models import Candidate
from tests.support.data import CASE_FIELDS, REPORT_FIELDS, image_bytes

pytestmark = pytest.mark.django_db(transaction=True)

JPEG = image_bytes(size=(120, 120), fmt="JPEG", color="grey")


def _object(object_store, bucket: str, key: str) -> bytes:
    return object_store.client().get_object(Bucket=bucket, Key=key)["Body"].read()


def test_local_storage_is_the_default_and_holds_only_ciphertext(settings):
    assert settings.PHOTO_STORAGE == "local"
    path = photo_file_write(data=JPEG)

    on_disk = (settings.MEDIA_ROOT / path).read_bytes()
    assert on_disk[:2] != b"\xff\xd8" and JPEG not in on_disk
    assert photo_file_read(path=path) == JPEG


def test_s3_storage_uploads_only_ciphertext_and_reads_it_back(s3_photo_storage, object_store):
    path = photo_file_write(data=JPEG)

    stored = _object(object_store, s3_photo_storage, path)
    assert stored[:2] != b"\xff\xd8" and JPEG not in stored  # encrypted before upload
    assert photo_file_exists(path=path)
    assert photo_file_read(path=path) == JPEG
    photo_file_delete(path=path)
    assert not photo_file_exists(path=path)
    photo_file_delete(path=path)  # already gone is not an error


def test_s3_object_encrypted_with_another_key_is_refused(s3_photo_storage, object_store):
    path = "photos/ab/forged.enc"
    object_store.client().put_object(Bucket=s3_photo_storage, Key=path, Body=b"not our token")
    with pytest.raises(InvalidToken):
        photo_file_read(path=path)


def test_embedding_reads_photos_from_object_storage(
    s3_photo_storage, object_store, caseworker, partner, matching_pair
):
    # Upload, detection and embedding, search: the whole path with photos only in the bucket.
    case = case_create(
        user=caseworker, photos=[PhotoUpload(data=matching_pair[0].read_bytes())], **CASE_FIELDS
    )
    report, _ = report_create(
        user=partner,
        photos=[PhotoUpload(data=matching_pair[1].read_bytes())],
        external_ref="S3-1",
        **REPORT_FIELDS,
    )

    assert set(Photo.objects.values_list("status", flat=True)) == {Photo.Status.READY}
    candidate = Candidate.objects.get()
    assert (candidate.case_id, candidate.found_report_id) == (case.pk, report.pk)
    keys = {
        item["Key"]
        for item in object_store.client().list_objects_v2(Bucket=s3_photo_storage)["Contents"]
    }
    assert keys == set(Photo.objects.values_list("file", flat=True))
    assert not storages["default"].exists("photos")  # nothing went to the local disk


def test_orphan_sweep_lists_and_removes_files_in_the_bucket(
    s3_photo_storage, object_store, caseworker, matching_pair, monkeypatch
):
    import datetime as dt
    import io

    from django.core.management import call_command

    case = case_create(
        user=caseworker, photos=[PhotoUpload(data=matching_pair[0].read_bytes())], **CASE_FIELDS
    )
    kept = case.photos.get().file
    orphan = photo_file_write(data=b"left by a crash")
    assert photo_files_list(older_than=time.time() + 60) == sorted([kept, orphan])
    assert photo_files_list(older_than=time.time() - 3600) == []  # too young to judge

    monkeypatch.setattr(photo_files, "ORPHAN_MIN_AGE", dt.timedelta(seconds=-60))
    call_command("photo_files_check", "--remove", stdout=io.StringIO())

    assert not photo_file_exists(path=orphan)
    assert photo_file_read(path=kept)[:2] == b"\xff\xd8"
