"""Benchmark the key pages against their data floor and their peers, on the data set bench/data.py builds
(bench/RESULTS.md).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/clinic_bench .venv/bin/python bench/run.py [--http]

In-process (django.test.Client): each page's queries in one request, and its median and p95 time, timed in
blocks alternating with (issue 18's yardstick):
- its data floor: the very SQL the page ran, replayed through psycopg's own cursor in a transaction that is
  rolled back, the rows serialised to JSON: no ORM object, no form, no template, no middleware;
- its peers: the same page written in plain idiomatic Django (bench/peers.py) and the Django admin's
  changelist or change page of the same table, where there is one;
- the login floor (login required, one primary-key query, a tiny template), kept for continuity.
--http: gunicorn on loopback, concurrent clients on the chart, the patient questionnaire and the floor.
Results go to bench/last-run.json under "in_process" or "http" (the other mode's stay).
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
from datetime import timedelta
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import (  # noqa: E402
    ACUPUNCTURISTS,
    Browser,
    Fixture,
    environment,
    form_post,
    link_client,
    manager_client,
    questionnaire_post_data,
    remove_questionnaires,
    removing_new_sessions,
    save_results,
    session_post_data,
    setup,
    staff_client,
    start_gunicorn,
    stop,
    summarise,
)

STAFF_QUERY_BUDGET = 15
# Issue 18's targets: a page's median at most this many times its data floor's (None: no target set)...
DATA_FLOOR_TARGETS = {
    "dashboard": 4.5,
    "patient chart (30 sessions)": 3.5,
    "session save POST": 4.5,
    "questionnaire POST": 4.0,
    "dashboard (group manager)": 4.5,
    "patient chart (group manager)": 3.5,
}
# ...and every staff page with a peer at least this many times faster than it (the peer's median over the page's).
PEER_TARGET = 1.5
# The pages read as one location's staff (the acupuncturist at Location 01), then the same pages read by the
# group's manager, who sees all 14 locations (common.GROUP_LOCATIONS).
PAGES = [
    "dashboard",
    "patient search",
    "patient chart (30 sessions)",
    "session form GET",
    "session save POST",
    "questionnaire GET",
    "questionnaire POST",
    "day sheet",
    "week view",
    "dashboard (group manager)",
    "patient search (group manager)",
    "patient chart (group manager)",
    "day sheet (group manager)",
    "outcomes report",
]
PATIENT_PAGES = {"questionnaire GET", "questionnaire POST"}  # no staff query budget


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=200, help="timed requests per page (default 200)")
    parser.add_argument("--warmup", type=int, default=20, help="untimed requests first (default 20)")
    parser.add_argument("--report-requests", type=int, default=20, help="timed requests for the report")
    parser.add_argument("--report-warmup", type=int, default=3)
    parser.add_argument("--only", default="", help="comma-separated parts of page names to run")
    parser.add_argument(
        "--growth-database", default="", metavar="URL", help="a smaller data set: time the report on it too"
    )
    parser.add_argument("--json", action="store_true", help="print the run as JSON instead of saving it")
    parser.add_argument("--http", action="store_true", help="drive gunicorn over loopback instead")
    parser.add_argument("--port", type=int, default=8100)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (default 4)")
    parser.add_argument("--threads", type=int, default=16, help="concurrent clients (default 16)")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds per target (default 20)")
    parser.add_argument("--rounds", type=int, default=4, help="targets take turns this many times (default 4)")
    return parser.parse_args(argv)


# --- in-process -----------------------------------------------------------------------------


def data_floor(sql: list[str]):
    """The page's data floor: its own SQL, replayed through psycopg's cursor (no ORM), every row fetched and
    serialised to JSON, in a transaction rolled back (a page that writes, the session save, the audit entry of
    a list, writes nothing twice). Transaction control statements are the wrapper's own."""
    from django.db import connection, transaction

    statements = [
        q for q in sql if q.split(" ", 1)[0].upper() not in {"SAVEPOINT", "RELEASE", "ROLLBACK", "BEGIN", "COMMIT"}
    ]

    def run() -> None:
        with transaction.atomic():
            connection.ensure_connection()
            with connection.connection.cursor() as cursor:
                rows = []
                for statement in statements:
                    cursor.execute(statement)  # no parameters: psycopg sends it as it is
                    if cursor.description is not None:
                        rows.append(cursor.fetchall())
            json.dumps(rows, default=str)
            transaction.set_rollback(True)

    return run


def checked(request, name: str, expect: int):
    if (response := request()).status_code != expect:
        raise RuntimeError(f"{name}: status {response.status_code}, expected {expect}")
    return response


class Bench:
    def __init__(self, args):
        self.args = args
        self.only = [name.strip() for name in args.only.split(",") if name.strip()]
        self.pages: dict[str, dict] = {}
        self.floor_samples: list[float] = []

    def wanted(self, name: str) -> bool:
        return not self.only or any(part in name for part in self.only)

    def measure(self, name, request, expect=200, *, n=None, warmup=None, rounds=10, peers=None) -> None:
        """Warm up, count one request's queries, then time `n` requests in `rounds` blocks, each beside a block
        of the login floor, of the page's data floor and of each peer (each block's first two untimed: a block
        after a heavy one starts cold)."""
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        n, warmup = n or self.args.requests, self.args.warmup if warmup is None else warmup
        for _ in range(warmup):
            checked(request, name, expect)
        with CaptureQueriesContext(connection) as captured:
            checked(request, name, expect)
        # Read now: the next request's request_started signal clears the connection's query log.
        sql = [q["sql"] for q in captured.captured_queries]
        others = {"floor": lambda: checked(self.floor, "floor", 200), "data floor": data_floor(sql)}
        for label, peer in (peers or {}).items():
            checked(peer, f"{name}: {label}", 200)
            others[label] = partial(checked, peer, f"{name}: {label}", 200)
        rounds = max(1, min(rounds, n))
        samples: list[float] = []
        other_samples: dict[str, list[float]] = {label: [] for label in others}
        for r in range(rounds):
            block = n // rounds + (r < n % rounds)
            for label, run in others.items():
                for i in range(2 + block):
                    started = time.perf_counter()
                    run()
                    if i >= 2:
                        other_samples[label].append(time.perf_counter() - started)
            for _ in range(block):
                started = time.perf_counter()
                checked(request, name, expect)
                samples.append(time.perf_counter() - started)
        self.floor_samples += other_samples["floor"]
        floor = summarise(other_samples.pop("floor"))
        result = {"queries": len(sql), "sql": [q[:300] for q in sql], **summarise(samples)}
        result |= {"floor_median_ms": floor["median_ms"], "floor_p95_ms": floor["p95_ms"], "floor_n": floor["n"]}
        result["compared"] = {label: summarise(times) for label, times in other_samples.items()}
        self.pages[name] = result
        print(
            f"  {name:<30} {len(sql):>3} queries  median {result['median_ms']:>8.2f} ms  p95 {result['p95_ms']:>8.2f} "
            f"ms   (floor beside it: median {floor['median_ms']:.2f}, p95 {floor['p95_ms']:.2f})",
            flush=True,
        )

    def run(self) -> dict:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        fx, a = Fixture(), self.args
        staff = staff_client(fx.acupuncturist)
        self.floor = partial(staff.get, f"/bench/floor/?pk={fx.chart_patient.pk}")
        print(
            f"In-process, {a.requests} timed requests per page after {a.warmup} warm-ups ({a.report_requests} for "
            "the report), each in blocks alternating with floor blocks:"
        )
        for _ in range(a.warmup):
            self.floor()
        with CaptureQueriesContext(connection) as captured:
            self.floor()
        floor_sql = [q["sql"] for q in captured.captured_queries]
        admin = manager_client(fx.admin)
        chart = f"/patients/{fx.chart_patient.pk}/"
        day = fx.schedule_day
        admin_day = (
            f"/admin/scheduling/appointment/?start__gte={day:%Y-%m-%d}&start__lt={day + timedelta(days=1):%Y-%m-%d}"
        )

        def peers(client, peer_path, admin_path=None, **query):
            found = {"idiomatic Django": partial(client.get, peer_path, query or None)}
            if admin_path:
                found["admin"] = partial(admin.get, admin_path)
            return found

        search_peers = peers(staff, "/bench/peer/patients/", f"/admin/clinic/patient/?q={fx.search}", q=fx.search)
        chart_peers = peers(staff, f"/bench/peer{chart}", f"/admin/clinic/patient/{fx.chart_patient.pk}/change/")
        if self.wanted("dashboard"):
            self.measure("dashboard", partial(staff.get, "/"), peers=peers(staff, "/bench/peer/"))
        if self.wanted("patient search"):
            self.measure("patient search", partial(staff.get, "/patients/", {"q": fx.search}), peers=search_peers)
        if self.wanted("patient chart (30 sessions)"):
            self.measure("patient chart (30 sessions)", partial(staff.get, chart), peers=chart_peers)
        if self.wanted("session"):
            self.measure("session form GET", partial(staff.get, f"/plans/{fx.chart_plan.pk}/sessions/new/"))
            url = f"/plans/{fx.post_plan.pk}/sessions/new/"
            with removing_new_sessions(plan=fx.post_plan):  # the next run posts to a plan of the same size
                self.measure("session save POST", lambda: form_post(staff, url, session_post_data()), 302)
        if self.wanted("questionnaire"):
            # The questionnaire itself (step 2), on a fresh due row whose warning signs (step 1) are answered.
            row = fx.new_pending_questionnaires(1)[0]
            self.measure("questionnaire GET", partial(link_client(row).get, "/p/questionnaire/"))
            remove_questionnaires([row.pk])
            # A submit spends its questionnaire: one fresh row, link and browser per POST, made before timing.
            rows = fx.new_pending_questionnaires(a.requests + a.warmup + 1)
            browsers, data = iter([link_client(row) for row in rows]), questionnaire_post_data()
            try:
                self.measure("questionnaire POST", lambda: form_post(next(browsers), "/p/questionnaire/", data))
                answered = type(rows[0]).objects.filter(pk__in=[r.pk for r in rows], submitted_at__isnull=False)
                if (recorded := answered.count()) != len(rows):
                    raise RuntimeError(f"questionnaire POST: {recorded} of {len(rows)} questionnaires were recorded")
            finally:
                remove_questionnaires([row.pk for row in rows])
        if self.wanted("day sheet"):
            day_peers = peers(staff, f"/bench/peer/schedule/?day={day:%Y-%m-%d}", admin_day)
            self.measure("day sheet", partial(staff.get, fx.day_sheet), peers=day_peers)
        if self.wanted("week view"):
            self.measure("week view", partial(staff.get, fx.week_view))
        group = manager_client(fx.manager)
        if self.wanted("dashboard (group manager)"):
            self.measure("dashboard (group manager)", partial(group.get, "/"), peers=peers(group, "/bench/peer/"))
        if self.wanted("patient search (group manager)"):
            group_search = peers(group, "/bench/peer/patients/", f"/admin/clinic/patient/?q={fx.search}", q=fx.search)
            self.measure(
                "patient search (group manager)", partial(group.get, "/patients/", {"q": fx.search}), peers=group_search
            )
        if self.wanted("patient chart (group manager)"):
            group_chart = peers(group, f"/bench/peer{chart}", f"/admin/clinic/patient/{fx.chart_patient.pk}/change/")
            self.measure("patient chart (group manager)", partial(group.get, chart), peers=group_chart)
        if self.wanted("day sheet (group manager)"):
            group_day = peers(group, f"/bench/peer/schedule/?day={day:%Y-%m-%d}", admin_day)
            self.measure("day sheet (group manager)", partial(group.get, fx.day_sheet), peers=group_day)
        if self.wanted("outcomes report"):
            manager = group
            report = partial(manager.get, "/reports/outcomes/")
            self.measure("outcomes report", report, n=a.report_requests, warmup=a.report_warmup)
        floor = {"queries": len(floor_sql), "sql": floor_sql, **summarise(self.floor_samples)}
        return {"floor": floor, "pages": self.pages, "search": fx.search}


def verdicts(run: dict) -> list[dict]:
    """Each page against its targets and the staff query budget, printed as a table."""
    floor, rows = run["floor"], []
    header = (
        f"{'page':<31} {'queries':>7} {'median ms':>9} {'p95 ms':>8} {'login x':>7} {'data floor x':>17}"
        f" {'idiomatic x':>15} {'admin x':>11}"
    )
    print(f"\n{header}  result\n{'-' * (len(header) + 8)}")
    print(f"{'login floor (all samples)':<31} {floor['queries']:>7} {floor['median_ms']:>9.2f} {floor['p95_ms']:>8.2f}")
    for name, result in run["pages"].items():
        compared, median = result["compared"], result["median_ms"]
        data = median / compared["data floor"]["median_ms"]
        data_target = DATA_FLOOR_TARGETS.get(name)
        faster = {
            label: compared[label]["median_ms"] / median for label in ("idiomatic Django", "admin") if label in compared
        }
        budget = None if name in PATIENT_PAGES else STAFF_QUERY_BUDGET
        ok = (
            (data_target is None or data <= data_target)
            and all(times >= PEER_TARGET for times in faster.values())
            and (budget is None or result["queries"] <= budget)
        )
        keys = ("queries", "median_ms", "p95_ms", "floor_p95_ms")
        rows.append(
            {"page": name, **{k: result[k] for k in keys}, "login_ratio": round(median / result["floor_median_ms"], 2)}
        )
        rows[-1] |= {"data_floor_ms": compared["data floor"]["median_ms"], "data_floor_ratio": round(data, 2)}
        rows[-1] |= {"data_floor_target": data_target, "peers_slower": {k: round(v, 2) for k, v in faster.items()}}
        rows[-1] |= {"peer_target": PEER_TARGET if faster else None, "query_budget": budget, "pass": ok}
        queries = f"{result['queries']}" + ("" if budget is None else f"/{budget}")
        data_cell = f"{data:.2f}" + (f" (<= {data_target})" if data_target else "")
        peer_cells = [
            (f"{faster[label]:.2f} (>= {PEER_TARGET})" if label in faster else "-")
            for label in ("idiomatic Django", "admin")
        ]
        print(
            f"{name:<31} {queries:>7} {median:>9.2f} {result['p95_ms']:>8.2f} {rows[-1]['login_ratio']:>7.2f}"
            f" {data_cell:>17} {peer_cells[0]:>15} {peer_cells[1]:>11}  {'PASS' if ok else 'FAIL'}"
        )
    print(
        f"queries: one request, staff pages against a budget of {STAFF_QUERY_BUDGET} (BEGIN/COMMIT count, as in the"
        " unit suite);\nlogin x: the page's median over the login floor's; data floor x: over the median of its own SQL"
        " replayed through psycopg and serialised to JSON;\nidiomatic x, admin x: how many times slower the peer's"
        " median is than the page's. Each timed in blocks alternating with the page's."
    )
    return rows


def in_process(args) -> int:
    started = time.perf_counter()
    run = Bench(args).run()
    rows = verdicts(run)
    out = {"mode": "in-process", **environment()}
    out |= {"settings": {"requests": args.requests, "warmup": args.warmup, "report_requests": args.report_requests}}
    out |= {"search": run["search"], "floor": run["floor"], "pages": run["pages"], "verdicts": rows}
    out |= {"all_pass": all(r["pass"] for r in rows), "seconds": round(time.perf_counter() - started, 1)}
    if args.json:
        print(json.dumps(out, default=str))
        return 0
    if args.growth_database and "outcomes report" in run["pages"]:
        out["report_growth"] = report_growth(args, out)
        out["all_pass"] = out["all_pass"] and out["report_growth"]["pass"]
    save_results("in_process", out)
    print("All targets met." if out["all_pass"] else "SOME TARGETS FAILED.")
    return 0 if out["all_pass"] else 1


def report_growth(args, full: dict) -> dict:
    """Time the report on the smaller data set (a second process) and set its growth beside the data's."""
    command = [sys.executable, __file__, "--only", "report", "--json", "--requests", str(args.requests)]
    command += ["--report-requests", str(args.report_requests), "--report-warmup", str(args.report_warmup)]
    env = {**os.environ, "DATABASE_URL": args.growth_database}
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise RuntimeError(f"The report run on {args.growth_database} failed:\n{done.stderr[-2000:]}")
    small = json.loads(done.stdout.strip().splitlines()[-1])
    small_ms, big_ms = small["pages"]["outcomes report"]["median_ms"], full["pages"]["outcomes report"]["median_ms"]
    data_growth = full["dataset"]["plans"] / small["dataset"]["plans"]
    time_growth = big_ms / small_ms
    print(
        f"\noutcomes report growth: {small['dataset']['plans']:,} -> {full['dataset']['plans']:,} plans "
        f"({data_growth:.1f}x the data), median {small_ms:.1f} -> {big_ms:.1f} ms ({time_growth:.1f}x the time); "
        f"target: no faster than the data  {'PASS' if time_growth <= data_growth else 'FAIL'}"
    )
    return {
        "small_dataset": small["dataset"],
        "small_median_ms": small_ms,
        "full_median_ms": big_ms,
        "data_growth": round(data_growth, 2),
        "time_growth": round(time_growth, 2),
        "pass": time_growth <= data_growth,
    }


# --- over HTTP ------------------------------------------------------------------------------


def drive(browsers: list[Browser], path: str, duration: float) -> dict:
    """Every browser in its own thread requests `path` back to back for `duration` seconds."""
    ok, errors, latencies = [0] * len(browsers), [0] * len(browsers), [[] for _ in browsers]
    barrier, stop_at = threading.Barrier(len(browsers)), time.perf_counter() + duration

    def worker(i: int) -> None:
        barrier.wait()
        while time.perf_counter() < stop_at:
            started = time.perf_counter()
            try:
                status, url, _ = browsers[i].get(path)
                good = status == 200 and urllib.parse.urlparse(url).path == path.split("?")[0]
            except OSError:  # URLError, ConnectionError and TimeoutError are OSErrors
                good = False
            latencies[i].append(time.perf_counter() - started)
            ok[i] += good
            errors[i] += not good

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(browsers))]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - began
    return {"ok": sum(ok), "errors": sum(errors), "seconds": seconds, "latencies": sum(latencies, [])}


def over_http(args) -> int:
    from clinic.links import issue_link

    fx, env = Fixture(), environment()
    base = f"http://127.0.0.1:{args.port}"
    process = start_gunicorn(args.port, args.workers)
    try:
        staff = [Browser(base).login(ACUPUNCTURISTS[0]) for _ in range(args.threads)]
        for browser in staff:
            browser.get("/")  # the first staff page settles the two-factor check for the session
        patients = []
        for row in fx.pending.select_related("patient").order_by("id")[: args.threads]:
            _, token = issue_link(patient=row.patient, purpose="questionnaire", subject=row)
            status, url, _ = (browser := Browser(base)).get(f"/l/{token}/")
            if status != 200 or not url.endswith("/p/questionnaire/"):
                raise RuntimeError(f"Opening a patient link over HTTP landed on {url} ({status})")
            patients.append(browser)
        patients = [patients[i % len(patients)] for i in range(args.threads)]  # too few pending: share browsers
        targets = {
            "floor": (staff, f"/bench/floor/?pk={fx.chart_patient.pk}"),
            "patient chart (30 sessions)": (staff, f"/patients/{fx.chart_patient.pk}/"),
            "questionnaire GET": (patients, "/p/questionnaire/"),
        }
        rounds = max(1, args.rounds)
        print(
            f"Over HTTP: gunicorn {args.workers} workers, {args.threads} client threads, {args.duration:g} s per "
            f"target in {rounds} rounds (targets take turns, so a busy moment on the machine hits all of them)"
        )
        for browsers, path in targets.values():  # warm every worker up on every page
            drive(browsers, path, 1.0)
        runs = {name: [] for name in targets}
        for r in range(rounds):
            for name, (browsers, path) in targets.items():
                runs[name].append(part := drive(browsers, path, args.duration / rounds))
                rps = part["ok"] / part["seconds"]
                print(f"  round {r + 1}: {name:<28} {rps:>8.1f} req/s  {part['errors']} errors", flush=True)
    finally:
        stop(process)
    results = {}
    for name, parts in runs.items():
        ok, seconds = sum(p["ok"] for p in parts), sum(p["seconds"] for p in parts)
        results[name] = {"requests": ok, "errors": sum(p["errors"] for p in parts), "seconds": round(seconds, 2)}
        results[name] |= {
            "rps": round(ok / seconds, 1),
            "rps_by_round": [round(p["ok"] / p["seconds"], 1) for p in parts],
        }
        latency = summarise(sum((p["latencies"] for p in parts), []))
        results[name] |= {f"client_{k}": v for k, v in latency.items() if k != "n"}
    floor_rps = results["floor"]["rps"]
    header = f"{'target':<30} {'req/s':>8} {'errors':>7} {'client median ms':>17} {'client p95 ms':>14} {'vs floor':>9}"
    print(f"\n{header}\n{'-' * len(header)}")
    for name, r in results.items():
        print(
            f"{name:<30} {r['rps']:>8.1f} {r['errors']:>7} {r['client_median_ms']:>17.1f} "
            f"{r['client_p95_ms']:>14.1f} {r['rps'] / floor_rps:>9.2f}"
        )
    print("(vs floor: requests per second as a share of the floor's)")
    settings = {"workers": args.workers, "threads": args.threads, "duration_s": args.duration, "rounds": rounds}
    out = {"mode": "http", **env, "settings": settings | {"port": args.port}, "floor_rps": floor_rps}
    out |= {"results": results, "share_of_floor": {k: round(r["rps"] / floor_rps, 3) for k, r in results.items()}}
    out["errors"] = sum(r["errors"] for r in results.values())
    save_results("http", out)
    return 0 if out["errors"] == 0 else 1


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def main(argv=None) -> int:
    # A SIGTERM (e.g. from `timeout`) unwinds like Ctrl-C, so --http still stops its gunicorn.
    signal.signal(signal.SIGTERM, _interrupt)
    args = parse_args(argv)
    setup()
    return over_http(args) if args.http else in_process(args)


if __name__ == "__main__":
    sys.exit(main())
