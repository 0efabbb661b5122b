"""Uploads under load on the real stack: requests/s, latency, 5xx, and whether any photo is lost.

Starts gunicorn (3 workers, as in the Dockerfile), the `embed` worker (queues embed and
default) and the `index` worker against PostgreSQL and Redis, on 127.0.0.1 only, with its own
scratch data folder and broker prefix. Then CLIENTS concurrent clients send REQUESTS uploads
in all, a mix of single found reports (one photo), bulk requests (5 reports, one photo each)
and photos added to a case, while the workers are busy. It waits (a liveness bound, not a
deadline) until every stored photo has left `pending`/`processing`, and prints:

    requests/s, p50/p95 latency, 5xx count, photos stored / processed / lost

`lost` is a photo stored but never processed. Expect 0 5xx and 0 lost.

Run from the project root (the database is emptied and migrated first: use a scratch one):
    .venv/bin/python bench/load.py --database-url postgres://postgres@127.0.0.1:5432/reunite_load \
        --redis-url redis://127.0.0.1:6379/12 [--clients 16] [--requests 160]
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
SETUP = """
import json, django
django.setup()
from cases.access.apikeys import apikey_create
from django.utils import timezone
from cases.models import Organisation, User
from cases.records.services import case_create
org = Organisation.objects.create(name="Load NGO", kind="ngo", purpose="reunite_missing",
    approved_at=timezone.now(), daily_report_limit=100000, daily_photo_limit=100000)
partner = User.objects.create(username="load-partner", organisation=org, role="partner")
worker = User.objects.create(username="load-caseworker", organisation=org, role="caseworker")
case = case_create(user=worker, photos=[], given_name="Load", age_min=7, age_max=9,
    last_seen_on="2025-01-10", last_seen_place="Square", consent_given_by="Parent",
    consent_given_at="2025-01-11T09:00:00Z", consent_method="in_person")
print(json.dumps({"partner": apikey_create(user=partner, created_by=None)[1],
    "caseworker": apikey_create(user=worker, created_by=None)[1], "case": case.pk}))
"""
COUNT = """
import django, json
django.setup()
from cases.models import Photo
from django.db.models import Count
print(json.dumps(dict(Photo.objects.values_list("status").annotate(n=Count("id")))))
"""


def spare_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def manage(env: dict[str, str], code: str) -> str:
    return (
        subprocess.run(
            [PY, "-c", code], cwd=ROOT, env=env, check=True, capture_output=True, text=True
        )
        .stdout.strip()
        .splitlines()[-1]
    )


def start(env: dict[str, str], args: list[str], log: Path) -> subprocess.Popen:
    handle = open(log, "ab")  # noqa: SIM115 (open for the process' lifetime)
    return subprocess.Popen(args, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT)


def wait_for(condition, *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if condition():
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise SystemExit(f"Gave up after {timeout:.0f}s waiting for {what}")


def stack_prepare(
    *,
    database_url: str,
    redis_url: str,
    name: str,
    settings: dict[str, str],
    commands: tuple[tuple[str, ...], ...] = (),
) -> tuple[Path, int, dict[str, str]]:
    """(scratch folder, port, environment) for a stack on this machine's PostgreSQL and Redis,
    whose database is emptied and migrated first, then given `commands`."""
    if not redis_url.startswith("redis://127.0.0.1") or "@127.0.0.1" not in database_url:
        raise SystemExit("Loopback only: point --database-url and --redis-url at 127.0.0.1.")
    scratch = Path(tempfile.mkdtemp(prefix=f"reunite-{name}-"))
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "reunite.settings.local",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "REUNITE_DATA_DIR": str(scratch),
        "REUNITE_BROKER_PREFIX": f"{name}-{uuid.uuid4().hex[:6]}:",
        "PYTHONUNBUFFERED": "1",
        **settings,
    }
    for command in (("flush", "--noinput"), ("migrate", "--noinput"), *commands):
        subprocess.run(
            [PY, "manage.py", *command],
            cwd=ROOT,
            env=env,
            check=command[0] != "flush",  # an empty database has nothing to flush
            capture_output=True,
        )
    return scratch, spare_port(), env


def stack_start(
    *, env: dict[str, str], port: int, scratch: Path, web_workers: int, embed_concurrency: int
) -> list[subprocess.Popen]:
    """The real stack: gunicorn, an embed worker and the single index worker."""
    celery = [PY, "-m", "celery", "-A", "reunite", "worker", "--without-gossip", "-l", "info"]
    web = ["reunite.wsgi:application", "--workers", str(web_workers), "--timeout", "120"]
    embed = ["-Q", "embed,default", "--concurrency", str(embed_concurrency)]
    return [
        start(
            env,
            [PY, "-m", "gunicorn", *web, "--bind", f"127.0.0.1:{port}"],
            scratch / "web.log",
        ),
        start(env, [*celery, *embed, "-n", f"embed-{port}@%h"], scratch / "embed.log"),
        start(
            env,
            [*celery, "-Q", "index", "--concurrency", "1", "-n", f"index-{port}@%h"],
            scratch / "index.log",
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--redis-url", required=True)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--requests", type=int, default=160)
    parser.add_argument("--faces", default=str(ROOT.parent / "shared" / "faces" / "lfw-dev"))
    args = parser.parse_args()
    scratch, port, env = stack_prepare(
        database_url=args.database_url,
        redis_url=args.redis_url,
        name="load",
        settings={
            "REUNITE_API_RATE": "100000/min",
            "REUNITE_API_BULK_RATE": "100000/min",
            "REUNITE_SURGE_FLOOR": "1000000",
        },
    )
    ids = json.loads(manage(env, SETUP))
    photos = sorted(Path(args.faces).rglob("*.jpg"))[:40]
    if not photos:
        raise SystemExit(f"No photos under {args.faces}")
    blobs = [p.read_bytes() for p in photos]

    processes = stack_start(env=env, port=port, scratch=scratch, web_workers=3, embed_concurrency=2)
    base = f"http://127.0.0.1:{port}/api/v1"
    try:
        wait_for(
            lambda: requests.get(f"{base}/found-reports/", timeout=5).status_code == 401,
            timeout=120,
            what="gunicorn",
        )

        def send(i: int) -> tuple[float, int]:
            photo = blobs[i % len(blobs)]
            kind = ("report", "bulk", "case")[i % 3]
            token = ids["caseworker"] if kind == "case" else ids["partner"]
            headers = {"Authorization": f"Token {token}"}
            form = {
                "found_on": "2025-06-01",
                "found_place": "Shelter",
                "estimated_age_min": "6",
                "estimated_age_max": "10",
                "sex": "unknown",
            }
            began = time.perf_counter()
            if kind == "report":
                response = requests.post(
                    f"{base}/found-reports/",
                    data={**form, "external_ref": f"L-{i}"},
                    files={"photos": ("p.jpg", photo, "image/jpeg")},
                    headers=headers,
                    timeout=300,
                )
            elif kind == "bulk":
                encoded = base64.b64encode(photo).decode()
                reports = [
                    {
                        **form,
                        "external_ref": f"B-{i}-{n}",
                        "photos": [{"filename": "p.jpg", "content_base64": encoded}],
                    }
                    for n in range(5)
                ]
                response = requests.post(
                    f"{base}/found-reports/bulk/",
                    json={"reports": reports},
                    headers=headers,
                    timeout=300,
                )
            else:
                response = requests.post(
                    f"{base}/cases/{ids['case']}/photos/",
                    files={"image": ("p.jpg", photo, "image/jpeg")},
                    headers=headers,
                    timeout=300,
                )
            return time.perf_counter() - began, response.status_code

        began = time.perf_counter()
        with ThreadPoolExecutor(max_workers=args.clients) as pool:
            results = list(pool.map(send, range(args.requests)))
        elapsed = time.perf_counter() - began

        def counts() -> dict[str, int]:
            return json.loads(manage(env, COUNT))

        # Liveness bound: fail only if nothing moves for 5 minutes.
        left, last_move = None, time.monotonic()
        while True:
            now = counts()
            waiting = now.get("pending", 0) + now.get("processing", 0)
            if waiting == 0:
                break
            if waiting != left:
                left, last_move = waiting, time.monotonic()
            elif time.monotonic() - last_move > 300:
                break
            time.sleep(2)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=60)

    latencies = sorted(seconds for seconds, _ in results)
    statuses = [status for _, status in results]
    stored = sum(now.values())
    processed = sum(now.get(s, 0) for s in ("ready", "rejected", "needs_face_selection"))
    print(f"clients {args.clients}, requests {len(results)} in {elapsed:.1f}s")
    print(f"requests/s {len(results) / elapsed:.2f}")
    print(
        f"latency p50 {statistics.median(latencies) * 1000:.0f} ms, "
        f"p95 {latencies[int(0.95 * (len(latencies) - 1))] * 1000:.0f} ms"
    )
    print(f"status counts {dict(sorted((s, statuses.count(s)) for s in set(statuses)))}")
    print(f"5xx {sum(1 for s in statuses if s >= 500)}")
    print(f"photos stored {stored}, processed {processed}, lost {stored - processed}")
    print(f"logs in {scratch}")


if __name__ == "__main__":
    main()
