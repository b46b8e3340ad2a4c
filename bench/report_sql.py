"""A prototype of the outcomes report in one SQL statement, checked against outcomes.report.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/clinic_bench .venv/bin/python bench/report_sql.py

`outcomes.report.clinic_outcomes` builds its figures from correlated subqueries: each plan's
baseline and week-8 questionnaire is looked up again for every column and every aggregate that
refers to it (the PostgreSQL plan repeats the same index probe 20 times per plan), and the three
responder shares each rebuild the whole set. This prototype computes the same `ClinicOutcomes` in
one statement that reads each table once: window functions pick each plan's baseline, week-8 score,
4th/8th/12th session and the latest score due by that session's day. Standard SQL (window
functions, CASE) except the time-zone conversion of the session's day (`AT TIME ZONE`, PostgreSQL;
SQLite needs Django's own conversion there). It prints both results, whether they agree, and timings.
"""

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"

SQL = """
WITH scored AS (
    SELECT r.plan_id, r.week, r.due_date, r.submitted_at, r.odi_score, r.analgesic_days, r.work_days_off
    FROM outcomes_response r
    WHERE r.plan_id IS NOT NULL AND r.submitted_at IS NOT NULL AND r.odi_score IS NOT NULL
),
baseline AS (
    SELECT plan_id, odi_score, analgesic_days, work_days_off FROM (
        SELECT s.*, ROW_NUMBER() OVER (PARTITION BY s.plan_id ORDER BY s.week, s.due_date) AS k
        FROM scored s WHERE s.week <= 1
    ) ranked WHERE k = 1
),
week8 AS (
    SELECT plan_id, odi_score, analgesic_days, work_days_off FROM (
        SELECT s.*, ROW_NUMBER() OVER (PARTITION BY s.plan_id ORDER BY ABS(s.week - 8), s.due_date) AS k
        FROM scored s WHERE s.week >= 7 AND s.week <= 9
    ) ranked WHERE k = 1
),
plans AS (
    SELECT p.id,
           b.odi_score AS b_odi, b.analgesic_days AS b_an, b.work_days_off AS b_work,
           w.odi_score AS w_odi, w.analgesic_days AS w_an, w.work_days_off AS w_work
    FROM treatments_treatmentplan p
    JOIN baseline b ON b.plan_id = p.id
    LEFT JOIN week8 w ON w.plan_id = p.id
    WHERE {plan_filter}
),
cohort AS (
    SELECT plans.*,
           CASE WHEN b_odi > 0
                THEN CAST(w_odi - b_odi AS DOUBLE PRECISION) * 100 / CAST(b_odi AS DOUBLE PRECISION)
           END AS odi_change
    FROM plans WHERE w_odi IS NOT NULL
),
middle AS (
    SELECT odi_change, ROW_NUMBER() OVER (ORDER BY odi_change) AS k, COUNT(*) OVER () AS n
    FROM cohort WHERE b_odi > 0
),
nth AS (
    SELECT plan_id, k AS session_number, started_at FROM (
        SELECT s.plan_id, s.started_at, ROW_NUMBER() OVER (PARTITION BY s.plan_id ORDER BY s.started_at, s.id) AS k
        FROM treatments_session s JOIN plans p ON p.id = s.plan_id
    ) ranked WHERE k IN (4, 8, 12)
),
score_then AS (
    SELECT plan_id, session_number, odi_score FROM (
        SELECT n.plan_id, n.session_number, s.odi_score,
               ROW_NUMBER() OVER (PARTITION BY n.plan_id, n.session_number ORDER BY s.due_date DESC) AS k
        FROM nth n LEFT JOIN scored s
          ON s.plan_id = n.plan_id AND s.due_date <= CAST(n.started_at AT TIME ZONE %s AS DATE)
    ) ranked WHERE k = 1
),
responders AS (
    SELECT t.session_number,
           COUNT(*) AS reached,
           SUM(CASE WHEN p.b_odi - t.odi_score > 0
                     AND (p.b_odi - t.odi_score >= 10 OR (p.b_odi - t.odi_score) * 10 >= p.b_odi * 3)
                    THEN 1 ELSE 0 END) AS responders
    FROM score_then t JOIN plans p ON p.id = t.plan_id
    GROUP BY t.session_number
)
SELECT
    (SELECT COUNT(*) FROM plans) AS with_baseline,
    (SELECT COUNT(*) FROM cohort) AS cohort,
    (SELECT AVG(odi_change) FROM cohort WHERE b_odi > 0) AS mean_change,
    (SELECT AVG(odi_change) FROM middle WHERE k IN ((n + 1) / 2, (n + 2) / 2)) AS median_change,
    (SELECT COUNT(*) FROM cohort WHERE b_an IS NOT NULL AND w_an IS NOT NULL) AS analgesic_reported,
    (SELECT COUNT(*) FROM cohort WHERE w_an < b_an) AS analgesic_cut,
    (SELECT SUM(b_an) FROM cohort WHERE w_an IS NOT NULL) AS analgesic_before,
    (SELECT SUM(w_an) FROM cohort WHERE b_an IS NOT NULL) AS analgesic_after,
    (SELECT COUNT(*) FROM cohort WHERE b_work IS NOT NULL AND w_work IS NOT NULL) AS work_reported,
    (SELECT AVG(CAST(w_work - b_work AS DOUBLE PRECISION)) FROM cohort
      WHERE b_work IS NOT NULL AND w_work IS NOT NULL) AS work_change,
    (SELECT reached FROM responders WHERE session_number = 4) AS reached_4,
    (SELECT responders FROM responders WHERE session_number = 4) AS responders_4,
    (SELECT reached FROM responders WHERE session_number = 8) AS reached_8,
    (SELECT responders FROM responders WHERE session_number = 8) AS responders_8,
    (SELECT reached FROM responders WHERE session_number = 12) AS reached_12,
    (SELECT responders FROM responders WHERE session_number = 12) AS responders_12
"""


def clinic_outcomes_sql(*, start=None, end=None, practitioner=None):
    """The same ClinicOutcomes as outcomes.report.clinic_outcomes, from one statement."""
    from django.db import connection

    from outcomes.report import RESPONDER_SESSIONS, ClinicOutcomes, ResponderShare, _percent, _round

    conditions, params = ["1 = 1"], []
    if start:
        conditions.append("p.start_date >= %s")
        params.append(start)
    if end:
        conditions.append("p.start_date <= %s")
        params.append(end)
    if practitioner:
        conditions.append("p.practitioner_id = %s")
        params.append(getattr(practitioner, "pk", practitioner))
    from django.conf import settings

    params.append(settings.TIME_ZONE)  # the session's day, in the clinic's time zone
    with connection.cursor() as cursor:
        cursor.execute(SQL.format(plan_filter=" AND ".join(conditions)), params)
        columns = [c[0] for c in cursor.description]
        row = dict(zip(columns, cursor.fetchone(), strict=True))
    before, after = row["analgesic_before"], row["analgesic_after"]
    return ClinicOutcomes(
        with_baseline=row["with_baseline"],
        cohort=row["cohort"],
        mean_odi_change=_round(row["mean_change"]),
        median_odi_change=_round(row["median_change"]),
        responders=[
            ResponderShare(n, row[f"reached_{n}"] or 0, row[f"responders_{n}"] or 0) for n in RESPONDER_SESSIONS
        ],
        analgesic_reported=row["analgesic_reported"],
        analgesic_cut=row["analgesic_cut"],
        analgesic_change=_percent(after - before, before) if before else None,
        work_reported=row["work_reported"],
        work_days_change=_round(row["work_change"]),
    )


def main() -> None:
    import django
    from django.conf import settings

    django.setup()
    from bench.data import check_bench_database

    check_bench_database(settings.DATABASES["default"])
    from django.db import connection

    from outcomes.report import clinic_outcomes

    def timed(fn, repeat):
        samples, result = [], None
        for _ in range(repeat):
            started = time.perf_counter()
            result = fn()
            samples.append(time.perf_counter() - started)
        return result, sorted(samples)[len(samples) // 2] * 1000

    new, new_ms = timed(clinic_outcomes_sql, 10)
    old, old_ms = timed(clinic_outcomes, 1)
    print(f"outcomes.report.clinic_outcomes: {old_ms:8.1f} ms\n{old}\n")
    print(f"one statement (median of 10):    {new_ms:8.1f} ms\n{new}\n")
    print("Same figures." if new == old else "FIGURES DIFFER.")
    if connection.vendor == "postgresql" and "--explain" in sys.argv:
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + SQL.format(plan_filter="1 = 1"), [settings.TIME_ZONE])
            print("\n".join(r[0] for r in cursor.fetchall()))


if __name__ == "__main__":
    main()
