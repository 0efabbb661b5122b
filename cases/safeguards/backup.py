"""Backups that restore: the database and the encrypted photo files, consistent, without the key.

A backup is one tar file:

- `manifest.json`: what is inside (format, database vendor, every file's SHA-256, the photo
  rows whose file was missing when the backup ran);
- `database.pgdump` (PostgreSQL, `pg_dump --format=custom`) or `database.sqlite3` (the
  embedded default, copied with SQLite's online backup API);
- `media/photos/...`: the photo files, still encrypted.

Consistency: the database is read in one snapshot (PostgreSQL: `pg_dump --snapshot` of a
REPEATABLE READ transaction that also lists the photo rows; SQLite: the list is read from the
copy itself), then exactly the files those rows point to are copied. Files are never changed
in place (key rotation replaces a file atomically with one that still decrypts), so a file
copied after the snapshot is the one the row means. Files no row points to are skipped;
rows whose file is gone are listed in the manifest and reported.

The photo encryption key is never written: it is needed to read the photos after a restore,
so it is kept apart (a secrets manager, a sealed envelope), as the docs say. The FAISS index
is not backed up either: it is derived from the embedding rows and rebuilt on restore.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy
from psycopg.conninfo import make_conninfo

from cases.audit.trail import audit_record
from cases.models import Photo
from cases.records.storage import (
    photo_file_stored_bytes,
    photo_storage_is_local,
    photo_token_decrypts,
)
from matching import interfaces as matching
from reunite.kernel.errors import ReuniteError

FORMAT = "reunite-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
MEDIA_PREFIX = "media/"
PG_DUMP = "database.pgdump"
SQLITE_COPY = "database.sqlite3"


class BackupError(ReuniteError):
    code = "backup_failed"
    status = 500
    title = gettext_lazy("Backup or restore failed")


class RestoreRefused(ReuniteError):
    """The target is not empty, or the archive does not fit this service."""

    code = "restore_refused"
    status = 409
    title = gettext_lazy("Restore refused")


@dataclass
class BackupResult:
    path: Path
    vendor: str
    files: int = 0
    bytes: int = 0
    missing: list[int] = field(default_factory=list)


@dataclass
class RestoreResult:
    vendor: str
    files: int = 0
    indexed: dict[str, int] = field(default_factory=dict)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _vendor() -> str:
    if connection.vendor not in {"postgresql", "sqlite"}:
        raise BackupError(f"Backups support PostgreSQL and SQLite, not {connection.vendor}.")
    return connection.vendor


def _pg_env() -> dict[str, str]:
    """libpq's variables for pg_dump / pg_restore, from Django's own connection settings."""
    db = connection.settings_dict
    env = dict(os.environ)
    for variable, key in (
        ("PGHOST", "HOST"),
        ("PGPORT", "PORT"),
        ("PGUSER", "USER"),
        ("PGPASSWORD", "PASSWORD"),
        ("PGDATABASE", "NAME"),
    ):
        if db.get(key):
            env[variable] = str(db[key])
    return env


def _pg_tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"{name} is not on PATH: install the PostgreSQL client tools "
            "(Debian: apt-get install postgresql-client) matching the server's major version."
        )
    return found


def _photo_table() -> str:
    return Photo._meta.db_table


def _pg_dump(*, target: Path) -> list[tuple[int, str]]:
    """Dump the database in one snapshot and return the photo rows that snapshot holds."""
    pg_dump = _pg_tool("pg_dump")
    env = _pg_env()
    conninfo = {
        "dbname": env.get("PGDATABASE", ""),
        "host": env.get("PGHOST"),
        "port": env.get("PGPORT"),
        "user": env.get("PGUSER"),
        "password": env.get("PGPASSWORD"),
    }
    with psycopg.connect(make_conninfo("", **{k: v for k, v in conninfo.items() if v})) as conn:
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        with conn.cursor() as cursor:
            cursor.execute("SELECT pg_export_snapshot()")
            (snapshot,) = cursor.fetchone() or ("",)
            cursor.execute(
                f"SELECT id, file FROM {_photo_table()} WHERE file <> '' ORDER BY id"  # noqa: S608
            )
            rows = [(int(pk), str(path)) for pk, path in cursor.fetchall()]
            # The snapshot lives as long as this transaction: pg_dump reads the same one.
            completed = subprocess.run(  # noqa: S603
                [
                    pg_dump,
                    "--format=custom",
                    "--no-owner",
                    "--no-privileges",
                    f"--snapshot={snapshot}",
                    f"--file={target}",
                ],
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
        conn.rollback()
    if completed.returncode != 0:
        raise BackupError(f"pg_dump failed: {completed.stderr.strip()[:500]}")
    return rows


def _sqlite_copy(*, target: Path) -> list[tuple[int, str]]:
    """Copy the live SQLite database with the online backup API; list photos from the copy."""
    connection.ensure_connection()
    source = connection.connection
    assert source is not None
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)
        rows = copy.execute(
            f"SELECT id, file FROM {_photo_table()} WHERE file <> '' ORDER BY id"  # noqa: S608
        ).fetchall()
    finally:
        copy.close()
    return [(int(pk), str(path)) for pk, path in rows]


def _safe_relative(path: str) -> bool:
    parts = Path(path).parts
    return (
        bool(parts) and parts[0] == "photos" and ".." not in parts and not Path(path).is_absolute()
    )


def _bytes_add(archive: tarfile.TarFile, *, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o600
    info.mtime = int(timezone.now().timestamp())
    archive.addfile(info, io.BytesIO(data))


def backup_create(*, path: Path) -> BackupResult:
    """Write a backup of the database and the photo files to `path` (a new tar file)."""
    vendor = _vendor()
    path = Path(path)
    if path.exists():
        raise BackupError(f"{path} exists already; a backup never overwrites a file.")
    path.parent.mkdir(parents=True, exist_ok=True)
    result = BackupResult(path=path, vendor=vendor)
    partial = path.with_name(path.name + ".partial")
    with tempfile.TemporaryDirectory(prefix="reunite-backup-") as scratch:
        db_name = PG_DUMP if vendor == "postgresql" else SQLITE_COPY
        db_file = Path(scratch) / db_name
        rows = _pg_dump(target=db_file) if vendor == "postgresql" else _sqlite_copy(target=db_file)
        files: dict[str, str] = {}
        # Owner-only from the first byte: the archive holds children's records.
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w") as archive:
            archive.add(db_file, arcname=db_name)
            for pk, relative in rows:
                # Read once: the checksum and the archived bytes are the same file even if
                # key rotation swaps it meanwhile.
                data = photo_file_stored_bytes(path=relative) if _safe_relative(relative) else None
                if data is None:
                    result.missing.append(pk)
                    continue
                files[relative] = hashlib.sha256(data).hexdigest()
                _bytes_add(archive, name=MEDIA_PREFIX + relative, data=data)
                result.files += 1
                result.bytes += len(data)
            manifest: dict[str, Any] = {
                "format": FORMAT,
                "version": FORMAT_VERSION,
                "created_at": timezone.now().isoformat(),
                "database": {"vendor": vendor, "file": db_name, "sha256": _sha256(db_file)},
                "photo_rows": len(rows),
                "files": files,
                "missing_photo_ids": result.missing,
                "key": "Not included. Restore needs REUNITE_PHOTO_ENCRYPTION_KEY, kept apart.",
            }
            _bytes_add(
                archive, name=MANIFEST, data=json.dumps(manifest, indent=1, sort_keys=True).encode()
            )
    os.replace(partial, path)
    with transaction.atomic():
        audit_record(
            actor=None,
            action="backup.created",
            data={
                "file": path.name,
                "vendor": vendor,
                "files": result.files,
                "missing": len(result.missing),
            },
        )
    return result


def _manifest_read(archive: tarfile.TarFile) -> dict[str, Any]:
    try:
        member = archive.extractfile(MANIFEST)
    except KeyError as exc:
        raise RestoreRefused("This file is not a Reunite backup (no manifest).") from exc
    assert member is not None
    manifest = json.loads(member.read())
    if manifest.get("format") != FORMAT or manifest.get("version") != FORMAT_VERSION:
        raise RestoreRefused("This file is not a Reunite backup of a version this code reads.")
    return manifest


def _target_check(*, vendor: str, manifest: dict[str, Any]) -> None:
    if manifest["database"]["vendor"] != vendor:
        raise RestoreRefused(
            f"The backup is of a {manifest['database']['vendor']} database; this service "
            f"runs on {vendor}."
        )
    if not photo_storage_is_local():
        raise RestoreRefused(
            "Restore writes the photo files into a local folder: run it with "
            "REUNITE_PHOTO_STORAGE=local, then copy the folder's photos/ into the bucket "
            "(see docs/backups.md)."
        )
    tables = connection.introspection.table_names()
    if tables:
        raise RestoreRefused(
            f"The database is not empty ({len(tables)} tables). Restore only into an empty "
            "database: create a new one (PostgreSQL) or point REUNITE_DATA_DIR at an empty "
            "folder (SQLite)."
        )
    photos = Path(settings.MEDIA_ROOT) / "photos"
    if photos.is_dir() and any(photos.iterdir()):
        raise RestoreRefused(f"The photo storage {photos} is not empty.")


def _key_check(*, archive: tarfile.TarFile, manifest: dict[str, Any]) -> None:
    """Refuse before writing anything if the configured keys cannot read the photos."""
    for relative in list(manifest["files"])[:1]:
        member = archive.extractfile(MEDIA_PREFIX + relative)
        assert member is not None
        if not photo_token_decrypts(token=member.read()):
            raise RestoreRefused(
                "The photo encryption key configured here does not decrypt the backed-up "
                "photos: set REUNITE_PHOTO_ENCRYPTION_KEY (or REUNITE_PHOTO_ENCRYPTION_OLD_KEYS) "
                "to the key the backed-up service used."
            )


def _pg_restore(*, dump: Path) -> None:
    completed = subprocess.run(  # noqa: S603
        [
            _pg_tool("pg_restore"),
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--single-transaction",
            f"--dbname={_pg_env().get('PGDATABASE', '')}",
            str(dump),
        ],
        env=_pg_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        raise BackupError(f"pg_restore failed: {completed.stderr.strip()[:500]}")


def _sqlite_restore(*, copy: Path) -> None:
    connection.ensure_connection()
    target = connection.connection
    assert target is not None
    source = sqlite3.connect(copy)
    try:
        source.backup(target)
    finally:
        source.close()


def _files_restore(*, archive: tarfile.TarFile, manifest: dict[str, Any], staging: Path) -> int:
    """Extract every photo file into `staging`, checking each one's SHA-256."""
    count = 0
    for relative, digest in manifest["files"].items():
        if not _safe_relative(relative):
            raise RestoreRefused(f"Unsafe path in the backup: {relative!r}.")
        member = archive.extractfile(MEDIA_PREFIX + relative)
        assert member is not None
        data = member.read()
        if hashlib.sha256(data).hexdigest() != digest:
            raise RestoreRefused(f"{relative} in the backup is damaged (checksum differs).")
        target = staging / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        count += 1
    return count


def backup_restore(*, path: Path) -> RestoreResult:
    """Restore a backup into an empty database and empty photo storage, then rebuild the index.

    Refuses, before writing anything, a non-empty target, another database vendor, a damaged
    archive, or a photo key that does not decrypt the photos.
    """
    vendor = _vendor()
    media = Path(settings.MEDIA_ROOT)
    with tarfile.open(path, mode="r") as archive:
        manifest = _manifest_read(archive)
        _target_check(vendor=vendor, manifest=manifest)
        _key_check(archive=archive, manifest=manifest)
        media.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix=".restore-", dir=media) as scratch:
            staging = Path(scratch)
            files = _files_restore(archive=archive, manifest=manifest, staging=staging)
            db_name = manifest["database"]["file"]
            member = archive.extractfile(db_name)
            assert member is not None
            db_file = staging / db_name
            db_file.write_bytes(member.read())
            if _sha256(db_file) != manifest["database"]["sha256"]:
                raise RestoreRefused("The database dump in the backup is damaged.")
            if vendor == "postgresql":
                _pg_restore(dump=db_file)
            else:
                _sqlite_restore(copy=db_file)
            # The database is in; the files move into place (same filesystem, so renames).
            if (staging / "photos").is_dir():
                os.replace(staging / "photos", media / "photos")
    result = RestoreResult(vendor=vendor, files=files)
    result.indexed = matching.indexes_rebuild()
    with transaction.atomic():
        audit_record(
            actor=None,
            action="backup.restored",
            data={
                "file": Path(path).name,
                "backup_created_at": manifest["created_at"],
                "files": files,
                "indexed": result.indexed,
                "restored_at": dt.datetime.now(tz=dt.UTC).isoformat(),
            },
        )
    return result
