"""Upload to review queue on the real stack at idle: seconds from the API's 201 to the candidate.

Starts gunicorn, an `embed` worker and the `index` worker against PostgreSQL and Redis on
127.0.0.1 (as bench/load.py does), with the real face models. It files one missing-child case
for each of ROUNDS people of the shared LFW development set (their first photo) and waits
until those are embedded. Then, one at a time with the stack otherwise idle, a partner sends
a found-child report with the person's second photo (`POST /api/v1/found-reports/`), and a
signed-in reviewer polls the review queue (`GET /api/v1/review/candidates/`, every 50 ms)
until the candidate for that report is listed. The time is taken from the 201's arrival to the
first queue response that lists it.

Printed: p50 / p95 / max seconds, and the reports that produced no candidate, with why: the
photo was processed and scored below the threshold (`no match`, a miss of the model, not of
the pipeline), it holds several faces (`needs_face_selection`, a person picks one first) or
none (`rejected`). Those are left out of the latency figures.

Run from the project root (the database is emptied and migrated first: use a scratch one):
    .venv/bin/python bench/review.py --database-url \\
        postgres://postgres@127.0.0.1:5432/reunite_review --redis-url redis://127.0.0.1:6379/13
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from load import COUNT, ROOT, manage, stack_prepare, stack_start, wait_for

SETUP = """
import json, os, django
django.setup()
from django.conf import settings
from django.test import Client
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from cases.access.apikeys import apikey_create
from cases.models import Organisation, User
from cases.records.services import PhotoUpload, case_create

def org(name, kind):
    return Organisation.objects.create(name=name, kind=kind, purpose="reunite_missing",
        approved_at=timezone.now(), daily_report_limit=100000, daily_photo_limit=100000)

family, ngo, agency = org("Bench family", "guardian_support"), org("Bench NGO", "ngo"), \\
    org("Bench agency", "agency")
worker = User.objects.create(username="bench-caseworker", organisation=family, role="caseworker")
partner = User.objects.create(username="bench-partner", organisation=ngo, role="partner")
reviewer = User.objects.create(username="bench-reviewer", organisation=agency, role="reviewer")
device = TOTPDevice.objects.create(user=reviewer, name="bench", confirmed=True,
    key="3132333435363738393031323334353637383930")
client = Client()
client.force_login(reviewer)
session = client.session
session[DEVICE_ID_SESSION_KEY] = device.persistent_id
session.save()
for n, path in enumerate(json.loads(os.environ["BENCH_CASE_PHOTOS"])):
    with open(path, "rb") as handle:
        case_create(user=worker, photos=[PhotoUpload(data=handle.read())], given_name=f"Child {n}",
            sex="unknown", age_min=7, age_max=9, last_seen_on="2025-01-10",
            last_seen_place="Square", consent_given_by="Parent",
            consent_given_at="2025-01-11T09:00:00Z", consent_method="in_person")
print(json.dumps({"partner": apikey_create(user=partner, created_by=None)[1],
    "session": client.cookies[settings.SESSION_COOKIE_NAME].value,
    "cookie": settings.SESSION_COOKIE_NAME}))
"""


# Where the time went, from the rows' own timestamps (for found reports that got a candidate):
# stored (photo row) -> embedded (embedding row) -> candidate row.
STAGES = """
import json, statistics, django
django.setup()
from matching.models import Candidate, Embedding
rows = []
for candidate in Candidate.objects.select_related("found_report"):
    photo = candidate.found_report.photos.order_by("created_at").first()
    embedding = Embedding.objects.filter(face__photo=photo).order_by("created_at").first()
    if embedding is not None:
        rows.append(((embedding.created_at - photo.created_at).total_seconds(),
                     (candidate.created_at - embedding.created_at).total_seconds()))
def q(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, round(p * (len(values) - 1)))]
print(json.dumps({name: [statistics.median(v), q(v, 0.95)] for name, v in
    (("photo stored -> embedded", [a for a, _ in rows]),
     ("embedded -> candidate row", [b for _, b in rows]))} if rows else {}))
"""


def tree_rss_mb(pid: int) -> float:
    """Resident memory of a process and its children (the Celery pool), in MB."""
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        try:
            with open(f"/proc/{current}/status") as handle:
                total += next(
                    int(line.split()[1]) / 1024 for line in handle if line.startswith("VmRSS:")
                )
            with open(f"/proc/{current}/task/{current}/children") as handle:
                todo += [int(child) for child in handle.read().split()]
        except (OSError, StopIteration):
            continue
    return total


def pairs(faces: Path, rounds: int) -> list[tuple[Path, Path]]:
    """The first two photos of the first `rounds` people with at least two."""
    people: dict[str, list[Path]] = defaultdict(list)
    with open(faces / "manifest.csv") as handle:
        for row in csv.DictReader(handle):
            people[row["identity"]].append(faces.parent / row["path"])
    chosen = [sorted(p)[:2] for _, p in sorted(people.items()) if len(p) >= 2]
    return [(a, b) for a, b in chosen[:rounds]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--redis-url", required=True)
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--embed-concurrency", type=int, default=1)
    parser.add_argument("--faces", type=Path, default=ROOT.parent / "shared" / "faces" / "lfw-dev")
    parser.add_argument("--wait", type=float, default=60, help="liveness bound per report, s")
    args = parser.parse_args()
    chosen = pairs(args.faces, args.rounds)
    scratch, port, env = stack_prepare(
        database_url=args.database_url,
        redis_url=args.redis_url,
        name="review",
        settings={
            "REUNITE_FACE_ENGINE": "deepface",
            # The reviewer polls 20 times a second: more than the default throttle allows.
            "REUNITE_API_RATE": "100000/min",
            "BENCH_CASE_PHOTOS": json.dumps([str(a) for a, _ in chosen]),
        },
        commands=(("install_weights",),),
    )
    ids = json.loads(manage(env, SETUP))

    processes = stack_start(
        env=env,
        port=port,
        scratch=scratch,
        web_workers=2,
        embed_concurrency=args.embed_concurrency,
    )
    base = f"http://127.0.0.1:{port}/api/v1"
    partner = {"Authorization": f"Token {ids['partner']}"}
    reviewer = requests.Session()
    reviewer.cookies.set(ids["cookie"], ids["session"], domain="127.0.0.1")
    latencies: list[float] = []
    missed: list[str] = []
    try:
        wait_for(
            lambda: requests.get(f"{base}/found-reports/", timeout=5).status_code == 401,
            timeout=120,
            what="gunicorn",
        )

        def waiting() -> int:
            now = json.loads(manage(env, COUNT))
            return now.get("pending", 0) + now.get("processing", 0)

        # The cases' photos are embedded and indexed first (this also loads the models).
        wait_for(lambda: waiting() == 0, timeout=60 + 20 * len(chosen), what="the case photos")
        queue = reviewer.get(f"{base}/review/candidates/", timeout=30)
        if queue.status_code != 200:
            raise SystemExit(f"The reviewer cannot read the queue: {queue.status_code}")
        time.sleep(3)  # idle: the workers have finished their start-up work

        for n, (_, found) in enumerate(chosen):
            response = requests.post(
                f"{base}/found-reports/",
                data={
                    "found_on": "2025-06-01",
                    "found_place": "Shelter",
                    "estimated_age_min": "6",
                    "estimated_age_max": "10",
                    "sex": "unknown",
                    "external_ref": f"R-{n}",
                },
                files={"photos": ("p.jpg", found.read_bytes(), "image/jpeg")},
                headers=partner,
                timeout=60,
            )
            created = time.perf_counter()
            if response.status_code != 201:
                raise SystemExit(f"Upload {n}: {response.status_code} {response.text[:300]}")
            report = response.json()["id"]
            listed, why = None, "no answer within --wait"
            while time.perf_counter() - created < args.wait:
                page: str | None = f"{base}/review/candidates/"
                while page and listed is None:
                    answer = reviewer.get(page, timeout=30)
                    if answer.status_code != 200:
                        raise SystemExit(f"Queue: {answer.status_code} {answer.text[:300]}")
                    body = answer.json()
                    if any(c["found_report"] == report for c in body["results"]):
                        listed = time.perf_counter() - created
                    page = body["next"]
                if listed is not None:
                    break
                if time.perf_counter() - created > 10:
                    # Still none: has the photo left the pipeline without a candidate?
                    photo = requests.get(
                        f"{base}/found-reports/{report}/", headers=partner, timeout=30
                    ).json()["photos"][0]
                    if photo["status"] not in ("pending", "processing"):
                        why = photo["status"] if photo["status"] != "ready" else "no match"
                        break
                time.sleep(0.05)
            if listed is None:
                missed.append(f"{found.parent.name}: {why}")
            else:
                latencies.append(listed)
            print(
                f"  {n:>3} {found.parent.name:<28} "
                f"{f'no candidate ({why})' if listed is None else f'{listed:.2f} s'}",
                flush=True,
            )
            time.sleep(1)  # back to idle before the next upload
        rss = [tree_rss_mb(process.pid) for process in processes]
        print(
            f"resident memory: web (2 gunicorn workers) {rss[0]:,.0f} MB, embed worker "
            f"({args.embed_concurrency} process + parent) {rss[1]:,.0f} MB, "
            f"index worker {rss[2]:,.0f} MB"
        )
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=60)

    latencies.sort()
    for stage, (p50, p95) in json.loads(manage(env, STAGES)).items():
        print(f"  {stage:<28} p50 {p50:.2f} s, p95 {p95:.2f} s")
    print(f"reports {len(chosen)}, listed {len(latencies)}, no candidate {len(missed)}")
    for line in missed:
        print(f"  no candidate: {line}")
    if latencies:
        p95 = latencies[min(len(latencies) - 1, round(0.95 * (len(latencies) - 1)))]
        print(
            f"201 -> listed in the review queue: p50 {statistics.median(latencies):.2f} s, "
            f"p95 {p95:.2f} s, max {latencies[-1]:.2f} s"
        )
    print(f"logs in {scratch}")


if __name__ == "__main__":
    main()
