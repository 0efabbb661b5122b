"""A real Celery worker, started as its own process against the test database and Redis.

Without REDIS_URL (the embedded default) the same tests run with tasks in-process.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connection

from reunite.celery import app as celery_app

ROOT = Path(__file__).resolve().parents[2]


class Worker:
    """One `celery worker` process consuming every queue, like a small deployment."""

    def __init__(self, *, env: dict[str, str], log: Path) -> None:
        self.env = env
        self.log = log
        self.lease_seconds = int(env["REUNITE_PROCESSING_LEASE_SECONDS"])
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, *, purge: bool = False) -> None:
        offset = self.log.stat().st_size if self.log.exists() else 0
        handle = open(self.log, "ab")  # noqa: SIM115 (kept open for the process' lifetime)
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "reunite",
                "worker",
                "-Q",
                "embed,index,default",
                "--pool",
                "solo",
                "--without-gossip",
                "--without-mingle",
                "-l",
                "info",
                "-n",
                f"e2e-{uuid.uuid4().hex[:6]}@%h",
                *(["--purge"] if purge else []),
            ],
            cwd=ROOT,
            env=self.env,
            stdout=handle,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            with open(self.log, "rb") as reader:
                reader.seek(offset)
                if b"ready." in reader.read():
                    return
            if self.process.poll() is not None:
                break
            time.sleep(0.2)
        raise RuntimeError(f"Celery worker did not start:\n{self.log.read_text()[-3000:]}")

    def kill(self) -> None:
        """SIGKILL: no shutdown, no acknowledgements, as when a machine dies."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()


@pytest.fixture
def pipeline(transactional_db, tmp_path, settings) -> Iterator[Worker | None]:
    """Tasks go to a real worker through Redis when REDIS_URL is set, else run in-process."""
    if not settings.REDIS_URL:
        yield None
        return
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "reunite.settings.test",
        "DATABASE_URL": (
            f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:"
            f"{db['PORT'] or 5432}/{db['NAME']}"
        ),
        "REDIS_URL": settings.REDIS_URL,
        "REUNITE_MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "REUNITE_INDEX_DIR": str(settings.FACE_INDEX_DIR),
        "REUNITE_TASKS_EAGER": "0",
        "REUNITE_FACE_ENGINE": "deepface",
        "REUNITE_PROCESSING_LEASE_SECONDS": "8",
        "REUNITE_CANDIDATE_THRESHOLD": str(settings.CANDIDATE_THRESHOLD),
    }
    photos = settings.STORAGES["photos"]
    if photos["BACKEND"] == "storages.backends.s3.S3Storage":
        # Photos in object storage (`s3_photo_storage`, requested first): the worker is
        # another machine, with a media folder of its own that stays empty.
        options = photos["OPTIONS"]
        env.update(
            {
                "REUNITE_PHOTO_STORAGE": "s3",
                "REUNITE_S3_BUCKET": options["bucket_name"],
                "REUNITE_S3_ENDPOINT_URL": options["endpoint_url"],
                "REUNITE_S3_REGION": options["region_name"],
                "REUNITE_S3_ACCESS_KEY_ID": options["access_key"],
                "REUNITE_S3_SECRET_ACCESS_KEY": options["secret_key"],
                "REUNITE_MEDIA_ROOT": str(tmp_path / "another-machine"),
            }
        )
    celery_app.conf.task_always_eager = False
    worker = Worker(env=env, log=tmp_path / "worker.log")
    worker.start(purge=True)  # leftovers of an earlier run must not leak into this one
    try:
        yield worker
    finally:
        worker.stop()
        celery_app.conf.task_always_eager = True
