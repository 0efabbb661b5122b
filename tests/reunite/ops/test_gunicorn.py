"""Request counters add up across gunicorn's processes (prometheus_client multiprocess mode),
as the Docker image runs it. A real gunicorn with two workers, on the embedded default."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

ROOT = Path(__file__).resolve().parents[3]
TOKEN = "gunicorn-test-token"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, **headers: str) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def _responses_200(base: str) -> float:
    status, body = _get(f"{base}/metrics", Authorization=f"Bearer {TOKEN}")
    assert status == 200
    for family in text_string_to_metric_families(body.decode()):
        for sample in family.samples:
            if sample.name == "django_http_responses_total_by_status_total" and sample.labels == {
                "status": "200"
            }:
                return sample.value
    return 0.0


@pytest.fixture
def gunicorn(tmp_path):
    port = _free_port()
    prom = tmp_path / "prometheus"
    prom.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}} | {
        "DJANGO_SETTINGS_MODULE": "reunite.settings.test",
        "REUNITE_DATA_DIR": str(tmp_path / "data"),
        "PROMETHEUS_MULTIPROC_DIR": str(prom),
        "REUNITE_METRICS_TOKEN": TOKEN,
    }
    log = open(tmp_path / "gunicorn.log", "wb")  # noqa: SIM115 (open for the process' life)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "reunite.wsgi:application",
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{port}",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120  # a liveness bound: two processes import Django
    while time.monotonic() < deadline:
        try:
            if _get(f"{base}/healthz")[0] == 200:
                break
        except OSError:
            time.sleep(0.3)
    else:
        process.kill()
        pytest.fail((tmp_path / "gunicorn.log").read_text()[-3000:])
    try:
        yield base, prom
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def test_every_process_answers_the_same_request_counts(gunicorn):
    base, prom = gunicorn
    sent = 0
    with ThreadPoolExecutor(max_workers=6) as pool:
        # Batches until both processes have served: on a busy machine one process can take
        # a whole batch. A bound on the batches, not on time.
        for _ in range(20):
            statuses = list(pool.map(lambda _: _get(f"{base}/accounts/login/")[0], range(30)))
            assert statuses == [200] * 30
            sent += 30
            if len({p.name for p in prom.glob("counter_*.db")}) == 2:
                break
    assert len({p.name for p in prom.glob("counter_*.db")}) == 2  # both processes served

    # Each scrape is itself a 200 counted after it answers; whichever process answers,
    # the count holds every earlier request of both.
    counts = [_responses_200(base) for _ in range(6)]
    assert counts == [sent + i for i in range(6)]


def test_readyz_answers_from_gunicorn(gunicorn):
    base, _ = gunicorn
    status, body = _get(f"{base}/readyz")
    assert status == 200, body
