"""Backup, restore and photo-key rotation: wall time for a gallery of N encrypted photos.

Builds a scratch service (embedded SQLite by default, or a PostgreSQL database of its own
with --database) holding N photo rows, each with a real encrypted file of --kb kilobytes
(random bytes: like JPEGs, they do not compress), then times, each as its own process, as an
operator runs them:

- `manage.py backup`;
- `manage.py restore` into an empty database and data folder (index rebuild included);
- `manage.py photo_key_rotate --now` on the restored copy, after making a new key current.

Run from the project root:
    .venv/bin/python bench/backup.py [--photos 1000] [--kb 150] [--database reunite_backup_bench]
A --database name must contain "bench"; it and "<name>_restored" are dropped and recreated.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from cryptography.fernet import Fernet

PROJECT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable

SETUP = """
import os
from cases.models import MissingCase, Organisation, Photo, User
from cases.records.storage import photo_file_write
org = Organisation.objects.create(name="Bench", kind="ngo", purpose="reunite_missing")
user = User.objects.create(username="bench", organisation=org, role="caseworker")
case = MissingCase.objects.create(
    organisation=org, created_by=user, given_name="Bench", age_min=5, age_max=6,
    last_seen_on="2025-01-01", last_seen_place="Bench", consent_given_by="Bench",
    consent_given_at="2025-01-01T00:00:00Z", consent_method="in_person")
n, kb = int(os.environ["BENCH_PHOTOS"]), int(os.environ["BENCH_KB"])
Photo.objects.bulk_create(
    Photo(side="case", case=case, organisation=org, uploaded_by=user, width=1, height=1,
          file=photo_file_write(data=os.urandom(kb * 1024)), status="rejected")
    for _ in range(n))
print(Photo.objects.count(), "photos")
"""


def run(args: list[str], env: dict[str, str]) -> float:
    start = time.monotonic()
    subprocess.run(
        [PYTHON, "manage.py", *args],
        cwd=PROJECT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return time.monotonic() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--photos", type=int, default=1000)
    parser.add_argument("--kb", type=int, default=150)
    parser.add_argument("--database", default="")
    opts = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="reunite-backup-bench-"))
    key = Fernet.generate_key().decode()
    base = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "reunite.settings.local",
        "REUNITE_FACE_ENGINE": "fake",
        "REUNITE_PHOTO_ENCRYPTION_KEY": key,
        "BENCH_PHOTOS": str(opts.photos),
        "BENCH_KB": str(opts.kb),
    }
    base.pop("REDIS_URL", None)
    source = {**base, "REUNITE_DATA_DIR": str(scratch / "source")}
    target = {**base, "REUNITE_DATA_DIR": str(scratch / "restored")}
    if opts.database:
        assert "bench" in opts.database, "the database name must contain 'bench'"
        for name in (opts.database, f"{opts.database}_restored"):
            subprocess.run(
                ["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", name], check=True
            )
            subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", name], check=True)
        url = "postgres://postgres@127.0.0.1:5432/"
        source["DATABASE_URL"] = url + opts.database
        target["DATABASE_URL"] = url + f"{opts.database}_restored"
    else:
        source.pop("DATABASE_URL", None)
        target.pop("DATABASE_URL", None)
    run(["migrate", "-v0"], source)
    subprocess.run(
        [PYTHON, "manage.py", "shell", "-c", SETUP],
        cwd=PROJECT,
        env=source,
        check=True,
        stderr=subprocess.DEVNULL,
    )
    archive = scratch / "backup.tar"
    backup = run(["backup", str(archive)], source)
    restore = run(["restore", str(archive)], target)
    rotated = {
        **target,
        "REUNITE_PHOTO_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "REUNITE_PHOTO_ENCRYPTION_OLD_KEYS": key,
    }
    rotate = run(["photo_key_rotate", "--now"], rotated)
    size = archive.stat().st_size / 1e6
    vendor = "PostgreSQL" if opts.database else "SQLite"
    print(f"{vendor}, {opts.photos} photos of {opts.kb} KB: archive {size:.0f} MB")
    for name, seconds in (("backup", backup), ("restore", restore), ("rotate", rotate)):
        print(f"  {name:8s} {seconds:6.1f} s  ({opts.photos / seconds:,.0f} photos/s)")
    print(f"(scratch folder: {scratch})")


if __name__ == "__main__":
    main()
