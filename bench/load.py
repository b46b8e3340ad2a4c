"""Load test: staff and patients working at once on gunicorn and PostgreSQL (issue 6).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/clinic_bench .venv/bin/python bench/load.py --duration 60

For --duration seconds: acupuncturists open the dashboard, search, read charts and log sessions (form
GET, then POST); the front desk searches and reads charts; patients open a fresh link and submit the
weekly questionnaire (the warning signs, then the rest). Prints requests, errors and latency
percentiles per step, and exits 1 if any request failed (an unexpected status, redirect or timeout).
What the run adds is deleted afterwards.
"""

import argparse
import random
import sys
import threading
import time
import urllib.parse
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import (  # noqa: E402
    ACUPUNCTURISTS,
    FRONT_DESK,
    RESERVED_PATIENTS,
    Browser,
    percentile,
    questionnaire_post_data,
    remove_questionnaires,
    removing_new_sessions,
    session_post_data,
    setup,
    start_gunicorn,
    stop,
    summarise,
)


class Recorder:
    def __init__(self):
        self.lock = threading.Lock()
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, list[str]] = defaultdict(list)

    def step(self, name: str, check, call, *args) -> bytes | None:
        """Time `call(*args)`; record an error when `check(status, url, body)` names one. The body, if none."""
        started = time.perf_counter()
        try:
            status, url, body = call(*args)
            problem = check(status, url, body)
        except (OSError, RuntimeError) as error:  # URLError, ConnectionError and TimeoutError are OSErrors
            body, problem = None, f"{type(error).__name__}: {error}"
        with self.lock:
            self.latencies[name].append(time.perf_counter() - started)
            if problem:
                self.errors[name].append(problem)
        return None if problem else body


def page(path_fragment: str):
    def check(status, url, body):
        if status != 200:
            return f"status {status}"
        return None if path_fragment in urllib.parse.urlparse(url).path else f"ended at {url}"

    return check


def thanked(status, url, body):
    return None if status == 200 and b"Thank you" in body else f"status {status}, no confirmation"


def fixtures(patient_browsers: int, duration: float) -> dict:
    """Read before the clock starts: active plans (not the reserved patients'), family names to search, and
    patient links to new questionnaires (far-future due dates, so the data set's own due ones stay as built)."""
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
    needed = int(patient_browsers * duration * 2) + 50  # one every half second per patient browser
    start = date(2030, 1, 1) + timedelta(days=Questionnaire.objects.filter(due_date__gte=date(2030, 1, 1)).count())
    created = Questionnaire.objects.bulk_create(
        Questionnaire(patient_id=patient_pk, plan_id=plan_pk, due_date=start + timedelta(days=i), week=1)
        for i, (plan_pk, patient_pk) in enumerate(plans[i % len(plans)] for i in range(needed))
    )
    rows = Questionnaire.objects.filter(pk__in=[row.pk for row in created]).select_related("patient")
    tokens = [issue_link(patient=row.patient, purpose="questionnaire", subject=row)[1] for row in rows]
    return {"plans": plans, "names": names, "tokens": tokens, "questionnaires": [row.pk for row in created]}


def staff_flow(browser: Browser, rec: Recorder, data: dict, stop_at: float, seed: int, logs_sessions: bool) -> None:
    rng = random.Random(seed)  # noqa: S311 - test traffic, not secrets
    while time.perf_counter() < stop_at:
        plan_pk, patient_pk = rng.choice(data["plans"])
        rec.step("dashboard", page("/"), browser.get, "/")
        name = urllib.parse.quote(rng.choice(data["names"]))
        rec.step("patient search", page("/patients/"), browser.get, f"/patients/?q={name}")
        rec.step("patient chart", page(f"/patients/{patient_pk}/"), browser.get, f"/patients/{patient_pk}/")
        if logs_sessions:
            path = f"/plans/{plan_pk}/sessions/new/"
            if (form := rec.step("session form GET", page(path), browser.get, path)) is not None:
                rec.step("session save POST", page("/sessions/"), browser.post_form, path, form, session_post_data())


def patient_flow(base: str, rec: Recorder, tokens: list[str], lock: threading.Lock, stop_at: float) -> None:
    from tests.factories import warning_sign_data

    while time.perf_counter() < stop_at:
        with lock:
            if not tokens:
                return
            token = tokens.pop()
        browser = Browser(base)  # each patient is a new browser with no cookies
        form = rec.step("questionnaire GET (link)", page("/p/questionnaire/"), browser.get, f"/l/{token}/")
        if form is not None:  # step 1, the warning signs, posted alone; it moves the patient on to step 2
            path, signs = "/p/questionnaire/warning-signs/", warning_sign_data()
            form = rec.step(
                "questionnaire warning signs POST", page("/p/questionnaire/"), browser.post_form, path, form, signs
            )
        if form is not None:
            phq9 = (1, 1, 1, 1, 1, 1, 1, 1, 0) if b'name="phq9_1"' in form else None  # weeks 4 and 12 add the PHQ-9
            data = questionnaire_post_data(phq9)
            rec.step("questionnaire POST", thanked, browser.post_form, "/p/questionnaire/", form, data)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=60)
    parser.add_argument("--port", type=int, default=8200)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--staff", type=int, default=8, help="concurrent staff browsers")
    parser.add_argument("--patients", type=int, default=8, help="concurrent patient browsers")
    args = parser.parse_args(argv)
    setup()
    data = fixtures(args.patients, args.duration)
    rec, base, lock = Recorder(), f"http://127.0.0.1:{args.port}", threading.Lock()
    with removing_new_sessions():  # and the questionnaires made for the run, in `finally`
        server = start_gunicorn(args.port, args.workers)
        try:
            # Every fourth staff browser is the front desk, which does not log sessions.
            staff = [
                Browser(base).login(FRONT_DESK if i % 4 == 3 else ACUPUNCTURISTS[i % 4]) for i in range(args.staff)
            ]
            stop_at = time.perf_counter() + args.duration
            threads = [
                threading.Thread(target=staff_flow, args=(browser, rec, data, stop_at, i, i % 4 != 3))
                for i, browser in enumerate(staff)
            ]
            threads += [
                threading.Thread(target=patient_flow, args=(base, rec, data["tokens"], lock, stop_at))
                for _ in range(args.patients)
            ]
            began = time.perf_counter()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            elapsed = time.perf_counter() - began
        finally:
            stop(server)
            remove_questionnaires(data["questionnaires"])

    total, failures = sum(map(len, rec.latencies.values())), sum(map(len, rec.errors.values()))
    print(f"\n{args.staff} staff + {args.patients} patient browsers, gunicorn {args.workers} workers, {elapsed:.0f} s")
    print(f"{'step':<34}{'requests':>9}{'errors':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}")
    for name, samples in rec.latencies.items():
        stats, p99 = summarise(samples), percentile(sorted(samples), 99) * 1000
        print(
            f"{name:<34}{len(samples):>9}{len(rec.errors[name]):>8}{stats['median_ms']:>9.1f}"
            f"{stats['p95_ms']:>9.1f}{p99:>9.1f}{stats['max_ms']:>9.1f}"
        )
    print(f"{'all':<34}{total:>9}{failures:>8}   {total / elapsed:.1f} requests/s")
    for name, problems in rec.errors.items():
        for problem in problems[:3]:
            print(f"  error in {name}: {problem}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
