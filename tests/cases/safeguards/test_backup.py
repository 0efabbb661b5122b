"""Backup and restore: a full backup, a wipe, a restore, and the same candidates come back.

Runs on whichever database the suite runs on: PostgreSQL (pg_dump / pg_restore) in the
real-services run, SQLite (the online backup API) in the embedded one.
"""

from __future__ import annotations

import base64
import shutil
import tarfile
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from cases.models import AuditEvent, FoundReport, MissingCase, Photo
from cases.records.services import PhotoUpload, case_create, report_create
from cases.records.storage import encryption_keys, photo_file_read
from cases.safeguards.backup import RestoreRefused, backup_create, backup_restore
from matching.candidates.search import embedding_index_and_search
from matching.index.sync import index_forget_cache
from matching.models import Candidate, Embedding
from tests.support.data import CASE_FIELDS, REPORT_FIELDS, textured_photo

pytestmark = pytest.mark.django_db(transaction=True)

KEY = Fernet.generate_key().decode()


@pytest.fixture(autouse=True)
def _photo_key(settings):
    settings.PHOTO_ENCRYPTION_KEY = KEY


def _candidates() -> set[tuple[str, str, float]]:
    return {
        (c.case.reference, c.found_report.reference, round(c.best_score, 5))
        for c in Candidate.objects.select_related("case", "found_report")
    }


def _world(caseworker, partner, matching_pair) -> None:
    """Two cases, two reports, and one matching pair between them (the fake engine)."""
    case_create(
        user=caseworker, photos=[PhotoUpload(data=matching_pair[0].read_bytes())], **CASE_FIELDS
    )
    report_create(
        user=partner,
        photos=[PhotoUpload(data=matching_pair[1].read_bytes())],
        external_ref="R-1",
        **REPORT_FIELDS,
    )
    report_create(user=partner, photos=[], external_ref="R-2", **REPORT_FIELDS)


def _wipe(media: Path, index: Path) -> None:
    """Lose everything: every table, every photo file, the index."""
    connection.close()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("DROP SCHEMA public CASCADE")
            cursor.execute("CREATE SCHEMA public")
        else:
            cursor.execute("PRAGMA foreign_keys = OFF")
            for table in connection.introspection.table_names():
                cursor.execute(f'DROP TABLE "{table}"')
    assert connection.introspection.table_names() == []
    shutil.rmtree(media)
    shutil.rmtree(index, ignore_errors=True)
    index_forget_cache()


def test_backup_wipe_restore_brings_back_the_same_records_files_and_candidates(
    caseworker, partner, matching_pair, settings, tmp_path
):
    _world(caseworker, partner, matching_pair)
    before = _candidates()
    assert len(before) == 1
    photos = {p.file: photo_file_read(path=p.file) for p in Photo.objects.all()}
    counts = (MissingCase.objects.count(), FoundReport.objects.count(), Embedding.objects.count())

    archive = tmp_path / "backup.tar"
    call_command("backup", str(archive))
    assert oct(archive.stat().st_mode & 0o777) == "0o600"
    _wipe(Path(settings.MEDIA_ROOT), Path(settings.FACE_INDEX_DIR))

    call_command("restore", str(archive))

    assert (
        MissingCase.objects.count(),
        FoundReport.objects.count(),
        Embedding.objects.count(),
    ) == counts
    assert {p.file: photo_file_read(path=p.file) for p in Photo.objects.all()} == photos
    assert _candidates() == before
    assert AuditEvent.objects.filter(action="backup.restored").exists()
    # The index was rebuilt from the restored rows: searching again finds the same pairs.
    Candidate.objects.all().delete()
    index_forget_cache()
    for embedding in Embedding.objects.order_by("pk"):
        embedding_index_and_search(embedding_id=embedding.pk)
    assert _candidates() == before


def test_the_photo_key_is_never_in_the_backup(caseworker, partner, matching_pair, tmp_path):
    _world(caseworker, partner, matching_pair)
    archive = tmp_path / "backup.tar"
    backup_create(path=archive)

    data = archive.read_bytes()
    for key in encryption_keys():
        assert key not in data
        assert base64.urlsafe_b64decode(key) not in data
    with tarfile.open(archive) as tar:
        for member in tar.getmembers():
            extracted = tar.extractfile(member)
            if extracted is not None:
                assert KEY.encode() not in extracted.read()


def test_files_no_row_points_to_are_skipped_and_missing_ones_reported(
    caseworker, partner, matching_pair, settings, tmp_path
):
    _world(caseworker, partner, matching_pair)
    media = Path(settings.MEDIA_ROOT)
    stray = media / "photos" / "ff" / "stray.enc"
    stray.parent.mkdir(parents=True, exist_ok=True)
    stray.write_bytes(b"not referenced")
    lost = Photo.objects.filter(side="report").get()
    (media / lost.file).unlink()

    result = backup_create(path=tmp_path / "backup.tar")

    assert result.missing == [lost.pk]
    assert result.files == Photo.objects.count() - 1
    with tarfile.open(tmp_path / "backup.tar") as tar:
        names = tar.getnames()
    assert "media/photos/ff/stray.enc" not in names
    assert f"media/{lost.file}" not in names


def test_restore_refuses_a_database_that_is_not_empty(caseworker, tmp_path):
    archive = tmp_path / "backup.tar"
    backup_create(path=archive)
    with pytest.raises(CommandError, match="not empty"):
        call_command("restore", str(archive))


def test_restore_refuses_a_wrong_key_before_writing_anything(
    caseworker, partner, matching_pair, settings, tmp_path
):
    _world(caseworker, partner, matching_pair)
    archive = tmp_path / "backup.tar"
    backup_create(path=archive)
    _wipe(Path(settings.MEDIA_ROOT), Path(settings.FACE_INDEX_DIR))
    settings.PHOTO_ENCRYPTION_KEY = Fernet.generate_key().decode()
    try:
        with pytest.raises(RestoreRefused, match="does not decrypt"):
            backup_restore(path=archive)
        assert connection.introspection.table_names() == []
        assert not (Path(settings.MEDIA_ROOT) / "photos").exists()
    finally:
        # Leave a database the next test can use.
        settings.PHOTO_ENCRYPTION_KEY = KEY
        backup_restore(path=archive)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_dump's exported snapshot")
def test_a_photo_added_while_the_dump_runs_is_in_neither_the_dump_nor_the_files(
    caseworker, partner, matching_pair, settings, tmp_path, monkeypatch
):
    import json
    import subprocess

    from cases.records.services import photo_add

    _world(caseworker, partner, matching_pair)
    report = FoundReport.objects.get(external_ref="R-2")
    real_run = subprocess.run
    added: list[Photo] = []

    def upload_then_dump(args, **kwargs):
        # Committed after the snapshot was taken, before pg_dump reads anything.
        added.append(
            photo_add(user=partner, owner=report, upload=PhotoUpload(data=textured_photo(seed=11)))
        )
        return real_run(args, **kwargs)

    monkeypatch.setattr(subprocess, "run", upload_then_dump)
    archive = tmp_path / "backup.tar"
    backup_create(path=archive)
    monkeypatch.undo()

    with tarfile.open(archive) as tar:
        manifest = json.loads(tar.extractfile("manifest.json").read())
    assert added
    assert added[0].file not in manifest["files"]
    assert manifest["photo_rows"] == Photo.objects.count() - 1
    _wipe(Path(settings.MEDIA_ROOT), Path(settings.FACE_INDEX_DIR))
    backup_restore(path=archive)
    assert not Photo.objects.filter(pk=added[0].pk).exists()


def test_a_backup_reads_the_photos_from_object_storage(
    s3_photo_storage, caseworker, partner, matching_pair, tmp_path
):
    _world(caseworker, partner, matching_pair)
    archive = tmp_path / "backup.tar"
    result = backup_create(path=archive)

    assert result.missing == []
    with tarfile.open(archive) as tar:
        names = set(tar.getnames())
    assert all(any(name.endswith(p.file) for name in names) for p in Photo.objects.all())
    # Restore writes into a local folder only, and says how to fill the bucket.
    with pytest.raises(RestoreRefused, match="REUNITE_PHOTO_STORAGE=local"):
        backup_restore(path=archive)
