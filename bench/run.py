"""Benchmark the key pages against a floor view, on the data set bench/data.py builds.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/clinic_bench .venv/bin/python bench/run.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/clinic_bench .venv/bin/python bench/run.py --http

Default mode, in-process with django.test.Client: for each page, the number of queries of one
request (CaptureQueriesContext) and the median and 95th-percentile server time over many requests
after warm-ups, beside the floor view's (login required, one primary-key query, a tiny template,
the same middleware), timed in blocks alternating with the page's so both see the same machine.

--http: starts gunicorn on 127.0.0.1:8100 against the same database, signs in with the stdlib
(urllib + http.cookiejar, CSRF token from the login page) and drives concurrent clients against
the chart, the patient questionnaire and the floor; reports requests per second and errors.

Results go to bench/last-run.json, under "in_process" or "http" (the other mode's last results stay).
"""

import argparse
import http.cookiejar
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"

from bench.data import (  # noqa: E402
    CHART_PATIENT,
    PASSWORD,
    QUESTIONNAIRE_POST_PATIENT,
    SESSION_POST_PATIENT,
    USERNAMES,
    check_bench_database,
)

STAFF_QUERY_BUDGET = 15
SEARCH_QUERY = "smith"
SESSION_POINTS = ("BL23", "BL25", "BL40", "GB30", "GB34", "BL57", "KI3", "GV4")
# Target: a page's p95 at most this many times the floor's p95.
TARGETS = {
    "dashboard": 3,
    "patient search": 3,
    "patient chart (30 sessions)": 3,
    "session form GET": None,  # no time target in issue 7; the query budget applies
    "session save POST": 3,
    "questionnaire GET": 2,
    "questionnaire POST": 2,
    "outcomes report": 25,
}
STAFF_PAGES = {
    "dashboard",
    "patient search",
    "patient chart (30 sessions)",
    "session form GET",
    "session save POST",
    "outcomes report",
}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=200, help="timed requests per page (default 200)")
    parser.add_argument("--warmup", type=int, default=20, help="untimed requests first (default 20)")
    parser.add_argument("--report-requests", type=int, default=20, help="timed requests for the report")
    parser.add_argument("--report-warmup", type=int, default=3)
    parser.add_argument("--http", action="store_true", help="drive gunicorn over loopback instead")
    parser.add_argument("--port", type=int, default=8100)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (default 4)")
    parser.add_argument("--threads", type=int, default=16, help="concurrent clients (default 16)")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds per target (default 20)")
    parser.add_argument("--rounds", type=int, default=4, help="targets take turns this many times (default 4)")
    parser.add_argument("--only", default="", help="comma-separated page names to run (debugging)")
    parser.add_argument(
        "--growth-database",
        default="",
        metavar="URL",
        help="a smaller data set built by data.py: time the report on it too and compare growth with the data's",
    )
    parser.add_argument("--json", action="store_true", help="print the run as JSON instead of saving it")
    return parser.parse_args(argv)


# --- shared ---------------------------------------------------------------------------------


def machine() -> dict:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version" if connection.vendor == "postgresql" else "select sqlite_version()")
        db_version = cursor.fetchone()[0]
    mem_gb = None
    try:
        with open("/proc/meminfo") as f:
            mem_gb = round(int(f.readline().split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    cpu = ""
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), "")
    except OSError:
        pass
    import django

    def git(*args: str) -> str:
        try:
            return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False).stdout  # noqa: S603, S607
        except OSError:
            return ""

    changed = [line for line in git("status", "--porcelain").splitlines() if not line[3:].startswith("bench/")]
    return {
        "git_commit": git("rev-parse", "--short", "HEAD").strip(),
        "app_files_changed_since_commit": len(changed),
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "ram_gb": mem_gb,
        "database": f"{connection.vendor} {db_version}",
        "python": platform.python_version(),
        "django": django.get_version(),
        "platform": platform.platform(),
    }


def dataset() -> dict:
    from clinic.models import Patient
    from outcomes.models import Questionnaire
    from treatments.models import Session, SessionPoint, TreatmentPlan

    return {
        "patients": Patient.objects.count(),
        "plans": TreatmentPlan.objects.count(),
        "sessions": Session.objects.count(),
        "session_points": SessionPoint.objects.count(),
        "questionnaires": Questionnaire.objects.count(),
        "pending_questionnaires": Questionnaire.objects.pending().count(),
    }


class Fixture:
    """The rows the benchmark reads and writes, found by chart number."""

    def __init__(self):
        from django.contrib.auth.models import User

        from clinic.models import Patient
        from outcomes.models import Questionnaire
        from treatments.models import Session, TreatmentPlan

        self.acupuncturist = User.objects.get(username=USERNAMES["acupuncturists"][0])
        self.manager = User.objects.get(username=USERNAMES["manager"])
        self.chart_patient = Patient.objects.get(chart_number=CHART_PATIENT)
        sessions = Session.objects.filter(patient=self.chart_patient).count()
        if sessions != 30:
            sys.exit(
                f"The chart patient {CHART_PATIENT} has {sessions} sessions, not 30; rebuild with data.py --reset."
            )
        self.chart_plan = TreatmentPlan.objects.filter(patient=self.chart_patient).first()
        self.post_plan = TreatmentPlan.objects.get(patient__chart_number=SESSION_POST_PATIENT)
        self.questionnaire_patient = Patient.objects.get(chart_number=QUESTIONNAIRE_POST_PATIENT)
        # A due, unanswered questionnaire from the data set for the GET.
        self.pending = Questionnaire.objects.pending().exclude(patient__chart_number=QUESTIONNAIRE_POST_PATIENT)
        if not self.pending.exists():
            sys.exit("No pending questionnaire in the data set; rebuild with data.py.")

    def new_pending_questionnaires(self, count: int) -> list:
        """Fresh due questionnaires for the POST benchmark (one per request: a submit spends it)."""
        from django.db.models import Max

        from intake.rules import CAUDA_EQUINA_KEYS
        from outcomes.models import Questionnaire

        patient = self.questionnaire_patient
        plan = patient.plans.first()
        last = Questionnaire.objects.filter(patient=patient).aggregate(m=Max("due_date"))["m"]
        # Step 1 (the warning signs, saved alone) is behind each: the POST measured is the questionnaire itself.
        answered = dict.fromkeys(CAUDA_EQUINA_KEYS, False)
        rows = [
            Questionnaire(
                patient=patient, plan=plan, due_date=last + timedelta(days=i + 1), week=1, kind="weekly", **answered
            )
            for i in range(count)
        ]
        return Questionnaire.objects.bulk_create(rows)


@contextmanager
def removing_new_sessions(**where):
    """Delete the unsigned sessions (matching `where`) logged inside the block, so a benchmark run
    leaves the data set as bench/data.py built it and the next run posts to plans of the same size."""
    from django.db.models import Max

    from treatments.models import Session

    last = Session.objects.aggregate(m=Max("pk"))["m"] or 0
    try:
        yield
    finally:
        Session.objects.filter(pk__gt=last, signed_at__isnull=True, **where).delete()


def remove_questionnaires(ids: list[int]) -> None:
    """Delete questionnaires a benchmark created (and their links), then refresh their plans' scores."""
    from clinic.models import PatientLink
    from outcomes.models import Questionnaire
    from outcomes.summary import refresh_outcomes

    plan_ids = set(Questionnaire.objects.filter(pk__in=ids).values_list("plan_id", flat=True))
    PatientLink.objects.filter(purpose="questionnaire", subject_id__in=ids).delete()
    Questionnaire.objects.filter(pk__in=ids).delete()
    refresh_outcomes(plan_ids)


def summarise(samples: list[float]) -> dict:
    ordered = sorted(samples)
    p95 = ordered[max(0, -(-len(ordered) * 95 // 100) - 1)]  # nearest-rank 95th percentile
    return {
        "n": len(ordered),
        "median_ms": round(statistics.median(ordered) * 1000, 2),
        "p95_ms": round(p95 * 1000, 2),
        "min_ms": round(ordered[0] * 1000, 2),
        "max_ms": round(ordered[-1] * 1000, 2),
    }


def save_results(mode: str, out: dict) -> Path:
    path = ROOT / "bench" / "last-run.json"
    try:
        previous = json.loads(path.read_text())
    except (OSError, ValueError):
        previous = {}
    previous[mode] = out
    path.write_text(json.dumps(previous, indent=2, default=str) + "\n")
    return path


# --- in-process -----------------------------------------------------------------------------


def session_post_data(codes=SESSION_POINTS) -> dict:
    """The session form's POST (the format of tests/factories.py session_form_data)."""
    from django.utils import timezone

    started = timezone.localtime(timezone.now() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    data = {
        "session-started_at": started,
        "session-contact_minutes": "30",
        "session-reinsertions": "1",
        "session-pain_before": "6",
        "session-pain_after": "3",
        "session-tuina_minutes": "0",
        "session-subjective": "Leg pain 6/10, sleeping better.",
        "session-objective": "SLR positive at 60 degrees on the left.",
        "session-assessment": "Improving.",
        "session-plan_notes": "Continue weekly.",
        "points-TOTAL_FORMS": str(len(codes)),
        "points-INITIAL_FORMS": "0",
        "electro-TOTAL_FORMS": "0",
        "electro-INITIAL_FORMS": "0",
        "adverse-TOTAL_FORMS": "0",
        "adverse-INITIAL_FORMS": "0",
    }
    for i, code in enumerate(codes):
        data |= {
            f"points-{i}-code": code,
            f"points-{i}-side": "B",
            f"points-{i}-technique": "even",
            f"points-{i}-retention_minutes": "25",
        }
    return data


def questionnaire_post_data() -> dict:
    """The weekly questionnaire's POST (the format of tests/factories.py questionnaire_data)."""
    from intake.rules import CAUDA_EQUINA_KEYS
    from outcomes.models import ODI_FIELDS

    odi = (2, 2, 2, 1, 2, 2, 2, None, 2, 1)
    data = {name: "" if value is None else str(value) for name, value in zip(ODI_FIELDS, odi, strict=True)}
    data |= {"back_pain_now": "4", "back_pain_worst": "6", "leg_pain_now": "5", "leg_pain_worst": "7"}
    data |= {"analgesic_days": "3", "work_days_off": "1"}
    data |= dict.fromkeys(CAUDA_EQUINA_KEYS, "False")
    return data


def form_post(client, url: str, data: dict):
    """POST as a browser sends a form without file fields: URL-encoded, not multipart."""
    from urllib.parse import urlencode

    return client.post(url, urlencode(data), content_type="application/x-www-form-urlencoded")


def staff_client(user):
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


def manager_client(user):
    """A manager must pass two-factor sign-in: give them a confirmed device, as after setup."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client = staff_client(user)
    device, _ = TOTPDevice.objects.get_or_create(user=user, name="bench", defaults={"confirmed": True})
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def link_client(questionnaire_row):
    """A patient's browser that opened a questionnaire link (the token traded for a session)."""
    from django.test import Client

    from clinic.links import issue_link

    _, token = issue_link(patient=questionnaire_row.patient, purpose="questionnaire", subject=questionnaire_row)
    client = Client()
    opened = client.get(f"/l/{token}/")
    if opened.status_code != 302:
        raise RuntimeError(f"Opening a patient link gave {opened.status_code}, not a redirect.")
    return client


class Bench:
    def __init__(self, args):
        self.args = args
        self.results: dict[str, dict] = {}
        self.floor_samples: list[float] = []
        self.only = {name.strip() for name in args.only.split(",") if name.strip()}

    def measure(self, name, request, *, expect, n, warmup, rounds=10) -> dict:
        """Warm up, count the queries of one request, then time `n` requests beside the floor's.

        The page and the floor are timed in alternating blocks (`rounds` of each), so both see the
        same machine: another process busy on a core slows both, not only one. Each floor block
        starts with two untimed requests, because the first floor request after a heavy page runs
        slower (cold caches) and the floor stands for the fastest a page can be.
        """
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        def checked(call, label, status):
            response = call()
            if response.status_code != status:
                raise RuntimeError(f"{label}: status {response.status_code}, expected {status}")
            return response

        for _ in range(warmup):
            checked(request, name, expect)
        with CaptureQueriesContext(connection) as captured:
            checked(request, name, expect)
        # Read now: the next request's request_started signal clears the connection's query log.
        sql = [q["sql"] for q in captured.captured_queries]
        rounds = max(1, min(rounds, n))
        floor_per_round = -(-self.args.requests // rounds)
        samples, floor_samples = [], []
        for r in range(rounds):
            for _ in range(2):
                checked(self.floor, "floor", 200)
            for _ in range(floor_per_round):
                started = time.perf_counter()
                checked(self.floor, "floor", 200)
                floor_samples.append(time.perf_counter() - started)
            for _ in range(n // rounds + (1 if r < n % rounds else 0)):
                started = time.perf_counter()
                checked(request, name, expect)
                samples.append(time.perf_counter() - started)
        self.floor_samples += floor_samples
        floor = summarise(floor_samples)
        result = {
            "queries": len(sql),
            "sql": [q[:300] for q in sql],
            **summarise(samples),
            "floor_median_ms": floor["median_ms"],
            "floor_p95_ms": floor["p95_ms"],
            "floor_n": floor["n"],
        }
        print(
            f"  {name:<30} {result['queries']:>3} queries  "
            f"median {result['median_ms']:>8.2f} ms  p95 {result['p95_ms']:>8.2f} ms   "
            f"(floor beside it: median {floor['median_ms']:.2f}, p95 {floor['p95_ms']:.2f})",
            flush=True,
        )
        return result

    def wanted(self, name: str) -> bool:
        return not self.only or any(part in name for part in self.only)

    def run(self) -> dict:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        fx = Fixture()
        a = self.args
        n, w = a.requests, a.warmup
        staff = staff_client(fx.acupuncturist)
        floor_url = f"/bench/floor/?pk={fx.chart_patient.pk}"
        self.floor = lambda: staff.get(floor_url)
        print(
            f"In-process, {n} timed requests per page after {w} warm-ups ({a.report_requests} for the report), "
            "each in blocks alternating with floor blocks:"
        )
        for _ in range(w):
            self.floor()
        with CaptureQueriesContext(connection) as captured:
            self.floor()
        floor_sql = [q["sql"] for q in captured.captured_queries]

        if self.wanted("dashboard"):
            self.results["dashboard"] = self.measure("dashboard", lambda: staff.get("/"), expect=200, n=n, warmup=w)
        if self.wanted("search"):
            self.results["patient search"] = self.measure(
                "patient search", lambda: staff.get("/patients/", {"q": SEARCH_QUERY}), expect=200, n=n, warmup=w
            )
        if self.wanted("chart"):
            url = f"/patients/{fx.chart_patient.pk}/"
            self.results["patient chart (30 sessions)"] = self.measure(
                "patient chart (30 sessions)", lambda: staff.get(url), expect=200, n=n, warmup=w
            )
        if self.wanted("session"):
            url = f"/plans/{fx.chart_plan.pk}/sessions/new/"
            self.results["session form GET"] = self.measure(
                "session form GET", lambda: staff.get(url), expect=200, n=n, warmup=w
            )
            post_url = f"/plans/{fx.post_plan.pk}/sessions/new/"
            with removing_new_sessions(plan=fx.post_plan):
                self.results["session save POST"] = self.measure(
                    "session save POST",
                    lambda: form_post(staff, post_url, session_post_data()),
                    expect=302,
                    n=n,
                    warmup=w,
                )
        if self.wanted("questionnaire"):
            # The questionnaire page itself (step 2), as before the warning signs became a step of their own.
            get_row = fx.new_pending_questionnaires(1)[0]
            patient_browser = link_client(get_row)
            self.results["questionnaire GET"] = self.measure(
                "questionnaire GET", lambda: patient_browser.get("/p/questionnaire/"), expect=200, n=n, warmup=w
            )
            remove_questionnaires([get_row.pk])
            # One fresh due questionnaire, link and browser per POST, prepared before timing.
            rows = fx.new_pending_questionnaires(n + w + 1)
            browsers = iter([link_client(row) for row in rows])
            data = questionnaire_post_data()
            self.results["questionnaire POST"] = self.measure(
                "questionnaire POST",
                lambda: form_post(next(browsers), "/p/questionnaire/", data),
                expect=200,
                n=n,
                warmup=w,
            )
            submitted = type(rows[0]).objects.filter(pk__in=[r.pk for r in rows], submitted_at__isnull=False).count()
            remove_questionnaires([row.pk for row in rows])
            if submitted != len(rows):
                raise RuntimeError(f"questionnaire POST: {submitted} of {len(rows)} questionnaires were recorded")
        if self.wanted("report"):
            manager = manager_client(fx.manager)
            self.results["outcomes report"] = self.measure(
                "outcomes report",
                lambda: manager.get("/reports/outcomes/"),
                expect=200,
                n=a.report_requests,
                warmup=a.report_warmup,
            )
        floor = {"queries": len(floor_sql), "sql": floor_sql, **summarise(self.floor_samples)}
        return {"floor": floor, "pages": self.results}


def verdicts(run: dict) -> list[dict]:
    rows = []
    for name, result in run["pages"].items():
        ratio = result["p95_ms"] / result["floor_p95_ms"]
        target = TARGETS[name]
        budget_ok = name not in STAFF_PAGES or result["queries"] <= STAFF_QUERY_BUDGET
        time_ok = target is None or ratio <= target
        rows.append(
            {
                "page": name,
                "queries": result["queries"],
                "median_ms": result["median_ms"],
                "p95_ms": result["p95_ms"],
                "floor_p95_ms": result["floor_p95_ms"],
                "ratio": round(ratio, 2),
                "target": target,
                "query_budget": STAFF_QUERY_BUDGET if name in STAFF_PAGES else None,
                "pass": time_ok and budget_ok,
            }
        )
    return rows


def print_table(run: dict, rows: list[dict]) -> None:
    floor = run["floor"]
    print()
    header = (
        f"{'page':<28} {'queries':>7} {'median ms':>10} {'p95 ms':>9} {'floor p95':>10} {'p95/floor':>10} "
        f"{'target':>7}  result"
    )
    print(header)
    print("-" * len(header))
    print(
        f"{'floor (all samples)':<28} {floor['queries']:>7} {floor['median_ms']:>10.2f} {floor['p95_ms']:>9.2f} "
        f"{'':>10} {1:>10.2f}"
    )
    for r in rows:
        queries = f"{r['queries']}" + ("" if r["query_budget"] is None else f"/{r['query_budget']}")
        target = f"<= {r['target']}x" if r["target"] else "-"
        print(
            f"{r['page']:<28} {queries:>7} {r['median_ms']:>10.2f} {r['p95_ms']:>9.2f} {r['floor_p95_ms']:>10.2f} "
            f"{r['ratio']:>10.2f} {target:>7}  {'PASS' if r['pass'] else 'FAIL'}"
        )
    print(
        "queries: one request, staff pages against a budget of 15 (BEGIN/COMMIT count, as in the unit suite);\n"
        "p95/floor: the page's p95 over the p95 of the floor, timed in blocks alternating with the page's."
    )


def in_process(args) -> int:
    started = time.perf_counter()
    run = Bench(args).run()
    rows = verdicts(run)
    print_table(run, rows)
    out = {
        "mode": "in-process",
        "when": time.strftime("%Y-%m-%d %H:%M:%S %z"),
        "command": " ".join(sys.argv),
        "machine": machine(),
        "dataset": dataset(),
        "settings": {"requests": args.requests, "warmup": args.warmup, "report_requests": args.report_requests},
        "floor": run["floor"],
        "pages": run["pages"],
        "verdicts": rows,
        "all_pass": all(r["pass"] for r in rows),
        "seconds": round(time.perf_counter() - started, 1),
    }
    if args.json:
        print(json.dumps(out, default=str))
        return 0
    if args.growth_database and "outcomes report" in run["pages"]:
        out["report_growth"] = report_growth(args, out)
        out["all_pass"] = out["all_pass"] and out["report_growth"]["pass"]
    path = save_results("in_process", out)
    print(f"\nWrote {path.relative_to(ROOT)}; {'all targets met' if out['all_pass'] else 'SOME TARGETS FAILED'}.")
    return 0 if out["all_pass"] else 1


def report_growth(args, full: dict) -> dict:
    """Time the report on the smaller data set (a second process) and set its growth beside the data's."""
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--only",
        "report",
        "--report-requests",
        str(args.report_requests),
        "--report-warmup",
        str(args.report_warmup),
        "--requests",
        str(args.requests),
        "--json",
    ]
    env = {**os.environ, "DATABASE_URL": args.growth_database}
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise RuntimeError(f"The report run on {args.growth_database} failed:\n{done.stderr[-2000:]}")
    small = json.loads(done.stdout.strip().splitlines()[-1])
    big_ms = full["pages"]["outcomes report"]["median_ms"]
    small_ms = small["pages"]["outcomes report"]["median_ms"]
    data_growth = full["dataset"]["plans"] / small["dataset"]["plans"]
    time_growth = big_ms / small_ms
    result = {
        "small_dataset": small["dataset"],
        "small_median_ms": small_ms,
        "full_median_ms": big_ms,
        "data_growth": round(data_growth, 2),
        "time_growth": round(time_growth, 2),
        "pass": time_growth <= data_growth,
    }
    print(
        f"\noutcomes report growth: {small['dataset']['plans']:,} -> {full['dataset']['plans']:,} plans "
        f"({data_growth:.1f}x the data), median {small_ms:.1f} -> {big_ms:.1f} ms ({time_growth:.1f}x the time); "
        f"target: no faster than the data  {'PASS' if result['pass'] else 'FAIL'}"
    )
    return result


# --- over HTTP ------------------------------------------------------------------------------


class HttpUser:
    """One browser: a cookie jar and an opener that follows redirects."""

    def __init__(self, base: str):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def get(self, path: str, timeout: float = 30):
        with self.opener.open(self.base + path, timeout=timeout) as response:
            return response.status, response.geturl(), response.read()

    def login(self, username: str, password: str) -> None:
        _, _, body = self.get("/accounts/login/")
        match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body)
        if not match:
            raise RuntimeError("No CSRF token on the login page.")
        data = urllib.parse.urlencode(
            {"username": username, "password": password, "csrfmiddlewaretoken": match.group(1).decode()}
        ).encode()
        request = urllib.request.Request(  # noqa: S310 - always http://127.0.0.1
            self.base + "/accounts/login/", data=data, headers={"Referer": self.base}
        )
        with self.opener.open(request, timeout=30) as response:
            final = response.geturl()
        if "/accounts/login/" in final:
            raise RuntimeError(f"Login as {username} failed.")


def start_gunicorn(args) -> subprocess.Popen:
    gunicorn = ROOT / ".venv" / "bin" / "gunicorn"
    if not gunicorn.exists():
        gunicorn = Path(shutil.which("gunicorn") or "gunicorn")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.settings"}
    command = [
        str(gunicorn),
        "bench.wsgi",
        "--bind",
        f"127.0.0.1:{args.port}",
        "--workers",
        str(args.workers),
        "--log-level",
        "warning",
        "--backlog",
        "2048",
    ]
    print("Starting:", " ".join(command), flush=True)
    process = subprocess.Popen(command, cwd=ROOT, env=env)  # noqa: S603
    base = f"http://127.0.0.1:{args.port}"
    deadline = time.time() + 30
    while time.time() < deadline:
        if process.poll() is not None:
            raise RuntimeError("gunicorn exited at start-up")
        try:
            urllib.request.urlopen(base + "/accounts/login/", timeout=5).read()  # noqa: S310
            return process
        # Not up yet: refused, or a cold worker slower than the timeout (TimeoutError is an OSError).
        except (urllib.error.URLError, OSError):
            time.sleep(0.3)
    process.terminate()
    raise RuntimeError("gunicorn did not answer within 30 s")


def drive(users: list[HttpUser], path: str, duration: float) -> dict:
    """Every user in its own thread requests `path` back to back for `duration` seconds."""
    counts = [0] * len(users)
    errors = [0] * len(users)
    latencies: list[list[float]] = [[] for _ in users]
    stop = time.perf_counter() + duration
    barrier = threading.Barrier(len(users))

    def worker(i: int) -> None:
        barrier.wait()
        user = users[i]
        while time.perf_counter() < stop:
            started = time.perf_counter()
            try:
                status, url, _ = user.get(path)
                ok = status == 200 and urllib.parse.urlparse(url).path == path.split("?")[0]
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                ok = False
            latencies[i].append(time.perf_counter() - started)
            if ok:
                counts[i] += 1
            else:
                errors[i] += 1

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(users))]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {
        "ok": sum(counts),
        "errors": sum(errors),
        "seconds": time.perf_counter() - began,
        "latencies": [x for sample in latencies for x in sample],
    }


def over_http(args) -> int:
    from clinic.links import issue_link

    fx = Fixture()
    base = f"http://127.0.0.1:{args.port}"
    info = machine()
    data = dataset()
    process = start_gunicorn(args)
    try:
        staff = []
        for _ in range(args.threads):
            user = HttpUser(base)
            user.login(USERNAMES["acupuncturists"][0], PASSWORD)
            user.get("/")  # the first staff page settles the two-factor check for the session
            staff.append(user)
        patients = []
        for row in fx.pending.select_related("patient").order_by("id")[: args.threads]:
            _, token = issue_link(patient=row.patient, purpose="questionnaire", subject=row)
            user = HttpUser(base)
            status, url, _ = user.get(f"/l/{token}/")
            if status != 200 or not url.endswith("/p/questionnaire/"):
                raise RuntimeError(f"Opening a patient link over HTTP landed on {url} ({status})")
            patients.append(user)
        while len(patients) < args.threads:  # fewer pending questionnaires than threads: share browsers
            patients.append(patients[len(patients) % max(1, len(patients))])
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
        for users, path in targets.values():  # warm every worker up on every page
            drive(users, path, 1.0)
        runs = {name: [] for name in targets}
        for r in range(rounds):
            for name, (users, path) in targets.items():
                run = drive(users, path, args.duration / rounds)
                runs[name].append(run)
                print(
                    f"  round {r + 1}: {name:<28} {run['ok'] / run['seconds']:>8.1f} req/s  {run['errors']} errors",
                    flush=True,
                )
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
    results = {}
    for name, parts in runs.items():
        ok, seconds = sum(p["ok"] for p in parts), sum(p["seconds"] for p in parts)
        latencies = [x for p in parts for x in p["latencies"]]
        results[name] = {
            "requests": ok,
            "errors": sum(p["errors"] for p in parts),
            "seconds": round(seconds, 2),
            "rps": round(ok / seconds, 1),
            "rps_by_round": [round(p["ok"] / p["seconds"], 1) for p in parts],
            **{f"client_{k}": v for k, v in summarise(latencies).items() if k != "n"},
        }
    floor_rps = results["floor"]["rps"]
    print()
    header = f"{'target':<30} {'req/s':>8} {'errors':>7} {'client median ms':>17} {'client p95 ms':>14} {'vs floor':>9}"
    print(header)
    print("-" * len(header))
    for name, r in results.items():
        print(
            f"{name:<30} {r['rps']:>8.1f} {r['errors']:>7} {r['client_median_ms']:>17.1f} "
            f"{r['client_p95_ms']:>14.1f} {r['rps'] / floor_rps:>9.2f}"
        )
    print("(vs floor: requests per second as a share of the floor's)")
    out = {
        "mode": "http",
        "when": time.strftime("%Y-%m-%d %H:%M:%S %z"),
        "command": " ".join(sys.argv),
        "machine": info,
        "dataset": data,
        "settings": {
            "workers": args.workers,
            "threads": args.threads,
            "duration_s": args.duration,
            "rounds": rounds,
            "port": args.port,
        },
        "floor_rps": floor_rps,
        "results": results,
        "share_of_floor": {name: round(r["rps"] / floor_rps, 3) for name, r in results.items()},
        "errors": sum(r["errors"] for r in results.values()),
    }
    path = save_results("http", out)
    print(f"\nWrote {path.relative_to(ROOT)}.")
    return 0 if out["errors"] == 0 else 1


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def main(argv=None) -> int:
    import signal

    # A SIGTERM (e.g. from `timeout`) unwinds like Ctrl-C, so --http still stops its gunicorn.
    signal.signal(signal.SIGTERM, _interrupt)
    args = parse_args(argv)
    import django
    from django.conf import settings

    django.setup()
    check_bench_database(settings.DATABASES["default"])
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    unapplied = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if unapplied:
        names = ", ".join(f"{m.app_label}.{m.name}" for m, _ in unapplied)
        sys.exit(
            f"The bench database lacks migrations ({names}): `manage.py migrate` it or rebuild with data.py --reset."
        )
    return over_http(args) if args.http else in_process(args)


if __name__ == "__main__":
    sys.exit(main())
