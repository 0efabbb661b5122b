"""Photo files and rows agree: no file without a row, no row without its file.

A crash between a commit and a file deletion (or a write whose transaction then failed) can
leave an encrypted file no row points to: the sweep removes it, audited, so no child's photo
stays on disk unaccounted for. The reverse check reports rows whose file is gone: that is
lost data, for a person to look at, never something to "fix" silently.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field

from django.db import transaction

from cases.audit.trail import audit_record
from cases.models import Photo
from cases.records.storage import photo_file_delete, photo_file_exists, photo_files_list

# A file younger than this may belong to an upload whose transaction has not committed yet.
ORPHAN_MIN_AGE = dt.timedelta(hours=1)
# How many names or ids an audit record lists (the count is always exact).
AUDIT_SAMPLE = 50


@dataclass
class PhotoFilesReport:
    orphans: list[str] = field(default_factory=list)
    removed: int = 0
    missing: list[int] = field(default_factory=list)


def _files_delete(paths: list[str]) -> None:
    for path in paths:
        photo_file_delete(path=path)


def photo_files_check(*, remove_orphans: bool) -> PhotoFilesReport:
    """Find (and, if asked, remove) orphaned files, and find rows whose file is missing.

    Each finding is one audit record with the exact count.
    """
    report = PhotoFilesReport()
    older_than = time.time() - ORPHAN_MIN_AGE.total_seconds()
    on_disk = photo_files_list(older_than=older_than)
    referenced = set(Photo.objects.exclude(file="").values_list("file", flat=True))
    report.orphans = [path for path in on_disk if path not in referenced]
    report.missing = [
        pk
        for pk, path in Photo.objects.exclude(file="").values_list("pk", "file").iterator()
        if not photo_file_exists(path=path)
    ]
    with transaction.atomic():
        if report.orphans and remove_orphans:
            audit_record(
                actor=None,
                action="storage.orphans_removed",
                data={"count": len(report.orphans), "files": report.orphans[:AUDIT_SAMPLE]},
            )
            # Deleted once the audit record is committed: never a removal without its record.
            orphans = list(report.orphans)
            transaction.on_commit(lambda: _files_delete(orphans))
            report.removed = len(orphans)
        if report.missing:
            audit_record(
                actor=None,
                action="storage.files_missing",
                data={"count": len(report.missing), "photo_ids": report.missing[:AUDIT_SAMPLE]},
            )
    return report
