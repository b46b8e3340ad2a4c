"""Where one page's time goes: its queries, then SQL versus template rendering versus the rest.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/clinic_bench \
        .venv/bin/python bench/profile_page.py chart|session-post [--templates] [--explain] [--profile] [--requests 30]
"""

import argparse
import cProfile
import pstats
import sys
import time
from collections import defaultdict
from contextlib import nullcontext
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import (  # noqa: E402
    Fixture,
    form_post,
    link_client,
    manager_client,
    removing_new_sessions,
    session_post_data,
    setup,
    staff_client,
)

PAGES = [
    "floor",
    "dashboard",
    "search",
    "chart",
    "session-get",
    "session-post",
    "questionnaire-get",
    "report",
    "day-sheet",
    "week-view",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("page", choices=PAGES)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--templates", action="store_true", help="time spent per template (inclusive)")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN (ANALYZE, BUFFERS) every query")
    parser.add_argument("--profile", action="store_true", help="cProfile the requests")
    parser.add_argument("--save", metavar="PATH", help="with --profile: keep the profile for pstats")
    args = parser.parse_args()
    setup()
    fx = Fixture()
    client = staff_client(fx.acupuncturist)
    if args.page == "questionnaire-get":
        client = link_client(fx.pending.select_related("patient").first())
    elif args.page == "report":
        client = manager_client(fx.manager)
    url = {
        "floor": f"/bench/floor/?pk={fx.chart_patient.pk}",
        "dashboard": "/",
        "search": f"/patients/?q={fx.search}",
        "chart": f"/patients/{fx.chart_patient.pk}/",
        "session-get": f"/plans/{fx.chart_plan.pk}/sessions/new/",
        "session-post": f"/plans/{fx.post_plan.pk}/sessions/new/",
        "questionnaire-get": "/p/questionnaire/",
        "report": "/reports/outcomes/",
        "day-sheet": fx.day_sheet,
        "week-view": fx.week_view,
    }[args.page]
    n = args.requests
    posting = args.page == "session-post"
    data = session_post_data() if posting else None

    def timed() -> float:
        started = time.perf_counter()
        response = form_post(client, url, data) if posting else client.get(url)
        if response.status_code != (302 if posting else 200):
            sys.exit(f"{url}: status {response.status_code}")
        return time.perf_counter() - started

    with removing_new_sessions(plan=fx.post_plan) if posting else nullcontext():
        measure(args, n, timed)


def measure(args, n, timed) -> None:
    from django.db import connection
    from django.template import base as template_base
    from django.template.backends import django as django_backend
    from django.test.utils import CaptureQueriesContext

    for _ in range(3):
        timed()
    with CaptureQueriesContext(connection) as captured:
        total = timed()
    queries = list(captured.captured_queries)
    sql_ms = sum(float(q["time"]) for q in queries) * 1000
    print(f"{args.page}: {len(queries)} queries, {sql_ms:.1f} ms in SQL of {total * 1000:.1f} ms total")
    for q in queries:
        print(f"  {float(q['time']) * 1000:7.2f} ms  {q['sql'][:220]}")

    # Many requests, their time split: SQL round trips, template rendering (the outermost render only:
    # widgets render through templates too), everything else.
    spent = {"sql": 0.0, "render": 0.0, "depth": 0}

    def timed_sql(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            spent["sql"] += time.perf_counter() - started

    render = django_backend.Template.render

    def timed_render(self, *a, **kw):
        spent["depth"] += 1
        started = time.perf_counter()
        try:
            return render(self, *a, **kw)
        finally:
            spent["depth"] -= 1
            if not spent["depth"]:
                spent["render"] += time.perf_counter() - started

    django_backend.Template.render = timed_render
    with connection.execute_wrapper(timed_sql):
        samples = sorted(timed() for _ in range(n))
    django_backend.Template.render = render
    wall, sql, rendering = sum(samples) / n * 1000, spent["sql"] / n * 1000, spent["render"] / n * 1000
    print(
        f"\nover {n} requests: {wall:.1f} ms each (median {samples[n // 2] * 1000:.1f}): SQL {sql:.1f} ms, template "
        f"render {rendering:.1f} ms (SQL inside rendering counted as SQL too), rest {wall - sql - rendering:.1f} ms"
    )

    if args.templates:
        per_template = defaultdict(lambda: [0, 0.0])
        original = template_base.Template._render

        def timed_template(self, context):
            started = time.perf_counter()
            try:
                return original(self, context)
            finally:
                entry = per_template[getattr(self.origin, "template_name", None) or self.origin.name]
                entry[0] += 1
                entry[1] += time.perf_counter() - started

        template_base.Template._render = timed_template
        for _ in range(n):
            timed()
        template_base.Template._render = original
        print(f"\nTemplates, inclusive ms per request over {n} requests (calls per request):")
        for name, (calls, seconds) in sorted(per_template.items(), key=lambda kv: -kv[1][1])[:25]:
            print(f"  {seconds / n * 1000:8.2f} ms  {calls / n:7.1f}x  {name}")
    if args.explain:
        with connection.cursor() as cursor:
            for q in (q for q in queries if q["sql"].lstrip().upper().startswith("SELECT")):
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + q["sql"])
                print(f"\n{q['sql'][:400]}\n" + "\n".join(row[0] for row in cursor.fetchall()))
    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        each = sum(timed() for _ in range(n)) / n
        profiler.disable()
        if args.save:
            profiler.dump_stats(args.save)
        print(f"\n{n} requests: {each * 1000:.1f} ms each")
        pstats.Stats(profiler, stream=sys.stdout).sort_stats("cumulative").print_stats(35)


if __name__ == "__main__":
    main()
