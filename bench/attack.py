"""Issue 23's attacks, replayed against a live stack, each printed with what happened.

Starts the real stack on 127.0.0.1 as bench/load.py does (gunicorn with 3 workers, the
`embed` and `index` workers, PostgreSQL and Redis; a scratch data folder, so its own audit
checkpoint file), then runs three groups of attacks, one after another, and stops:

- audit: the rewrites of issue 23 in SQL, as someone with the database but not the key
  would write them (the statements of tests/cases/audit/test_trail_attacks.py), each on a
  freshly built 160-record chain; after each the seal runs as beat would, then
  `manage.py audit_verify` must fail. A copy of a genuine row must be refused outright.
- decompression: 10 uploads at once of a 6300x6300 16-bit PNG of zeros, of a 40 MP RGB PNG
  and of a ~14 MB JPEG, each answered with a clear 4xx or stored, never a 5xx; the web
  workers' peak memory is sampled from /proc while a second partner's requests are timed.
- concurrency and the smaller points: 40 wrong second-factor codes at once (django-otp's
  failure counter must count them), the right code 40 times at once (accepted once), a
  JSON body nested 1,000 deep (400) and a NAT64 webhook address (400).

Each line reads `OK` or `FAILED`; the exit status is the number of FAILED lines. Every loop
is bounded (a fixed number of requests; waits with a timeout), so it ends by itself.

Run from the project root (the database is emptied and migrated first: use a scratch one):
    .venv/bin/python bench/attack.py --database-url \\
        postgres://postgres@127.0.0.1:5432/reunite_attack --redis-url redis://127.0.0.1:6379/14
"""

from __future__ import annotations

import argparse
import io
import json
import re
import secrets
import subprocess
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import psycopg
import requests
from django_otp.oath import totp
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
from load import PY, ROOT, manage, stack_prepare, stack_start, wait_for

TOTP_KEY = bytes.fromhex("3132333435363738393031323334353637383930")  # the demo's secret
GUESSES = 40
CHAIN = 160

SETUP = f"""
import json, django
django.setup()
from django.conf import settings
from django.test import Client
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from cases.access.apikeys import apikey_create
from cases.models import Organisation, User

def org(name, kind):
    return Organisation.objects.create(name=name, kind=kind, purpose="reunite_missing",
        approved_at=timezone.now(), daily_report_limit=100000, daily_photo_limit=100000)

family, ngo, other, agency = (org("Attack family", "guardian_support"), org("Attack NGO", "ngo"),
    org("Other NGO", "ngo"), org("Attack agency", "agency"))
User.objects.create(username="attack-caseworker", organisation=family, role="caseworker")
partner = User.objects.create(username="attack-partner", organisation=ngo, role="partner")
bystander = User.objects.create(username="other-partner", organisation=other, role="partner")
reviewer = User.objects.create(username="attack-reviewer", organisation=agency, role="reviewer")
TOTPDevice.objects.create(user=reviewer, name="attack", confirmed=True, key="{TOTP_KEY.hex()}")
sessions = []
for _ in range({2 * GUESSES}):
    client = Client()
    client.force_login(reviewer)  # signed in, second factor not yet passed
    sessions.append(client.cookies[settings.SESSION_COOKIE_NAME].value)
print(json.dumps({{"partner": apikey_create(user=partner, created_by=None)[1],
    "bystander": apikey_create(user=bystander, created_by=None)[1],
    "sessions": sessions, "cookie": settings.SESSION_COOKIE_NAME}}))
"""

CHAIN_BUILD = """
import django
django.setup()
from cases.audit.trail import audit_record, audit_seal
from cases.models import User
user = User.objects.get(username="attack-caseworker")
for number in range(1, {records} + 1):
    audit_record(actor=user, action="case.viewed", obj=user, data={{"n": number}})
    if number % 10 == 0:
        audit_seal()
audit_seal()
print("built")
"""

SEAL = """
import django
django.setup()
from cases.audit.trail import audit_seal
print(audit_seal())
"""

DEVICE = """
import django, json
django.setup()
from django_otp.plugins.otp_totp.models import TOTPDevice
device = TOTPDevice.objects.get(user__username="attack-reviewer")
print(json.dumps({{"failures": device.throttling_failure_count}}))
if {reset}:
    device.throttle_reset()
"""

results: list[tuple[str, bool]] = []


def report(name: str, ok: bool, detail: str) -> None:
    results.append((name, ok))
    print(f"{'OK    ' if ok else 'FAILED'} {name}: {detail}", flush=True)


# --- The audit trail ----------------------------------------------------------------------


def _sql(database_url: str, statement: str, params: list | None = None) -> None:
    with psycopg.connect(database_url, autocommit=True) as connection:
        connection.execute(statement, params or [])


def _forged_insert(database_url: str, *, action: str, created_at: datetime, **columns) -> None:
    """An INSERT as the attacker writes it: plausible values, and a MAC they must guess."""
    row = {
        "created_at": created_at,
        "actor_id": None,
        "actor_label": "attack-reviewer",
        "organisation_id": None,
        "action": action,
        "object_type": "matching.candidate",
        "object_id": "1",
        "ip_address": "203.0.113.9",
        "data": '{"note": "same child"}',
        "prev_hash": "",
        "nonce": secrets.token_hex(16),
        "mac": secrets.token_hex(32),
        **columns,
    }
    casts = {"ip_address": "::inet", "data": "::jsonb"}
    names = ", ".join(row)
    marks = ", ".join(f"%s{casts.get(name, '')}" for name in row)
    _sql(
        database_url,
        f"INSERT INTO cases_auditevent ({names}) VALUES ({marks})",  # noqa: S608
        list(row.values()),
    )


def _verify(env: dict[str, str]) -> tuple[bool, str]:
    """(intact, first line of what audit_verify says)."""
    done = subprocess.run(
        [PY, "manage.py", "audit_verify"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    said = [line.strip() for line in (done.stdout + done.stderr).splitlines() if line.strip()]
    # The first thing it names (a problem's line), else its summary.
    named = [line for line in said if line.startswith("- ") or "Audit chain broken" in line]
    summary = [line for line in said if "Audit chain" in line]
    return done.returncode == 0, (named or summary or said or ["(nothing)"])[0][:200]


def _chain_fresh(env: dict[str, str], database_url: str, scratch: Path) -> None:
    _sql(database_url, "TRUNCATE cases_auditevent")
    (scratch / "audit-checkpoints").unlink(missing_ok=True)
    manage(env, CHAIN_BUILD.format(records=CHAIN))


def audit_attacks(env: dict[str, str], database_url: str, scratch: Path) -> None:
    now = datetime.now(UTC)

    def change_80_unseal_rest_insert_one() -> None:
        _sql(database_url, "UPDATE cases_auditevent SET data = '{\"n\": 8000}' WHERE sequence = 80")
        _sql(
            database_url,
            "UPDATE cases_auditevent SET sequence = NULL, hash = NULL, prev_hash = '' "
            "WHERE sequence >= 80",
        )
        _forged_insert(database_url, action="case.viewed", created_at=now)

    def backdated_confirm() -> None:
        _forged_insert(
            database_url, action="candidate.decision.confirm", created_at=now - timedelta(days=1)
        )

    def delete_5_insert_6() -> None:
        _sql(database_url, "DELETE FROM cases_auditevent WHERE sequence > %s", [CHAIN - 5])
        for minutes in range(6):
            _forged_insert(
                database_url, action="case.viewed", created_at=now - timedelta(minutes=minutes)
            )

    def truncate_then_161_genuine() -> None:
        _sql(database_url, "TRUNCATE cases_auditevent")
        manage(env, CHAIN_BUILD.format(records=CHAIN + 1))

    _chain_fresh(env, database_url, scratch)
    intact, said = _verify(env)
    report(f"audit: an untouched {CHAIN}-record chain verifies", intact, said)
    for name, attack in (
        ("change row 80, unseal every row from 80, insert one", change_80_unseal_rest_insert_one),
        ("insert a backdated candidate.decision.confirm", backdated_confirm),
        ("delete the newest 5 rows, insert 6 unsealed", delete_5_insert_6),
        (f"TRUNCATE, then {CHAIN + 1} genuine records", truncate_then_161_genuine),
    ):
        _chain_fresh(env, database_url, scratch)
        attack()
        sealed = manage(env, SEAL)  # as beat would, a minute later
        intact, said = _verify(env)
        report(f"audit: {name}", not intact, f"sealed {sealed} after it; audit_verify: {said}")

    _chain_fresh(env, database_url, scratch)
    try:
        _sql(
            database_url,
            "INSERT INTO cases_auditevent (created_at, actor_id, actor_label, organisation_id, "
            "action, object_type, object_id, ip_address, data, prev_hash, nonce, mac) "
            "SELECT created_at, actor_id, actor_label, organisation_id, action, object_type, "
            "object_id, ip_address, data, '', nonce, mac FROM cases_auditevent "
            "WHERE sequence = 3",
        )
        copied = "inserted"
    except psycopg.errors.UniqueViolation:
        copied = "refused by the database (unique MAC)"
    report("audit: a copy of a genuine row", copied != "inserted", copied)


# --- Decompression bombs, and a bystander's requests meanwhile ----------------------------


def _png(array: np.ndarray) -> bytes:
    out = io.BytesIO()
    Image.fromarray(array).save(out, format="PNG", optimize=True)
    return out.getvalue()


def _big_jpeg() -> bytes:
    """A 12 MP JPEG of noise just under the 15 MB upload limit: a big body that is stored."""
    noise = Image.fromarray(
        np.random.default_rng(23).integers(0, 256, (3000, 4000, 3), dtype=np.uint8)
    )
    for quality in (95, 92, 90, 85, 80, 75):
        out = io.BytesIO()
        noise.save(out, format="JPEG", quality=quality)
        if out.tell() < 14_500_000:
            break
    return out.getvalue()


def _web_rss_mb(master: int) -> float:
    """The largest resident memory of one gunicorn worker, in MB."""
    peak = 0.0
    try:
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    except OSError:
        return 0.0
    for pid in children:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        found = re.search(r"VmRSS:\s+(\d+)", status)
        peak = max(peak, int(found.group(1)) / 1024 if found else 0.0)
    return peak


FORM = {"found_on": "2025-06-01", "found_place": "Shelter", "estimated_age_min": "6",
        "estimated_age_max": "10", "sex": "unknown"}  # fmt: skip


def _bomb_batch(*, base: str, ids: dict, master: int, name: str, data: bytes, n: int) -> None:
    """10 uploads of `data` at once; the web workers' peak memory and a bystander's latency."""
    peak, stop = [_web_rss_mb(master)], threading.Event()
    bystander: list[tuple[float, int]] = []

    def sample() -> None:
        while not stop.wait(0.1):
            peak.append(_web_rss_mb(master))

    def probe() -> None:
        # Another partner's everyday request, timed while the bombs are in flight.
        while not stop.wait(0.5) and len(bystander) < 600:
            began = time.perf_counter()
            try:
                status = requests.get(
                    f"{base}/found-reports/",
                    headers={"Authorization": f"Token {ids['bystander']}"},
                    timeout=130,
                ).status_code
            except requests.RequestException:
                status = 599
            bystander.append((time.perf_counter() - began, status))

    def upload(i: int) -> tuple[float, int, str]:
        began = time.perf_counter()
        response = requests.post(
            f"{base}/found-reports/",
            data={**FORM, "external_ref": f"bomb-{n}-{i}"},
            files={"photos": ("p.png", data, "application/octet-stream")},
            headers={"Authorization": f"Token {ids['partner']}"},
            timeout=300,
        )
        kind = response.headers.get("Content-Type", "")
        code = response.json().get("type", "") if "json" in kind else kind.split(";")[0]
        return time.perf_counter() - began, response.status_code, code or "-"

    watchers = [threading.Thread(target=sample), threading.Thread(target=probe)]
    for watcher in watchers:
        watcher.start()
    try:
        with ThreadPoolExecutor(max_workers=10) as pool:
            answers = list(pool.map(upload, range(10)))
    finally:
        stop.set()
        for watcher in watchers:
            watcher.join()
    statuses = Counter(f"{status} {code}" for _, status, code in answers)
    slowest = max(seconds for seconds, _, _ in answers)
    fives = sum(1 for _, status, _ in answers if status >= 500)
    probes = [status for _, status in bystander]
    report(
        f"decompression: 10 at once, {name} ({len(data) / 1e6:.2f} MB)",
        fives == 0 and all(s < 500 for s in probes),
        f"{dict(statuses)}; slowest {slowest:.1f} s; peak web worker {max(peak):.0f} MB; "
        f"other partner {len(probes)} requests, slowest "
        f"{max((s for s, _ in bystander), default=0):.2f} s, "
        f"{sum(1 for s in probes if s >= 500)} 5xx",
    )


def decompression_attacks(base: str, ids: dict, master: int) -> None:
    files = {
        "6300x6300 16-bit PNG of zeros": _png(np.zeros((6300, 6300), dtype=np.uint16)),
        "40 MP RGB PNG of zeros": _png(np.zeros((5470, 7310, 3), dtype=np.uint8)),
        "12 MP noise JPEG": _big_jpeg(),
    }
    for n, (name, data) in enumerate(files.items()):
        _bomb_batch(base=base, ids=ids, master=master, name=name, data=data, n=n)


# --- Concurrency, and the smaller points ---------------------------------------------------


def _otp_post(root: str, cookie: str, session_key: str, code: str, start: threading.Barrier):
    with requests.Session() as http:
        http.cookies.set(cookie, session_key, domain="127.0.0.1")
        page = http.get(f"{root}/accounts/2fa/verify/", timeout=60)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        start.wait(timeout=120)
        response = http.post(
            f"{root}/accounts/2fa/verify/",
            data={"csrfmiddlewaretoken": token.group(1) if token else "", "token": code},
            headers={"Referer": f"{root}/accounts/2fa/verify/"},
            allow_redirects=False,
            timeout=120,
        )
    if response.status_code == 302:
        return "accepted"
    if "wait" in response.text and "Too many codes" in response.text:
        return "told to wait"
    if "not right" in response.text:
        return "not right"
    return f"status {response.status_code}"


def concurrency_attacks(root: str, base: str, ids: dict, env: dict[str, str]) -> None:
    sessions, cookie = ids["sessions"], ids["cookie"]
    right = f"{totp(TOTP_KEY):06d}"
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"

    start = threading.Barrier(GUESSES)
    with ThreadPoolExecutor(max_workers=GUESSES) as pool:
        answers = list(
            pool.map(lambda s: _otp_post(root, cookie, s, wrong, start), sessions[:GUESSES])
        )
    failures = json.loads(manage(env, DEVICE.format(reset=True)))["failures"]
    told = Counter(answers)
    report(
        f"second factor: {GUESSES} wrong codes at once",
        told["accepted"] == 0
        and failures >= 1
        and told["not right"] + told["told to wait"] == GUESSES,
        f"answers {dict(told)}; django-otp's failure counter {failures} (each code compared "
        f"counts once, under the device's row lock; then codes wait 2^(n-1) s)",
    )

    # The same right code from 40 sessions at once: a code is good once (django-otp keeps
    # the last step used), so only a read-and-write under the lock accepts it exactly once.
    right = f"{totp(TOTP_KEY):06d}"
    start = threading.Barrier(GUESSES)
    with ThreadPoolExecutor(max_workers=GUESSES) as pool:
        answers = list(
            pool.map(lambda s: _otp_post(root, cookie, s, right, start), sessions[GUESSES:])
        )
    told = Counter(answers)
    report(
        f"second factor: the right code {GUESSES} times at once",
        told["accepted"] == 1,
        f"answers {dict(told)} (a replayed code must not be accepted twice)",
    )

    headers = {"Authorization": f"Token {ids['partner']}", "Content-Type": "application/json"}
    deep = '{"reports": ' + "[" * 1000 + "]" * 1000 + "}"
    response = requests.post(f"{base}/found-reports/bulk/", data=deep, headers=headers, timeout=60)
    report(
        "JSON nested 1,000 deep to /bulk/",
        response.status_code == 400,
        f"{response.status_code} {response.json().get('type') if response.content else ''}",
    )
    response = requests.post(
        f"{base}/webhooks/", json={"url": "https://[64:ff9b::7f00:1]/"}, headers=headers, timeout=60
    )
    report(
        "webhook at NAT64 of 127.0.0.1 (https://[64:ff9b::7f00:1]/)",
        response.status_code == 400,
        f"{response.status_code} {response.text[:120]}",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--redis-url", required=True)
    parser.add_argument(
        "--only", choices=("audit", "decompression", "concurrency"), action="append"
    )
    args = parser.parse_args()
    groups = set(args.only or ("audit", "decompression", "concurrency"))
    scratch, port, env = stack_prepare(
        database_url=args.database_url,
        redis_url=args.redis_url,
        name="attack",
        settings={
            "REUNITE_API_RATE": "100000/min",
            "REUNITE_API_BULK_RATE": "100000/min",
            "REUNITE_SURGE_FLOOR": "1000000",
        },
    )
    # The checkpoints are signed into <scratch>/audit-checkpoints, which the attacks reset.
    env.pop("REUNITE_AUDIT_CHECKPOINT_FILE", None)
    ids = json.loads(manage(env, SETUP))
    processes = stack_start(env=env, port=port, scratch=scratch, web_workers=3, embed_concurrency=2)
    root = f"http://127.0.0.1:{port}"
    base = f"{root}/api/v1"
    try:
        wait_for(
            lambda: requests.get(f"{base}/found-reports/", timeout=5).status_code == 401,
            timeout=120,
            what="gunicorn",
        )
        if "audit" in groups:
            audit_attacks(env, args.database_url, scratch)
        if "decompression" in groups:
            decompression_attacks(base, ids, processes[0].pid)
        if "concurrency" in groups:
            concurrency_attacks(root, base, ids, env)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=60)
    failed = sum(1 for _, ok in results if not ok)
    print(f"{len(results) - failed} of {len(results)} as expected; logs in {scratch}")
    raise SystemExit(failed)


if __name__ == "__main__":
    main()
