import io
import os
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.test import TestCase

from cases.models import AuditEvent, Photo
from cases.records.services import PhotoUpload, case_create
from cases.records.storage import photo_file_write
from tests.support.data import CASE_FIELDS

pytestmark = pytest.mark.django_db


def _age(relative: str) -> None:
    path = Path(settings.MEDIA_ROOT) / relative
    old = time.time() - 2 * 3600
    os.utime(path, (old, old))


def test_an_orphaned_file_is_removed_and_audited_and_a_fresh_one_is_left(
    caseworker, same_person_pair
):
    case = case_create(
        user=caseworker, photos=[PhotoUpload(data=same_person_pair[0].read_bytes())], **CASE_FIELDS
    )
    kept = case.photos.get().file
    _age(kept)
    orphan = photo_file_write(data=b"left by a crash")
    _age(orphan)
    fresh = photo_file_write(data=b"an upload still in its transaction")

    out = io.StringIO()
    with TestCase.captureOnCommitCallbacks(execute=True):
        call_command("photo_files_check", "--remove", stdout=out)

    media = Path(settings.MEDIA_ROOT)
    assert not (media / orphan).exists()
    assert (media / kept).exists() and (media / fresh).exists()
    event = AuditEvent.objects.get(action="storage.orphans_removed")
    assert event.data["count"] == 1 and event.data["files"] == [orphan]
    assert "removed: 1" in out.getvalue()


def test_a_row_whose_file_is_missing_is_reported(caseworker, same_person_pair):
    case = case_create(
        user=caseworker, photos=[PhotoUpload(data=same_person_pair[0].read_bytes())], **CASE_FIELDS
    )
    photo = case.photos.get()
    (Path(settings.MEDIA_ROOT) / photo.file).unlink()

    with pytest.raises(CommandError, match=f"ids \\[{photo.pk}\\]"):
        call_command("photo_files_check", stdout=io.StringIO())
    event = AuditEvent.objects.get(action="storage.files_missing")
    assert event.data["photo_ids"] == [photo.pk]
    assert Photo.objects.filter(pk=photo.pk).exists()  # reported, never silently removed
