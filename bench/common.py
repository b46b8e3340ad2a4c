"""What bench/data.py, run.py, load.py and profile_page.py share: the bench database, its accounts and
reserved rows, clients and POST bodies (tests/factories.py's), clean-up, results, gunicorn and an HTTP browser."""

import http.cookiejar
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from contextlib import contextmanager, suppress
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"

SEED = 2026
PASSWORD = "bench-password-2026"  # noqa: S105 - benchmark accounts on a throwaway database
MANAGER, FRONT_DESK = "bench-manager", "bench-frontdesk"
ACUPUNCTURISTS = [f"bench-acu{n}" for n in range(1, 5)]
# The rows bench/run.py times against (load.py leaves them alone): P000001's chart has 30 sessions, the session
# POST writes to P000002's plan, the questionnaire POST answers P000003's questionnaires.
CHART_PATIENT, SESSION_POST_PATIENT, QUESTIONNAIRE_POST_PATIENT = "P000001", "P000002", "P000003"
RESERVED_PATIENTS = (CHART_PATIENT, SESSION_POST_PATIENT, QUESTIONNAIRE_POST_PATIENT)
CHART_SESSIONS = 30
# The data set is a group of 14 clinics, as the source material's cohort was: patient n is at location n mod 14
# (the reserved patients at the first). The front desk and the acupuncturists work at the first; the manager
# works at none in particular, so sees the whole group (docs/architecture.md, "Locations").
GROUP_LOCATIONS = 14


def unapplied_migrations() -> list[str]:
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    return [f"{m.app_label}.{m.name}" for m, _ in executor.migration_plan(executor.loader.graph.leaf_nodes())]


def setup(*, migrated: bool = True) -> dict:
    """Django on DATABASE_URL, which must name a bench database (and be fully migrated): its settings."""
    import django
    from django.conf import settings

    django.setup()
    db = settings.DATABASES["default"]
    if "bench" not in Path(str(db["NAME"])).name:
        sys.exit(f"Refusing to run: database {db['NAME']!r} does not have 'bench' in its name.")
    if migrated and (missing := unapplied_migrations()):
        sys.exit(f"The bench database lacks migrations ({', '.join(missing)}): rebuild it with data.py --reset.")
    return db


class Fixture:
    """The rows the benchmark reads and writes."""

    def __init__(self):
        from django.contrib.auth.models import User
        from django.db.models import Count, Min
        from django.utils import timezone

        from clinic.models import Patient
        from outcomes.models import Questionnaire
        from scheduling.models import Appointment, Status
        from treatments.models import Session, TreatmentPlan

        self.acupuncturist = User.objects.get(username=ACUPUNCTURISTS[0])
        self.manager = User.objects.get(username=MANAGER)
        # The admin's pages are the peers of some (bench/run.py): a superuser reads them, as a clinic's IT would.
        self.admin, _ = User.objects.get_or_create(
            username="bench-admin", defaults={"is_superuser": True, "is_staff": True}
        )
        self.chart_patient = Patient.objects.get(chart_number=CHART_PATIENT)
        if (sessions := Session.objects.filter(patient=self.chart_patient).count()) != CHART_SESSIONS:
            sys.exit(f"{CHART_PATIENT} has {sessions} sessions, not {CHART_SESSIONS}; rebuild with data.py --reset.")
        self.chart_plan = TreatmentPlan.objects.filter(patient=self.chart_patient).first()
        self.post_plan = TreatmentPlan.objects.get(patient__chart_number=SESSION_POST_PATIENT)
        self.questionnaire_patient = Patient.objects.get(chart_number=QUESTIONNAIRE_POST_PATIENT)
        self.pending = Questionnaire.objects.pending().exclude(patient__chart_number=QUESTIONNAIRE_POST_PATIENT)
        if not self.pending.exists():
            sys.exit("No pending questionnaire in the data set; rebuild with data.py.")
        # The search looks up the commonest family name (the Zipf pool's first), as "smith" did before Faker.
        top = Patient.objects.values("family_name").annotate(n=Count("pk")).order_by("-n", "family_name")[0]
        self.search = top["family_name"].lower()
        # The schedule as the desk opens it on the data set's anchor date (its "today", the first day with
        # visits booked; the days before hold the completed ones): the whole clinic's day sheet, and the
        # week of the first acupuncturist.
        first_booked = Appointment.objects.filter(status=Status.BOOKED).aggregate(m=Min("start"))["m"]
        if first_booked is None:
            sys.exit("No booked appointment in the data set; rebuild with data.py --reset.")
        self.schedule_day = timezone.localtime(first_booked).date()
        self.day_sheet = f"/schedule/?day={self.schedule_day:%Y-%m-%d}&practitioner=all"
        self.week_view = f"/schedule/week/?practitioner={self.acupuncturist.pk}&week={self.schedule_day:%Y-%m-%d}"

    def new_pending_questionnaires(self, count: int) -> list:
        """Fresh due questionnaires of P000003 whose step 1 (the warning signs) is answered, for the POST."""
        from django.db.models import Max

        from intake.rules import CAUDA_EQUINA_KEYS
        from outcomes.models import Questionnaire

        patient = self.questionnaire_patient
        plan = patient.plans.first()
        last = Questionnaire.objects.filter(patient=patient).aggregate(m=Max("due_date"))["m"]
        signs = dict.fromkeys(CAUDA_EQUINA_KEYS, False)
        due = [last + timedelta(days=i + 1) for i in range(count)]
        return Questionnaire.objects.bulk_create(
            Questionnaire(patient=patient, plan=plan, due_date=day, week=1, kind="weekly", **signs) for day in due
        )


# --- in-process clients and POST bodies ------------------------------------------------------


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


def link_client(questionnaire):
    """A patient's browser that opened a questionnaire link (the token traded for a session)."""
    from django.test import Client

    from clinic.links import issue_link

    _, token = issue_link(patient=questionnaire.patient, purpose="questionnaire", subject=questionnaire)
    client = Client()
    if (opened := client.get(f"/l/{token}/")).status_code != 302:
        raise RuntimeError(f"Opening a patient link gave {opened.status_code}, not a redirect.")
    return client


def form_post(client, url: str, data: dict):
    """POST as a browser sends a form without file fields: URL-encoded, not multipart."""
    return client.post(url, urllib.parse.urlencode(data), content_type="application/x-www-form-urlencoded")


def session_post_data() -> dict:
    """The session form's POST: eight points and a full note."""
    from tests.factories import session_form_data

    return session_form_data(
        points=("BL23", "BL25", "BL40", "GB30", "GB34", "BL57", "KI3", "GV4"),
        objective="SLR positive at 60 degrees on the left.",
        assessment="Improving.",
        plan_notes="Continue weekly.",
    )


def questionnaire_post_data(phq9=None) -> dict:
    """The weekly questionnaire's POST (step 2 online; it ignores the warning signs and the paper date)."""
    from tests.factories import questionnaire_data

    return questionnaire_data(odi=(2, 2, 2, 1, 2, 2, 2, None, 2, 1), phq9=phq9)


# --- leaving the data set as built -----------------------------------------------------------


@contextmanager
def removing_new_sessions(**where):
    """Delete the unsigned sessions (matching `where`) logged inside the block."""
    from django.db.models import Max

    from treatments.models import Session

    last = Session.objects.aggregate(m=Max("pk"))["m"] or 0
    try:
        yield
    finally:
        Session.objects.filter(pk__gt=last, signed_at__isnull=True, **where).delete()


def remove_questionnaires(ids: list[int]) -> None:
    """Delete questionnaires a benchmark created, and their links, then refresh their plans' scores."""
    from django.contrib.contenttypes.models import ContentType

    from clinic.models import PatientLink
    from outcomes.models import Questionnaire
    from outcomes.summary import refresh_outcomes

    rows = Questionnaire.objects.filter(pk__in=ids)
    plan_ids = set(rows.values_list("plan_id", flat=True))
    PatientLink.objects.filter(
        subject_type=ContentType.objects.get_for_model(Questionnaire), subject_id__in=ids
    ).delete()
    rows.delete()
    refresh_outcomes(plan_ids)


# --- results ---------------------------------------------------------------------------------


def percentile(ordered: list[float], p: int) -> float:
    return ordered[max(0, -(-len(ordered) * p // 100) - 1)]  # nearest rank


def summarise(samples: list[float]) -> dict:
    ordered = sorted(samples)
    return {
        "n": len(ordered),
        "median_ms": round(statistics.median(ordered) * 1000, 2),
        "p95_ms": round(percentile(ordered, 95) * 1000, 2),
        "min_ms": round(ordered[0] * 1000, 2),
        "max_ms": round(ordered[-1] * 1000, 2),
    }


def environment() -> dict:
    """When, by which command, on which machine and data set a run measured."""
    import django
    from django.db import connection

    from clinic.models import Patient
    from outcomes.models import Questionnaire
    from scheduling.models import Appointment, AppointmentSlot
    from treatments.models import Session, SessionPoint, TreatmentPlan

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version" if connection.vendor == "postgresql" else "select sqlite_version()")
        db_version = cursor.fetchone()[0]
    proc = {}
    for path in ("/proc/cpuinfo", "/proc/meminfo"):
        with suppress(OSError), open(path) as lines:
            for key, _, value in (line.partition(":") for line in lines):
                proc.setdefault(key.strip(), value.strip())

    def git(*args: str) -> str:
        with suppress(OSError):
            return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False).stdout  # noqa: S603, S607
        return ""

    changed = [line for line in git("status", "--porcelain").splitlines() if not line[3:].startswith("bench/")]
    machine = {
        "git_commit": git("rev-parse", "--short", "HEAD").strip(),
        "app_files_changed_since_commit": len(changed),
        "nproc": os.cpu_count(),
        "cpu": proc.get("model name", ""),
        "ram_gb": round(int(proc.get("MemTotal", "0 kB").split()[0]) / 1024 / 1024, 1) or None,
        "database": f"{connection.vendor} {db_version}",
        "python": platform.python_version(),
        "django": django.get_version(),
        "platform": platform.platform(),
    }
    counts = {"patients": Patient, "plans": TreatmentPlan, "sessions": Session, "session_points": SessionPoint}
    counts |= {"questionnaires": Questionnaire, "appointments": Appointment, "appointment_slots": AppointmentSlot}
    dataset = {name: model.objects.count() for name, model in counts.items()}
    dataset["pending_questionnaires"] = Questionnaire.objects.pending().count()
    when = time.strftime("%Y-%m-%d %H:%M:%S %z")
    return {"when": when, "command": " ".join(sys.argv), "machine": machine, "dataset": dataset}


def save_results(mode: str, out: dict) -> None:
    """Write one mode's run into bench/last-run.json, keeping the other mode's."""
    path = ROOT / "bench" / "last-run.json"
    try:
        previous = json.loads(path.read_text())
    except (OSError, ValueError):
        previous = {}
    path.write_text(json.dumps(previous | {mode: out}, indent=2, default=str) + "\n")
    print(f"\nWrote {path.relative_to(ROOT)}.")


# --- over HTTP -------------------------------------------------------------------------------


class Browser:
    """One browser over loopback: a cookie jar, redirects followed, forms posted with their CSRF token."""

    CSRF = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def get(self, path: str, timeout: float = 30):
        with self.opener.open(self.base + path, timeout=timeout) as response:
            return response.status, response.geturl(), response.read()

    def post_form(self, path: str, page: bytes, data: dict, timeout: float = 30):
        """POST `data` to `path` with the CSRF token of `page`, the form's page as fetched."""
        if not (match := self.CSRF.search(page)):
            raise RuntimeError(f"No CSRF token on {path}")
        body = urllib.parse.urlencode({**data, "csrfmiddlewaretoken": match.group(1).decode()}, doseq=True).encode()
        request = urllib.request.Request(self.base + path, data=body, headers={"Referer": self.base + path})  # noqa: S310
        with self.opener.open(request, timeout=timeout) as response:
            return response.status, response.geturl(), response.read()

    def login(self, username: str) -> "Browser":
        _, _, page = self.get("/accounts/login/")
        _, url, _ = self.post_form("/accounts/login/", page, {"username": username, "password": PASSWORD})
        if "/accounts/login/" in url:
            raise RuntimeError(f"Login as {username} failed.")
        return self


def start_gunicorn(port: int, workers: int) -> subprocess.Popen:
    """gunicorn bench.wsgi on 127.0.0.1:`port`, once it answers (a cold worker may take seconds)."""
    gunicorn = ROOT / ".venv" / "bin" / "gunicorn"
    gunicorn = str(gunicorn) if gunicorn.exists() else shutil.which("gunicorn") or "gunicorn"
    command = [gunicorn, "bench.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", str(workers)]
    command += ["--log-level", "warning", "--backlog", "2048"]
    print("Starting:", " ".join(command), flush=True)
    process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, "DJANGO_SETTINGS_MODULE": "bench.settings"})  # noqa: S603
    deadline = time.time() + 30
    while time.time() < deadline:
        if process.poll() is not None:
            raise RuntimeError("gunicorn exited at start-up")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=5).read()  # noqa: S310
            return process
        except OSError:  # refused, or not answering yet (URLError and TimeoutError are OSErrors)
            time.sleep(0.3)
    process.terminate()
    raise RuntimeError("gunicorn did not answer within 30 s")


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
