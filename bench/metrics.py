"""What one /metrics scrape costs against a large database.

Fills a PostgreSQL database of its own with N photos (half each side; 80 % ready, the rest
pending or rejected), a face and an embedding per ready photo (indexed),
N/20 candidates (half of them decided), their decisions and N/100 webhook deliveries, then times
the scrape: every collector query plus the Prometheus text (`reunite.ops.metrics`), 10
times, after one warm-up; then 10 scrapes served from the cache
(REUNITE_METRICS_CACHE_SECONDS). No Redis: queue depths are left out, as in the embedded
default.

Run from the project root (PostgreSQL on 127.0.0.1:5432, user postgres, trust auth):
    .venv/bin/python bench/metrics.py [--sizes 100000,1000000] [--database reunite_ops_bench]
The database is emptied first; its name must contain "bench".
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))


def django_setup(*, database: str, data_dir: str) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "reunite.settings.local"
    os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{database}"
    os.environ["REUNITE_DATA_DIR"] = data_dir
    os.environ.pop("REDIS_URL", None)
    # Every scrape reads the database; the cached case is timed separately.
    os.environ["REUNITE_METRICS_CACHE_SECONDS"] = "0"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _copies(*, row, count: int) -> None:  # type: ignore[no-untyped-def]
    """`count` copies of one case or report row, with their own reference and external_ref."""
    from django.db import connection

    table = type(row)._meta.db_table
    unique = ("reference", "external_ref")
    columns = [f.column for f in type(row)._meta.concrete_fields if f.column != "id"]
    selected = [f"'b{table[6]}-' || g" if c in unique else c for c in columns]
    # Table and column names come from the models, never from input.
    sql = (
        f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(selected)} "  # noqa: S608
        f"FROM {table} t, generate_series(1, %s) AS g WHERE t.id = %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [count, row.pk])


def rows_fill(*, n: int) -> None:
    from django.db import connection, transaction

    from cases.models import WebhookEndpoint
    from matching.spaces.active import space_active
    from tests.factories import FoundReportFactory, MissingCaseFactory, UserFactory

    space = space_active().name
    user = UserFactory(username="bench")
    case = MissingCaseFactory(created_by=user)
    report = FoundReportFactory(created_by=user)
    endpoint = WebhookEndpoint.objects.create(
        organisation=user.organisation,
        url="https://x.invalid/",
        secret="x",  # noqa: S106
        created_by=user,
    )
    pairs = n // 20
    statuses = (
        "(ARRAY['ready','ready','ready','ready','ready','ready','ready','ready',"
        "'pending','rejected'])[1 + (g %% 10)]"
    )
    with transaction.atomic(), connection.cursor() as cursor:
        for side, owner in (("case", case), ("report", report)):
            cursor.execute(
                f"""
                WITH photos AS (
                    INSERT INTO cases_photo (side, file, width, height, original_filename,
                        status, rejection_code, rejection_reason, attempts, created_at,
                        case_id, found_report_id, organisation_id, uploaded_by_id, kind)
                    SELECT %s, 'bench/' || gen_random_uuid(), 200, 200, '', {statuses}, '',
                        '', 0, now(), CASE WHEN %s = 'case' THEN %s END,
                        CASE WHEN %s = 'report' THEN %s END, %s, %s, 'photo'
                    FROM generate_series(1, %s) AS g
                    RETURNING id, status
                ), faces AS (
                    INSERT INTO matching_face (ordinal, x, y, w, h, detector_score,
                        is_selected, photo_id)
                    SELECT 0, 10, 10, 100, 100, 1.0, true, id FROM photos
                    WHERE status = 'ready'
                    RETURNING id
                )
                INSERT INTO matching_embedding (face_id, side, space, model_version,
                    vector, created_at, indexed_at, searched_at)
                SELECT id, %s, %s, 'bench', '\\x00'::bytea, now(), now(), now() FROM faces
                """,  # noqa: S608 (our own constant, no input)
                [
                    side,
                    side,
                    owner.pk,
                    side,
                    owner.pk,
                    owner.organisation_id,
                    user.pk,
                    n // 2,
                    side,
                    space,
                ],
            )
        _copies(row=case, count=pairs)
        _copies(row=report, count=pairs)
        cursor.execute(
            """
            INSERT INTO matching_candidate (case_id, found_report_id, status, space,
                threshold, best_score, best_case_face_id, best_report_face_id,
                agreeing_pairs, profile, evidence_score, compatibility, held_back,
                hold_reasons, created_at, updated_at)
            SELECT c.id, r.id,
                (ARRAY['pending','pending','disputed','confirmed'])[1 + (c.g % 4)::int],
                %s, 0.68, 0.7, f.id, f.id, 1, '', 0.7, '{}', c.g % 7 = 0, '[]',
                now() - make_interval(mins => c.g::int), now()
            FROM (SELECT id, row_number() OVER (ORDER BY id) AS g FROM cases_missingcase
                  WHERE id <> %s) c
            JOIN (SELECT id, row_number() OVER (ORDER BY id) AS g FROM cases_foundreport
                  WHERE id <> %s) r ON r.g = c.g
            CROSS JOIN (SELECT min(id) AS id FROM matching_face) f
            """.replace("%", "%%").replace("%%s", "%s"),
            [space, case.pk, report.pk],
        )
        cursor.execute(
            """
            INSERT INTO matching_reviewdecision (candidate_id, reviewer_id, decision, note,
                created_at)
            SELECT id, %s, 'unsure', 'bench', now() - make_interval(hours => (id %% 72)::int)
            FROM matching_candidate WHERE status <> 'pending'
            """,
            [user.pk],
        )
        cursor.execute(
            """
            INSERT INTO cases_webhookdelivery (endpoint_id, event_id, event_type, payload,
                status, attempts, last_error, created_at)
            SELECT %s, gen_random_uuid(), 'bench', '{}',
                (ARRAY['delivered','delivered','pending','failed'])[1 + (g %% 4)], g %% 3, '',
                now()
            FROM generate_series(1, %s) AS g
            """,
            [endpoint.pk, max(n // 100, 1)],
        )
        cursor.execute("ANALYZE")


def scrape_ms(*, times: int) -> np.ndarray:
    from prometheus_client import generate_latest

    from reunite.ops.metrics import metrics_registry

    generate_latest(metrics_registry())  # warm-up
    spent = []
    for _ in range(times):
        started = time.perf_counter()
        text = generate_latest(metrics_registry())
        spent.append((time.perf_counter() - started) * 1000)
    assert b'reunite_metrics_source_up{source="database"} 1.0' in text, text.decode()
    return np.array(spent)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--database", default="reunite_ops_bench")
    args = parser.parse_args()
    if "bench" not in args.database:
        parser.error("--database must contain 'bench': it is emptied")
    with tempfile.TemporaryDirectory(prefix="reunite-bench-") as data_dir:
        django_setup(database=args.database, data_dir=data_dir)
        from django.conf import settings
        from django.db import connection

        print(
            f"{'photos':>10} {'candidates':>11} {'p50 ms':>8} {'max ms':>8} "
            f"{'cached p50 ms':>14}  (10 scrapes each)"
        )
        for n in (int(s) for s in args.sizes.split(",")):
            with connection.cursor() as cursor:
                cursor.execute(
                    "TRUNCATE cases_webhookdelivery, cases_webhookendpoint, "
                    "matching_reviewdecision, matching_candidate, matching_embedding, "
                    "matching_face, cases_photo, cases_missingcase, cases_foundreport, "
                    "cases_auditevent, cases_user, cases_organisation RESTART IDENTITY CASCADE"
                )
            rows_fill(n=n)
            settings.METRICS_CACHE_SECONDS = 0
            ms = scrape_ms(times=10)
            settings.METRICS_CACHE_SECONDS = 60
            cached = scrape_ms(times=10)
            print(
                f"{n:>10,} {n // 20:>11,} {np.median(ms):8.1f} {ms.max():8.1f} "
                f"{np.median(cached):14.1f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
