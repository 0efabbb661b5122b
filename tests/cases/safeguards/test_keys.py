"""Rotating the photo key: old files still read, the background job re-encrypts, resumably."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.core.management import call_command

from cases.models import AuditEvent, Photo, WebhookEndpoint
from cases.partners.webhooks import webhook_endpoint_create
from cases.records.services import PhotoUpload, case_create
from cases.records.storage import photo_file_read, secret_decrypt
from cases.safeguards.keys import (
    photo_key_rotate_batch,
    photo_key_rotation_start,
    photo_key_rotation_status,
)
from tests.support.data import CASE_FIELDS, textured_photo

pytestmark = pytest.mark.django_db(transaction=True)

OLD = Fernet.generate_key().decode()
NEW = Fernet.generate_key().decode()


@pytest.fixture
def old_key_photos(settings, caseworker) -> dict[str, bytes]:
    """Three photos stored under the old key; their decrypted bytes by path."""
    settings.PHOTO_ENCRYPTION_KEY = OLD
    settings.PHOTO_ENCRYPTION_OLD_KEYS = []
    case_create(
        user=caseworker,
        photos=[PhotoUpload(data=textured_photo(seed=n)) for n in (3, 4, 5)],
        **CASE_FIELDS,
    )
    return {p.file: photo_file_read(path=p.file) for p in Photo.objects.all()}


def _new_key_only(settings) -> None:
    settings.PHOTO_ENCRYPTION_KEY = NEW
    settings.PHOTO_ENCRYPTION_OLD_KEYS = []


def test_rotation_re_encrypts_every_file_and_the_old_key_can_then_go(
    settings, old_key_photos, partner
):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    _, secret = webhook_endpoint_create(user=partner, url="http://127.0.0.1:9/hook")
    settings.PHOTO_ENCRYPTION_KEY = NEW
    settings.PHOTO_ENCRYPTION_OLD_KEYS = [OLD]
    # Before rotating, both keys are configured and old files still read.
    assert {path: photo_file_read(path=path) for path in old_key_photos} == old_key_photos
    assert photo_key_rotation_status().old == 3

    call_command("photo_key_rotate")  # queued; tasks run in-process in tests

    assert photo_key_rotation_status().old == 0
    assert photo_key_rotation_status().current == 3
    _new_key_only(settings)
    assert {path: photo_file_read(path=path) for path in old_key_photos} == old_key_photos
    endpoint = WebhookEndpoint.objects.get()
    assert secret_decrypt(token=endpoint.secret) == secret
    assert AuditEvent.objects.filter(action="storage.key_rotation_started").count() == 1
    assert AuditEvent.objects.filter(action="storage.key_rotated").exists()
    assert AuditEvent.objects.filter(action="storage.key_rotation_finished").count() == 1
    # With only the new key, nothing under the old one would read any more.
    raw = (Path(settings.MEDIA_ROOT) / next(iter(old_key_photos))).read_bytes()
    with pytest.raises(InvalidToken):
        Fernet(OLD).decrypt(raw)


def test_a_stopped_rotation_resumes_after_the_last_audited_batch(settings, old_key_photos):
    settings.PHOTO_ENCRYPTION_KEY = NEW
    settings.PHOTO_ENCRYPTION_OLD_KEYS = [OLD]
    after = photo_key_rotation_start()
    rotated, last_id = photo_key_rotate_batch(after_id=after, batch_size=1)
    assert rotated == 1
    # The worker stops here. A new start resumes after the batch it had finished.
    assert photo_key_rotation_start() == last_id
    assert photo_key_rotation_status().old == 2

    call_command("photo_key_rotate", "--now", "--batch-size", "1")

    assert photo_key_rotation_status().old == 0
    batches = AuditEvent.objects.filter(action="storage.key_rotated").order_by("pk")
    assert [e.data["rotated"] for e in batches] == [1, 1, 1]


def test_running_the_rotation_again_changes_nothing(settings, old_key_photos):
    settings.PHOTO_ENCRYPTION_KEY = NEW
    settings.PHOTO_ENCRYPTION_OLD_KEYS = [OLD]
    call_command("photo_key_rotate", "--now")
    contents = {p: (Path(settings.MEDIA_ROOT) / p).read_bytes() for p in old_key_photos}

    rotated, _ = photo_key_rotate_batch(after_id=0, batch_size=10)

    assert rotated == 0
    assert {p: (Path(settings.MEDIA_ROOT) / p).read_bytes() for p in old_key_photos} == contents


def test_a_file_erased_during_rotation_is_skipped(settings, old_key_photos):
    settings.PHOTO_ENCRYPTION_KEY = NEW
    settings.PHOTO_ENCRYPTION_OLD_KEYS = [OLD]
    gone = Photo.objects.order_by("pk").first()
    (Path(settings.MEDIA_ROOT) / gone.file).unlink()

    rotated, _ = photo_key_rotate_batch(after_id=0, batch_size=10)

    assert rotated == 2
    assert photo_key_rotation_status().missing == 1


def test_rotation_re_encrypts_files_in_object_storage(settings, s3_photo_storage, caseworker):
    settings.PHOTO_ENCRYPTION_KEY = OLD
    settings.PHOTO_ENCRYPTION_OLD_KEYS = []
    case_create(user=caseworker, photos=[PhotoUpload(data=textured_photo(seed=6))], **CASE_FIELDS)
    path = Photo.objects.get().file
    original = photo_file_read(path=path)
    settings.PHOTO_ENCRYPTION_KEY = NEW
    settings.PHOTO_ENCRYPTION_OLD_KEYS = [OLD]

    call_command("photo_key_rotate")

    _new_key_only(settings)
    assert photo_file_read(path=path) == original
    assert photo_key_rotation_status().old == 0
