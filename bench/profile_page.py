"""Where one page's time goes: SQL (with EXPLAIN ANALYZE of each query) versus Python.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/clinic_bench \
        .venv/bin/python bench/profile_page.py chart [--explain] [--profile] [--requests 30]

Pages: floor, dashboard, search, chart, session-get, questionnaire-get, report.
"""

import argparse
import cProfile
import io
import os
import pstats
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("page")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN (ANALYZE, BUFFERS) every query")
    parser.add_argument("--profile", action="store_true", help="cProfile the requests")
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--top", type=int, default=35)
    parser.add_argument("--templates", action="store_true", help="time spent per template (inclusive)")
    args = parser.parse_args()

    import django
    from django.conf import settings

    django.setup()
    from bench.data import check_bench_database
    from bench.run import SEARCH_QUERY, Fixture, link_client, manager_client, staff_client

    check_bench_database(settings.DATABASES["default"])
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    fx = Fixture()
    staff = staff_client(fx.acupuncturist)
    pages = {
        "floor": (staff, f"/bench/floor/?pk={fx.chart_patient.pk}"),
        "dashboard": (staff, "/"),
        "search": (staff, f"/patients/?q={SEARCH_QUERY}"),
        "chart": (staff, f"/patients/{fx.chart_patient.pk}/"),
        "session-get": (staff, f"/plans/{fx.chart_plan.pk}/sessions/new/"),
    }
    if args.page == "questionnaire-get":
        pages[args.page] = (link_client(fx.pending.select_related("patient").first()), "/p/questionnaire/")
    if args.page == "report":
        pages[args.page] = (manager_client(fx.manager), "/reports/outcomes/")
    client, url = pages[args.page]
    for _ in range(3):
        assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as captured:
        started = time.perf_counter()
        client.get(url)
        total = time.perf_counter() - started
    queries = list(captured.captured_queries)
    db = sum(float(q["time"]) for q in queries)
    print(f"{args.page}: {len(queries)} queries, {db * 1000:.1f} ms in SQL of {total * 1000:.1f} ms total")
    for q in queries:
        print(f"  {float(q['time']) * 1000:7.2f} ms  {q['sql'][:220]}")
    # Split the time of many requests: SQL round trips, template rendering, everything else.
    from django.template.backends import django as django_backend

    spent = {"sql": 0.0, "render": 0.0, "depth": 0}

    def timed_sql(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            spent["sql"] += time.perf_counter() - started

    original_render = django_backend.Template.render

    def timed_render(self, *a, **kw):
        # Widgets render through templates too: count the outermost render only.
        spent["depth"] += 1
        started = time.perf_counter()
        try:
            return original_render(self, *a, **kw)
        finally:
            spent["depth"] -= 1
            if not spent["depth"]:
                spent["render"] += time.perf_counter() - started

    django_backend.Template.render = timed_render
    samples = []
    with connection.execute_wrapper(timed_sql):
        for _ in range(args.requests):
            started = time.perf_counter()
            client.get(url)
            samples.append(time.perf_counter() - started)
    django_backend.Template.render = original_render
    n = args.requests
    wall = sum(samples)
    print(
        f"\nover {n} requests: {wall / n * 1000:.1f} ms each (median {sorted(samples)[n // 2] * 1000:.1f}): "
        f"SQL {spent['sql'] / n * 1000:.1f} ms, template render {spent['render'] / n * 1000:.1f} ms "
        f"(SQL inside rendering counted as SQL too), rest {(wall - spent['sql'] - spent['render']) / n * 1000:.1f} ms"
    )
    if args.templates:
        from collections import defaultdict

        from django.template import base as template_base

        per_template = defaultdict(lambda: [0, 0.0])
        original = template_base.Template._render

        def timed(self, context):
            started = time.perf_counter()
            try:
                return original(self, context)
            finally:
                entry = per_template[getattr(self.origin, "template_name", None) or self.origin.name]
                entry[0] += 1
                entry[1] += time.perf_counter() - started

        template_base.Template._render = timed
        for _ in range(args.requests):
            client.get(url)
        template_base.Template._render = original
        print(f"\nTemplates, inclusive ms per request over {args.requests} requests (calls per request):")
        for name, (calls, seconds) in sorted(per_template.items(), key=lambda kv: -kv[1][1])[:25]:
            print(f"  {seconds / args.requests * 1000:8.2f} ms  {calls / args.requests:7.1f}x  {name}")
    if args.explain:
        with connection.cursor() as cursor:
            for q in queries:
                sql = q["sql"]
                if not sql.lstrip().upper().startswith("SELECT"):
                    continue
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
                print("\n" + sql[:400])
                print("\n".join(row[0] for row in cursor.fetchall()))
    if args.profile:
        profiler = cProfile.Profile()
        started = time.perf_counter()
        profiler.enable()
        for _ in range(args.requests):
            client.get(url)
        profiler.disable()
        print(f"\n{args.requests} requests: {(time.perf_counter() - started) / args.requests * 1000:.1f} ms each")
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(args.top)
        print(out.getvalue())


if __name__ == "__main__":
    main()
