"""The programme page at 1M photos: seconds and queries for the page, each chart and each figure.

Fills a scratch PostgreSQL database with synthetic rows by bulk INSERT ... SELECT from
generate_series (no face model, no files: the page reads only rows): 20 organisations, cases
and found reports (30% of the photo count each), the photos, one face per record that has a
candidate, candidates (5% of the photo count) taken to every end, two reviewers' decisions,
senior reviewers' final decisions, reunification steps and possible duplicates, spread over
the last year. Then, in the same process with Django's test client, an operator (every
organisation) and an organisation admin (one) open `/programme/` and its ten charts, ROUNDS
times each.

Printed: the rows made and how long the fill took; then for each figure its median seconds
and its number of queries (one each), and for the page and the charts the median seconds.

Run from the project root (the database is emptied and migrated first: use a scratch one,
created beforehand with `createdb`):
    .venv/bin/python bench/programme.py --database-url \\
        postgres://postgres@127.0.0.1:5432/reunite_programme_bench \\
        --redis-url redis://127.0.0.1:6379/6 [--photos 1000000] [--jit off]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from load import PY, ROOT, stack_prepare

# Kept to what one scratch database on a laptop holds comfortably (about 1 GB at 2M).
MAX_PHOTOS = 2_000_000
ROUNDS = 3

FILL = r"""
import json, os, statistics, time, django
django.setup()
from django.db import connection
from django.utils import timezone
from cases.models import Organisation, User

P = int(os.environ["BENCH_PHOTOS"])
NC = NR = P * 3 // 10
C = P // 20
D = C // 10

def org(name, kind):
    return Organisation.objects.create(name=name, kind=kind, purpose="reunite_missing",
        approved_at=timezone.now())

families = [org(f"Bench family {n}", "guardian_support") for n in range(10)]
ngos = [org(f"Bench NGO {n}", "ngo") for n in range(8)]
agencies = [org(f"Bench agency {n}", "agency") for n in range(2)]
workers = [User.objects.create(username=f"bench-cw-{o.pk}", organisation=o, role="caseworker")
           for o in families]
partners = [User.objects.create(username=f"bench-p-{o.pk}", organisation=o, role="partner")
            for o in ngos]
reviewers = [User.objects.create(username=f"bench-r-{n}", organisation=agencies[0],
             role="reviewer") for n in range(2)]
senior = User.objects.create(username="bench-senior", organisation=agencies[1],
                             role="senior_reviewer")

def arr(values):
    return "array[" + ",".join(str(v) for v in values) + "]::bigint[]"

W_ORG, W_USER = arr(w.organisation_id for w in workers), arr(w.pk for w in workers)
P_ORG, P_USER = arr(p.organisation_id for p in partners), arr(p.pk for p in partners)
R1, R2, S = reviewers[0].pk, reviewers[1].pk, senior.pk
AGO = "now() - ((i::bigint * 7919) %% 365) * interval '1 day'"
SQL = [
f'''INSERT INTO cases_missingcase (reference, status, given_name, family_name, other_names, sex,
  age_min, age_max, last_seen_on, last_seen_place, description, distinguishing_marks,
  consent_given_by, consent_relationship, consent_given_at, consent_method, consent_scope,
  created_at, updated_at, created_by_id, organisation_id, legal_hold_reason, external_ref,
  consent_photo_sharing, closed_at)
SELECT 'BC' || i, CASE i %% 10 WHEN 0 THEN 'reunited' WHEN 1 THEN 'closed' WHEN 2
  THEN 'possible_match' ELSE 'open' END, 'Child', '', '',
  (array['female','male','unknown'])[1 + i %% 3], i %% 18, i %% 18 + 1, date '2025-06-01',
  'Square', '', '', 'Parent', '', now(), 'in_person', '', {AGO}, now(),
  ({W_USER})[1 + i %% 10], ({W_ORG})[1 + i %% 10], '', '', false,
  CASE WHEN i %% 10 IN (0, 1) THEN {AGO} + interval '20 days' END
FROM generate_series(1, %(nc)s) i''',
f'''INSERT INTO cases_foundreport (reference, status, external_ref, found_on, found_place,
  estimated_age_min, estimated_age_max, sex, notes, created_at, updated_at, created_by_id,
  organisation_id, legal_basis, legal_hold_reason)
SELECT 'BR' || i, 'active', 'E' || i, date '2025-07-01', 'Shelter', i %% 18, i %% 18 + 2,
  (array['female','male','unknown'])[1 + i %% 3], '', {AGO}, now(),
  ({P_USER})[1 + i %% 8], ({P_ORG})[1 + i %% 8], 'vital_interests', ''
FROM generate_series(1, %(nr)s) i''',
'''INSERT INTO cases_photo (side, kind, file, width, height, original_filename, status,
  rejection_code, rejection_reason, attempts, created_at, organisation_id, uploaded_by_id,
  case_id)
SELECT 'case', 'photo', 'bench/c' || g, 200, 200, '', 'ready', '', '', 0, c.created_at,
  c.organisation_id, c.created_by_id, c.id
FROM generate_series(1, %(pc)s) g
JOIN (SELECT id, created_at, organisation_id, created_by_id,
      row_number() OVER (ORDER BY id) rn FROM cases_missingcase) c
  ON c.rn = 1 + (g - 1) %% %(nc)s''',
'''INSERT INTO cases_photo (side, kind, file, width, height, original_filename, status,
  rejection_code, rejection_reason, attempts, created_at, organisation_id, uploaded_by_id,
  found_report_id)
SELECT 'report', 'photo', 'bench/r' || g, 200, 200, '', 'ready', '', '', 0, r.created_at,
  r.organisation_id, r.created_by_id, r.id
FROM generate_series(1, %(pr)s) g
JOIN (SELECT id, created_at, organisation_id, created_by_id,
      row_number() OVER (ORDER BY id) rn FROM cases_foundreport) r
  ON r.rn = 1 + (g - 1) %% %(nr)s''',
'''INSERT INTO matching_face (ordinal, x, y, w, h, detector_score, is_selected, photo_id)
SELECT 0, 10, 10, 100, 100, 1, true, p.id FROM cases_photo p
WHERE p.file IN (SELECT 'bench/c' || i FROM generate_series(1, %(c)s) i
                 UNION ALL SELECT 'bench/r' || i FROM generate_series(1, %(c)s) i)''',
f'''INSERT INTO matching_candidate (status, space, threshold, best_score, agreeing_pairs,
  created_at, updated_at, case_id, found_report_id, best_case_face_id, best_report_face_id,
  compatibility, evidence_score, held_back, hold_reasons, profile, reunification_stage,
  age_cell, age_gap_years)
SELECT CASE WHEN i %% 20 < 8 THEN 'pending' WHEN i %% 20 IN (8, 9, 10, 17, 18, 19)
  THEN 'confirmed' WHEN i %% 20 = 11 THEN 'not_same_child' WHEN i %% 20 IN (12, 13)
  THEN 'disputed' WHEN i %% 20 IN (14, 15) THEN 'rejected' ELSE 'withdrawn' END,
  'bench', 0.6, 0.8, 1, {AGO}, now(), cf.case_id, rf.found_report_id, cf.id, rf.id, '{{}}',
  0.8, i %% 50 = 0, '[]', '', CASE i %% 20 WHEN 8 THEN 'reunited' WHEN 9 THEN 'reunited'
  WHEN 10 THEN 'verified_same' WHEN 17 THEN 'contact_made' WHEN 11 THEN 'verified_not_same'
  ELSE '' END, '', CASE WHEN i %% 4 = 0 THEN NULL ELSE (i %% 15)::float END
FROM generate_series(1, %(c)s) i
JOIN (SELECT f.id, p.case_id, substr(p.file, 8)::int n FROM matching_face f
      JOIN cases_photo p ON p.id = f.photo_id WHERE p.side = 'case') cf ON cf.n = i
JOIN (SELECT f.id, p.found_report_id, substr(p.file, 8)::int n FROM matching_face f
      JOIN cases_photo p ON p.id = f.photo_id WHERE p.side = 'report') rf ON rf.n = i''',
f'''INSERT INTO matching_reviewdecision (decision, note, created_at, candidate_id, reviewer_id)
SELECT CASE WHEN status IN ('confirmed', 'not_same_child') THEN 'confirm' ELSE 'reject' END,
  'Bench.', created_at + interval '1 day', id, {R1} FROM matching_candidate
WHERE status NOT IN ('pending', 'withdrawn')
UNION ALL
SELECT 'confirm', 'Bench.', created_at + interval '2 days', id, {R2} FROM matching_candidate
WHERE status IN ('confirmed', 'not_same_child')''',
f'''INSERT INTO matching_disputeresolution (decision, reason, created_at, candidate_id,
  resolved_by_id)
SELECT 'reject', 'Bench.', created_at + interval '5 days', id, {S} FROM matching_candidate
WHERE status = 'rejected' ''',
'''INSERT INTO matching_reunificationstep (stage, note, created_at, candidate_id, recorded_by_id)
SELECT s.stage, 'Bench.', c.created_at + s.after, c.id, m.created_by_id
FROM matching_candidate c JOIN cases_missingcase m ON m.id = c.case_id
JOIN (VALUES ('contact_made', 'contact_made', interval '3 days'),
             ('verified_same', 'contact_made', interval '3 days'),
             ('verified_same', 'verified_same', interval '10 days'),
             ('reunited', 'contact_made', interval '3 days'),
             ('reunited', 'verified_same', interval '10 days'),
             ('reunited', 'reunited', interval '20 days'),
             ('verified_not_same', 'contact_made', interval '3 days'),
             ('verified_not_same', 'verified_not_same', interval '10 days'))
  AS s(reached, stage, after) ON s.reached = c.reunification_stage''',
f'''INSERT INTO matching_duplicate (side, status, best_score, threshold, profile, decisions,
  created_at, updated_at, case_a_id, case_b_id)
SELECT 'case', (array['pending','partly_confirmed','linked','different'])[1 + i %% 4], 0.9,
  0.8, '', '{{}}', {AGO}, now(), a.id, b.id
FROM generate_series(1, %(d)s) i
JOIN (SELECT id, row_number() OVER (ORDER BY id) rn FROM cases_missingcase) a
  ON a.rn = %(nc)s - 2 * i
JOIN (SELECT id, row_number() OVER (ORDER BY id) rn FROM cases_missingcase) b
  ON b.rn = %(nc)s - 2 * i + 1''',
]
params = {"nc": NC, "nr": NR, "pc": P // 2, "pr": P - P // 2, "c": C, "d": D}
started = time.monotonic()
with connection.cursor() as cursor:
    for statement in SQL:
        cursor.execute(statement, params)
    cursor.execute("ANALYZE")
fill = time.monotonic() - started

from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from reunite.programme import selectors
from reunite.programme.views import CHARTS

def client_for(user):
    device = TOTPDevice.objects.create(user=user, name="bench", confirmed=True,
        key="3132333435363738393031323334353637383930")
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client

operator = User.objects.create(username="bench-operator", role="operator")
admin = User.objects.create(username="bench-admin", organisation=families[0], role="org_admin")
from cases.models import FoundReport, MissingCase, Photo
from matching.models import Candidate, Duplicate, ReunificationStep, ReviewDecision
counts = {name: model.objects.count() for name, model in (
    ("cases", MissingCase), ("reports", FoundReport), ("photos", Photo),
    ("candidates", Candidate), ("decisions", ReviewDecision), ("steps", ReunificationStep),
    ("duplicates", Duplicate))}
ROUNDS = int(os.environ["BENCH_ROUNDS"])
FIGURES = [n for n in dir(selectors) if n.startswith("programme_") and n not in (
    "programme_scope_get",)]
result = {"fill_seconds": fill, "rows": counts, "who": {}}
for who, user in (("operator, every organisation", operator),
                  ("org admin, one organisation", admin)):
    scope = selectors.programme_scope_get(user=user)
    rows = {}
    for name in FIGURES:
        times = []
        for _ in range(ROUNDS):
            with CaptureQueriesContext(connection) as queries:
                t = time.monotonic()
                getattr(selectors, name)(scope=scope)
                times.append(time.monotonic() - t)
        rows[name] = (statistics.median(times), len(queries.captured_queries))
    client = client_for(user)
    page, charts = [], []
    for _ in range(ROUNDS):
        t = time.monotonic()
        assert client.get("/programme/").status_code == 200
        page.append(time.monotonic() - t)
        t = time.monotonic()
        for chart in CHARTS:
            assert client.get(f"/programme/charts/{chart}.svg").status_code == 200
        charts.append(time.monotonic() - t)
    result["who"][who] = {"figures": rows, "page": statistics.median(page),
                          "charts": statistics.median(charts)}
print(json.dumps(result))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--redis-url", required=True)
    parser.add_argument("--photos", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    # PostgreSQL's JIT (on by default) compiles each of these aggregates for 0.1-0.5 s,
    # often longer than the query runs: `--jit off` times them as a server with jit = off.
    parser.add_argument("--jit", choices=("server", "off"), default="server")
    args = parser.parse_args()
    if not 1_000 <= args.photos <= MAX_PHOTOS:
        raise SystemExit(f"--photos must be between 1,000 and {MAX_PHOTOS:,}.")
    _, _, env = stack_prepare(
        database_url=args.database_url, redis_url=args.redis_url, name="programme", settings={}
    )
    env = {**env, "BENCH_PHOTOS": str(args.photos), "BENCH_ROUNDS": str(args.rounds)}
    if args.jit == "off":
        env["PGOPTIONS"] = f"{env.get('PGOPTIONS', '')} -c jit=off".strip()
    # The fill's errors go to stderr as they happen; its last line of stdout is the result.
    run = subprocess.run([PY, "-c", FILL], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    if run.returncode:
        raise SystemExit(f"The fill or the timing failed (exit {run.returncode}): see above.")
    result = json.loads(run.stdout.strip().splitlines()[-1])
    rows = ", ".join(f"{n:,} {name}" for name, n in result["rows"].items())
    print(f"Filled in {result['fill_seconds']:.0f} s: {rows}")
    for who, timings in result["who"].items():
        print(f"\n{who}")
        print(f"  {'figure':<36} {'seconds':>8} {'queries':>8}")
        for name, (seconds, queries) in timings["figures"].items():
            print(f"  {name:<36} {seconds:>8.3f} {queries:>8}")
        print(f"  {'the page (every figure, audited)':<36} {timings['page']:>8.3f}")
        print(f"  {'its ten charts, one after another':<36} {timings['charts']:>8.3f}")


if __name__ == "__main__":
    main()
