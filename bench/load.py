"""Load test: gunicorn on PostgreSQL, staff and patients working at once for 60 seconds (issue 6).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/clinic_bench .venv/bin/python bench/data.py --keep --patients 20000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/clinic_bench .venv/bin/python bench/load.py

Starts gunicorn (bench.wsgi, 127.0.0.1:8200) and runs, concurrently for --duration seconds:
acupuncturists opening the dashboard, searching, reading charts and logging sessions (form GET then
POST); the front desk searching and reading charts; patients opening a fresh personal link and
submitting the weekly questionnaire. It prints requests, errors and latency percentiles per step
and exits non-zero if any request failed (an error is any unexpected status, redirect or timeout).
Afterwards it deletes what it added, so the data set stays as bench/data.py built it.
"""

import argparse
import os
import random
import re
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
# Every patient here comes from 127.0.0.1; the per-address link limit would throttle the test itself.
os.environ.setdefault("PATIENT_LINK_RATE", "1000000/h")

from bench.data import PASSWORD, RESERVED_PATIENTS, USERNAMES, check_bench_database  # noqa: E402
from bench.run import (  # noqa: E402
    HttpUser,
    questionnaire_post_data,
    remove_questionnaires,
    removing_new_sessions,
    session_post_data,
    start_gunicorn,
    summarise,
)
from intake.rules import CAUDA_EQUINA_KEYS  # noqa: E402  (pure rules: no Django needed)

CSRF = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')


class Browser(HttpUser):
    def post(self, path: str, data: dict, timeout: float = 30):
        _, _, body = self.get(path, timeout=timeout)
        return self.post_form(path, body, data, timeout)

    def post_form(self, path: str, page: bytes, data: dict, timeout: float = 30):
        match = CSRF.search(page)
        if not match:
            raise RuntimeError(f"No CSRF token on {path}")
        body = urllib.parse.urlencode({**data, "csrfmiddlewaretoken": match.group(1).decode()}, doseq=True).encode()
        request = urllib.request.Request(self.base + path, data=body, headers={"Referer": self.base + path})  # noqa: S310
        with self.opener.open(request, timeout=timeout) as response:
            return response.status, response.geturl(), response.read()


class Recorder:
    def __init__(self):
        self.lock = threading.Lock()
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, list[str]] = defaultdict(list)

    def step(self, name: str, check, call, *args) -> bytes | None:
        """Time `call(*args)`; record an error when `check(status, url, body)` names one."""
        started = time.perf_counter()
        try:
            status, url, body = call(*args)
            problem = check(status, url, body)
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError, RuntimeError) as error:
            status, body, problem = None, None, f"{type(error).__name__}: {error}"
        elapsed = time.perf_counter() - started
        with self.lock:
            self.latencies[name].append(elapsed)
            if problem:
                self.errors[name].append(problem)
        return None if problem else body


def expect_page(path_fragment: str):
    def check(status, url, body):
        if status != 200:
            return f"status {status}"
        if path_fragment not in urllib.parse.urlparse(url).path:
            return f"ended at {url}"
        return None

    return check


def fixtures(patient_clients: int, duration: float) -> dict:
    """Rows the flows need, read (and patient links issued) in-process before the clock starts.

    The questionnaires patients submit are new rows made for this run (far-future due dates, one per
    patient per date), so the data set's own due questionnaires stay as built; `main` removes them,
    and the sessions the run logs, afterwards.
    """
    import django

    django.setup()
    from django.conf import settings

    check_bench_database(settings.DATABASES["default"])
    from clinic.links import issue_link
    from clinic.models import Patient
    from outcomes.models import Questionnaire
    from treatments.models import TreatmentPlan

    plans = list(
        TreatmentPlan.objects.filter(status="active", patient__referrals__isnull=True)
        .exclude(patient__chart_number__in=RESERVED_PATIENTS)
        .values_list("pk", "patient_id")[:400]
    )
    names = list(Patient.objects.order_by("?").values_list("family_name", flat=True)[:50])
    # Enough fresh questionnaires for every patient client to submit one every half second.
    needed = int(patient_clients * duration * 2) + 50
    start = date(2030, 1, 1) + timedelta(days=Questionnaire.objects.filter(due_date__gte=date(2030, 1, 1)).count())
    created = Questionnaire.objects.bulk_create(
        Questionnaire(patient_id=patient_pk, plan_id=plan_pk, due_date=start + timedelta(days=i), week=1)
        for i, (plan_pk, patient_pk) in enumerate(plans[i % len(plans)] for i in range(needed))
    )
    rows = Questionnaire.objects.filter(pk__in=[row.pk for row in created]).select_related("patient")
    tokens = [issue_link(patient=row.patient, purpose="questionnaire", subject=row)[1] for row in rows]
    return {"plans": plans, "names": names, "tokens": tokens, "questionnaires": [row.pk for row in created]}


def staff_flow(browser: Browser, rec: Recorder, data: dict, stop: float, seed: int, logs_sessions: bool) -> None:
    rng = random.Random(seed)  # noqa: S311 - test traffic, not secrets
    while time.perf_counter() < stop:
        plan_pk, patient_pk = rng.choice(data["plans"])
        rec.step("dashboard", expect_page("/"), browser.get, "/")
        name = urllib.parse.quote(rng.choice(data["names"]))
        rec.step("patient search", expect_page("/patients/"), browser.get, f"/patients/?q={name}")
        chart = f"/patients/{patient_pk}/"
        rec.step("patient chart", expect_page(chart), browser.get, chart)
        if logs_sessions:
            path = f"/plans/{plan_pk}/sessions/new/"
            page = rec.step("session form GET", expect_page(path), browser.get, path)
            if page is not None:
                rec.step(
                    "session save POST", expect_page("/sessions/"), browser.post_form, path, page, session_post_data()
                )


def thanked(status, url, body):
    return None if status == 200 and b"Thank you" in body else f"status {status}, no confirmation"


def patient_flow(base: str, rec: Recorder, tokens: list[str], lock: threading.Lock, stop: float) -> None:
    while time.perf_counter() < stop:
        with lock:
            if not tokens:
                return
            token = tokens.pop()
        browser = Browser(base)  # each patient is a new browser with no cookies
        page = rec.step("questionnaire GET (link)", expect_page("/p/questionnaire/"), browser.get, f"/l/{token}/")
        if page is not None:  # step 1, the warning signs, posted alone; it moves the patient on to step 2
            page = rec.step(
                "questionnaire warning signs POST",
                expect_page("/p/questionnaire/"),
                browser.post_form,
                "/p/questionnaire/warning-signs/",
                page,
                dict.fromkeys(CAUDA_EQUINA_KEYS, "False"),
            )
        if page is not None:
            form = questionnaire_post_data()
            if b'name="phq9_1"' in page:  # weeks 4 and 12 add the PHQ-9
                form |= {f"phq9_{n}": "1" if n < 9 else "0" for n in range(1, 10)}
            rec.step("questionnaire POST", thanked, browser.post_form, "/p/questionnaire/", page, form)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=60)
    parser.add_argument("--port", type=int, default=8200)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--staff", type=int, default=8, help="concurrent staff browsers")
    parser.add_argument("--patients", type=int, default=8, help="concurrent patient browsers")
    args = parser.parse_args(argv)

    data = fixtures(args.patients, args.duration)
    with removing_new_sessions():  # and the questionnaires made for the run, in `finally`
        server = start_gunicorn(args)
        base = f"http://127.0.0.1:{args.port}"
        rec = Recorder()
        try:
            staff = []
            for i in range(args.staff):
                browser = Browser(base)
                is_front_desk = i % 4 == 3
                username = USERNAMES["front_desk"] if is_front_desk else USERNAMES["acupuncturists"][i % 4]
                browser.login(username, PASSWORD)
                staff.append((browser, not is_front_desk))
            stop = time.perf_counter() + args.duration
            lock = threading.Lock()
            threads = [
                threading.Thread(target=staff_flow, args=(browser, rec, data, stop, i, logs))
                for i, (browser, logs) in enumerate(staff)
            ]
            threads += [
                threading.Thread(target=patient_flow, args=(base, rec, data["tokens"], lock, stop))
                for _ in range(args.patients)
            ]
            began = time.perf_counter()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            elapsed = time.perf_counter() - began
        finally:
            server.terminate()
            server.wait(timeout=30)
            remove_questionnaires(data["questionnaires"])

    total = sum(len(v) for v in rec.latencies.values())
    failures = sum(len(v) for v in rec.errors.values())
    print(f"\n{args.staff} staff + {args.patients} patient browsers, gunicorn {args.workers} workers, {elapsed:.0f} s")
    print(f"{'step':<26}{'requests':>9}{'errors':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}")
    for name, samples in rec.latencies.items():
        ordered = sorted(samples)
        p99 = ordered[max(0, -(-len(ordered) * 99 // 100) - 1)] * 1000
        stats = summarise(samples)
        print(
            f"{name:<26}{len(samples):>9}{len(rec.errors[name]):>8}{stats['median_ms']:>9.1f}"
            f"{stats['p95_ms']:>9.1f}{p99:>9.1f}{stats['max_ms']:>9.1f}"
        )
    print(f"{'all':<26}{total:>9}{failures:>8}   {total / elapsed:.1f} requests/s")
    for name, problems in rec.errors.items():
        for problem in problems[:3]:
            print(f"  error in {name}: {problem}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
