"""A real S3-compatible server for tests: moto's server, started as its own process.

Nothing is mocked inside the test process: the photo storage talks HTTP to this server as it
would to MinIO or AWS.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests

# Not real credentials: moto's server accepts any.
ACCESS_KEY = "reunite-test"
SECRET_KEY = "reunite-test-secret"
REGION = "us-east-1"


@dataclass(frozen=True)
class ObjectStore:
    endpoint_url: str

    def client(self):  # type: ignore[no-untyped-def]
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
            region_name=REGION,
        )


def _spare_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _server_command() -> list[str]:
    beside = Path(sys.executable).parent / "moto_server"
    found = str(beside) if beside.exists() else shutil.which("moto_server")
    if not found:
        raise RuntimeError("moto_server not found: pip install -r requirements-dev.txt")
    return [found]


@contextmanager
def object_store_running() -> Iterator[ObjectStore]:
    """Start moto's S3-compatible server on a free loopback port; stop it afterwards."""
    port = _spare_port()
    process = subprocess.Popen(
        [*_server_command(), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    store = ObjectStore(endpoint_url=f"http://127.0.0.1:{port}")
    try:
        # A liveness bound for the server to start (slow on a loaded machine), not a speed check.
        deadline = time.monotonic() + 180
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"moto_server exited with {process.returncode}")
            try:
                requests.get(store.endpoint_url, timeout=10)
                break
            except requests.RequestException:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        yield store
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
