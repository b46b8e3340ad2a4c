"""Build the benchmark data set (DESIGN section 6) deterministically, with bulk inserts only.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/clinic_bench \
        .venv/bin/python bench/data.py --reset --patients 20000

Per patient: one clean intake (every red flag answered no) with three consents, one treatment plan,
5-15 sessions (mean 10) with 6-12 needled points each, and a weekly questionnaire from the first
session on (about 10 per plan, none due in the future; about 3 % of the recent ones left unanswered).
Three patients are special: P000001 has exactly 30 sessions (the chart benchmark), P000002 has an
active plan the session-save benchmark posts to, P000003 receives the questionnaires the
questionnaire-POST benchmark creates.

Every random choice comes from one `random.Random(2026)`, drawn patient by patient, so the same
`--patients` and `--today` always give the same rows. Dates are laid out backwards from `--today`
(default: the current date), so the dashboard has recent sessions and overdue questionnaires.

Nothing here calls a service or `save()`: rows go in with `bulk_create` (which sends no signals,
so the audit trail records nothing, and it is switched off for good measure), and older sessions
are signed with one queryset `update()` on unsigned rows, which the session lock allows.
"""

import argparse
import os
import random
import sys
import time
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"

SEED = 2026
BATCH = 5000
CHUNK = 2500  # patients built and inserted per transaction
PASSWORD = "bench-password-2026"  # noqa: S105 - benchmark accounts on a throwaway database
CHART_PATIENT = "P000001"
SESSION_POST_PATIENT = "P000002"
QUESTIONNAIRE_POST_PATIENT = "P000003"
CHART_SESSIONS = 30
# The rows bench/run.py times against; bench/load.py leaves them alone.
RESERVED_PATIENTS = (CHART_PATIENT, SESSION_POST_PATIENT, QUESTIONNAIRE_POST_PATIENT)
USERNAMES = {
    "manager": "bench-manager",
    "front_desk": "bench-frontdesk",
    "acupuncturists": [f"bench-acu{n}" for n in range(1, 5)],
}

GIVEN_NAMES = [
    "James",
    "Mary",
    "Robert",
    "Patricia",
    "John",
    "Jennifer",
    "Michael",
    "Linda",
    "David",
    "Elizabeth",
    "William",
    "Barbara",
    "Richard",
    "Susan",
    "Joseph",
    "Jessica",
    "Thomas",
    "Sarah",
    "Christopher",
    "Karen",
    "Charles",
    "Lisa",
    "Daniel",
    "Nancy",
    "Matthew",
    "Betty",
    "Anthony",
    "Sandra",
    "Mark",
    "Margaret",
    "Donald",
    "Ashley",
    "Steven",
    "Kimberly",
    "Andrew",
    "Emily",
    "Paul",
    "Donna",
    "Joshua",
    "Michelle",
    "Kenneth",
    "Carol",
    "Kevin",
    "Amanda",
    "Brian",
    "Melissa",
    "George",
    "Deborah",
    "Timothy",
    "Stephanie",
    "Ronald",
    "Dorothy",
    "Jason",
    "Rebecca",
    "Edward",
    "Sharon",
    "Jeffrey",
    "Laura",
    "Ryan",
    "Cynthia",
    "Jacob",
    "Amy",
    "Gary",
    "Kathleen",
    "Nicholas",
    "Angela",
    "Eric",
    "Shirley",
    "Jonathan",
    "Brenda",
    "Stephen",
    "Emma",
    "Larry",
    "Anna",
    "Justin",
    "Pamela",
    "Scott",
    "Nicole",
    "Brandon",
    "Samantha",
    "Benjamin",
    "Katherine",
    "Samuel",
    "Christine",
    "Gregory",
    "Helen",
    "Alexander",
    "Debra",
    "Patrick",
    "Rachel",
    "Frank",
    "Carolyn",
    "Raymond",
    "Janet",
    "Jack",
    "Maria",
    "Dennis",
    "Olivia",
    "Jerry",
    "Heather",
    "Tyler",
    "Diane",
    "Aaron",
    "Julie",
    "Jose",
    "Joyce",
    "Adam",
    "Victoria",
    "Nathan",
    "Ruth",
    "Henry",
    "Virginia",
    "Zachary",
    "Lauren",
    "Douglas",
    "Kelly",
    "Peter",
    "Christina",
    "Kyle",
    "Joan",
    "Noah",
    "Evelyn",
    "Ethan",
    "Judith",
    "Jeremy",
    "Andrea",
    "Walter",
    "Hannah",
    "Christian",
    "Megan",
    "Keith",
    "Cheryl",
    "Roger",
    "Jacqueline",
    "Terry",
    "Martha",
    "Austin",
    "Madison",
    "Sean",
    "Teresa",
    "Gerald",
    "Gloria",
    "Carl",
    "Sara",
    "Harold",
    "Janice",
    "Dylan",
    "Ann",
    "Arthur",
    "Kathryn",
    "Lawrence",
    "Abigail",
    "Jordan",
    "Sophia",
    "Jesse",
    "Frances",
    "Bryan",
    "Jean",
    "Billy",
    "Alice",
    "Bruce",
    "Judy",
    "Gabriel",
    "Isabella",
    "Joe",
    "Julia",
    "Logan",
    "Grace",
    "Alan",
    "Amber",
    "Juan",
    "Denise",
    "Albert",
    "Danielle",
    "Willie",
    "Marilyn",
    "Elijah",
    "Beverly",
    "Wayne",
    "Charlotte",
    "Randy",
    "Natalie",
    "Vincent",
    "Theresa",
    "Mason",
    "Diana",
    "Roy",
    "Brittany",
    "Ralph",
    "Doris",
    "Bobby",
    "Kayla",
    "Russell",
    "Alexis",
    "Bradley",
    "Lori",
    "Philip",
    "Marie",
    "Eugene",
    "Wei",
    "Mei",
    "Hiroshi",
    "Yuki",
    "Priya",
    "Arjun",
    "Fatima",
    "Omar",
    "Aisha",
    "Mohammed",
    "Chen",
    "Ling",
]
FAMILY_NAMES = [
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Perez",
    "Thompson",
    "White",
    "Harris",
    "Sanchez",
    "Clark",
    "Ramirez",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Torres",
    "Nguyen",
    "Hill",
    "Flores",
    "Green",
    "Adams",
    "Nelson",
    "Baker",
    "Hall",
    "Rivera",
    "Campbell",
    "Mitchell",
    "Carter",
    "Roberts",
    "Gomez",
    "Phillips",
    "Evans",
    "Turner",
    "Diaz",
    "Parker",
    "Cruz",
    "Edwards",
    "Collins",
    "Reyes",
    "Stewart",
    "Morris",
    "Morales",
    "Murphy",
    "Cook",
    "Rogers",
    "Gutierrez",
    "Ortiz",
    "Morgan",
    "Cooper",
    "Peterson",
    "Bailey",
    "Reed",
    "Kelly",
    "Howard",
    "Ramos",
    "Kim",
    "Cox",
    "Ward",
    "Richardson",
    "Watson",
    "Brooks",
    "Chavez",
    "Wood",
    "James",
    "Bennett",
    "Gray",
    "Mendoza",
    "Ruiz",
    "Hughes",
    "Price",
    "Alvarez",
    "Castillo",
    "Sanders",
    "Patel",
    "Myers",
    "Long",
    "Ross",
    "Foster",
    "Jimenez",
    "Powell",
    "Jenkins",
    "Perry",
    "Russell",
    "Sullivan",
    "Bell",
    "Coleman",
    "Butler",
    "Henderson",
    "Barnes",
    "Gonzales",
    "Fisher",
    "Vasquez",
    "Simmons",
    "Romero",
    "Jordan",
    "Patterson",
    "Alexander",
    "Hamilton",
    "Graham",
    "Reynolds",
    "Griffin",
    "Wallace",
    "Moreno",
    "West",
    "Cole",
    "Hayes",
    "Bryant",
    "Herrera",
    "Gibson",
    "Ellis",
    "Tran",
    "Medina",
    "Aguilar",
    "Stevens",
    "Murray",
    "Ford",
    "Castro",
    "Marshall",
    "Owens",
    "Harrison",
    "Fernandez",
    "McDonald",
    "Woods",
    "Washington",
    "Kennedy",
    "Wells",
    "Vargas",
    "Henry",
    "Chen",
    "Freeman",
    "Webb",
    "Tucker",
    "Guzman",
    "Burns",
    "Crawford",
    "Olson",
    "Simpson",
    "Porter",
    "Hunter",
    "Gordon",
    "Mendez",
    "Silva",
    "Shaw",
    "Snyder",
    "Mason",
    "Dixon",
    "Munoz",
    "Hunt",
    "Hicks",
    "Holmes",
    "Palmer",
    "Wagner",
    "Black",
    "Robertson",
    "Boyd",
    "Rose",
    "Stone",
    "Salazar",
    "Fox",
    "Warren",
    "Mills",
    "Meyer",
    "Rice",
    "Schmidt",
    "Garza",
    "Daniels",
    "Ferguson",
    "Nichols",
    "Stephens",
    "Soto",
    "Weaver",
    "Ryan",
    "Gardner",
    "Payne",
    "Grant",
    "Dunn",
    "Kelley",
    "Spencer",
    "Hawkins",
    "Arnold",
    "Pierce",
    "Vazquez",
    "Hansen",
    "Peters",
    "Santos",
    "Hart",
    "Bradley",
    "Knight",
    "Elliott",
    "Cunningham",
    "Duncan",
    "Armstrong",
    "Hudson",
    "Carroll",
    "Lane",
    "Riley",
    "Andrews",
    "Alvarado",
    "Ray",
    "Delgado",
    "Berry",
    "Perkins",
    "Hoffman",
    "Johnston",
    "Matthews",
    "Pena",
    "Richards",
    "Contreras",
    "Willis",
    "Carpenter",
    "Lawrence",
    "Sandoval",
    "Wang",
    "Li",
    "Zhang",
    "Liu",
    "Yang",
    "Huang",
    "Zhao",
    "Wu",
    "Zhou",
    "Xu",
    "Sun",
    "Ma",
    "Zhu",
    "Hu",
    "Guo",
    "He",
    "Lin",
    "Luo",
    "Tanaka",
    "Suzuki",
    "Sato",
    "Takahashi",
    "Shah",
]
CITIES = [
    ("Springfield", "IL", "627"),
    ("Chatham", "IL", "626"),
    ("Rochester", "IL", "626"),
    ("Sherman", "IL", "626"),
    ("Jacksonville", "IL", "626"),
    ("Decatur", "IL", "625"),
    ("Lincoln", "IL", "626"),
    ("Taylorville", "IL", "625"),
]
STREETS = [
    "Oak",
    "Maple",
    "Cedar",
    "Elm",
    "Pine",
    "Walnut",
    "Washington",
    "Lincoln",
    "Park",
    "Lake",
    "Hill",
    "River",
    "Monroe",
    "Jefferson",
    "Adams",
]
COMPLAINTS = [
    "Low back pain radiating down the left leg",
    "Low back pain radiating down the right leg",
    "Sciatica, right side, worse when sitting",
    "Left-sided sciatica after lifting at work",
    "Chronic low back pain with buttock pain",
    "Back and leg pain since a fall last winter",
    "Numbness in the foot and aching low back",
    "Recurring lumbar pain, now shooting into the calf",
]
SUBJECTIVE = [
    "Leg pain eased for two days after the last visit.",
    "Slept better this week; still stiff in the mornings.",
    "Pain worse after a long drive on the weekend.",
    "Walking 20 minutes now before the leg starts to ache.",
    "Back pain steady, leg pain less frequent.",
    "Flare-up after gardening; better again by midweek.",
    "Fewer pain pills this week; sitting still aggravates.",
]
OBJECTIVE = [
    "Tenderness at L4-L5 paraspinals, SLR positive at 60 degrees.",
    "Reduced lumbar flexion, guarding on the left.",
    "SLR negative today, mild tightness over the piriformis.",
    "Tongue pale purple, pulse wiry and slightly choppy.",
]
ASSESSMENT = [
    "Improving; pain scores trending down.",
    "Slow progress, continue current approach.",
    "Good response to distal points, keep them.",
    "Plateau this week; review at next visit.",
]
PLAN_NOTES = [
    "Continue twice weekly, add GB34.",
    "Weekly from next visit; home stretches daily.",
    "Repeat same points; reassess ODI at week 4.",
    "Add tui na to the lumbar paraspinals next time.",
]
EXERCISES = ["Knee-to-chest stretch twice daily.", "Walk 15 minutes daily.", "Cat-camel 10 reps morning.", ""]
TCM_PATTERNS = ["kidney_deficiency", "blood_stagnation", "cold_damp_bi", "liver_qi_stagnation", "liver_kidney_yin"]
DIAGNOSES = [["M54.16"], ["M54.17"], ["M54.41"], ["M54.42"], ["M51.26"], ["M51.27"], ["M54.50"], ["M54.42", "M51.26"]]
CAUSES = [
    "disc_herniation",
    "spinal_stenosis",
    "piriformis",
    "degenerative_disc",
    "spondylolisthesis",
    "injury",
    "unknown",
]
SLEEP = ["good", "fair", "poor", "very_poor"]
LOCATIONS = ["low_back", "buttock", "thigh", "calf", "foot"]
PRIORS = ["nsaids", "opioids", "physical_therapy", "injections", "chiropractic"]
CONSENTS = ["electroacupuncture", "needling", "tui_na"]
# Back-pain and distal points an acupuncturist would pick from for lumbar radiculopathy.
POINT_POOL = [
    "BL23",
    "BL24",
    "BL25",
    "BL26",
    "BL40",
    "BL36",
    "BL37",
    "BL54",
    "BL57",
    "BL60",
    "BL62",
    "GB30",
    "GB31",
    "GB34",
    "GB39",
    "GB41",
    "GV3",
    "GV4",
    "KI3",
    "ST36",
    "SP6",
    "LR3",
    "SI3",
    "LI4",
    "EX-B2",
    "BL52",
    "BL28",
    "BL32",
    "GB29",
    "BL58",
]
TUINA = ["rolling", "pressing", "kneading", "pushing", "grasping", "stretching"]


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--patients", type=int, default=20000, help="patients at scale 1 (default 20000)")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply --patients by this (e.g. 0.1)")
    parser.add_argument("--today", type=date.fromisoformat, default=None, help="anchor date (default: today)")
    parser.add_argument("--reset", action="store_true", help="drop and recreate the bench database, then migrate")
    parser.add_argument(
        "--keep",
        action="store_true",
        help="leave the database alone if it already holds this many patients and every migration (else --reset)",
    )
    return parser.parse_args(argv)


def _zipf_weights(n: int, s: float = 0.8) -> list[float]:
    return [1 / (rank**s) for rank in range(1, n + 1)]


# --- database safety and reset ----------------------------------------------------------------


def check_bench_database(db: dict) -> None:
    name = str(db["NAME"])
    if "bench" not in Path(name).name:
        sys.exit(f"Refusing to run: database {name!r} does not have 'bench' in its name.")


def reset_database(db: dict) -> None:
    """Drop and recreate the bench database (PostgreSQL: from the `postgres` database; SQLite: delete)."""
    if db["ENGINE"] == "django.db.backends.sqlite3":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db['NAME']}{suffix}").unlink(missing_ok=True)
        return
    import psycopg
    from psycopg import sql

    params = {
        "dbname": "postgres",
        "host": db.get("HOST") or None,
        "port": db.get("PORT") or None,
        "user": db.get("USER") or None,
        "password": db.get("PASSWORD") or None,
    }
    with psycopg.connect(**{k: v for k, v in params.items() if v}, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(db["NAME"])))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(db["NAME"])))


def already_built(patients: int) -> bool:
    """The database exists, is fully migrated, and holds a data set of this size."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor
    from django.db.utils import OperationalError, ProgrammingError

    try:
        executor = MigrationExecutor(connection)
        if executor.migration_plan(executor.loader.graph.leaf_nodes()):
            return False
        from clinic.models import Patient

        return Patient.objects.count() == patients
    except (OperationalError, ProgrammingError):
        return False


@contextmanager
def stamps_as_given(*models):
    """Let bulk_create keep the created_at/updated_at we set (auto_now fields overwrite them)."""
    saved = []
    for model in models:
        for field in model._meta.concrete_fields:
            if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
                saved.append((field, field.auto_now, field.auto_now_add))
                field.auto_now = field.auto_now_add = False
    try:
        yield
    finally:
        for field, auto_now, auto_now_add in saved:
            field.auto_now, field.auto_now_add = auto_now, auto_now_add


# --- the builder ------------------------------------------------------------------------------


class Builder:
    def __init__(self, *, patients: int, today: date):
        from django.conf import settings

        self.n = patients
        self.today = today
        self.tz = ZoneInfo(settings.TIME_ZONE)
        # The data's clock: the start of `today`. Every session lies before it, so the rows depend
        # only on the seed, the patient count and `today`, not on the time of day of the run.
        self.now = datetime.combine(today, dtime(0, 0), tzinfo=self.tz)
        self.rng = random.Random(SEED)  # noqa: S311 - reproducible test data, not security
        self.given_weights = _zipf_weights(len(GIVEN_NAMES), 0.4)
        self.family_weights = _zipf_weights(len(FAMILY_NAMES), 0.3)
        self.timings: dict[str, float] = {}
        self.counts: dict[str, int] = {}

    def tick(self, label: str, started: float) -> None:
        self.timings[label] = self.timings.get(label, 0.0) + time.perf_counter() - started

    def at(self, day: date, hour: int, minute: int = 0) -> datetime:
        return datetime.combine(day, dtime(hour, minute), tzinfo=self.tz)

    # users ----------------------------------------------------------------------------------

    def create_users(self):
        from django.contrib.auth.models import Group, User

        from clinic import roles
        from clinic.models import StaffProfile

        roles.sync_roles()
        groups = {g.name: g for g in Group.objects.all()}

        def user(username, first, last, role):
            u = User.objects.create_user(
                username=username,
                password=PASSWORD,
                first_name=first,
                last_name=last,
                email=f"{username}@clinic.example",
            )
            u.groups.add(groups[role])
            return u

        self.manager = user(USERNAMES["manager"], "Morgan", "Reyes", roles.MANAGER)
        self.front_desk = user(USERNAMES["front_desk"], "Frankie", "Desk", roles.FRONT_DESK)
        names = [("Lin", "Zhao"), ("Maya", "Okafor"), ("Sam", "Whitaker"), ("Ana", "Costa")]
        self.acupuncturists = [
            user(username, first, last, roles.ACUPUNCTURIST)
            for username, (first, last) in zip(USERNAMES["acupuncturists"], names, strict=True)
        ]
        StaffProfile.objects.bulk_create(
            StaffProfile(
                user=u,
                credentials="L.Ac., Dipl. OM",
                licence_number=f"AC-{i:05d}",
                licence_state="IL",
                npi="1234567893",
            )
            for i, u in enumerate(self.acupuncturists, start=1)
        )

    # one patient's rows, as plain data (every random draw happens here, patient by patient) ---

    def plan_patient(self, index: int) -> dict:
        from treatments.billing import timed_units

        rng = self.rng
        number = index + 1
        chart = f"P{number:06d}"
        given = rng.choices(GIVEN_NAMES, self.given_weights)[0]
        family = rng.choices(FAMILY_NAMES, self.family_weights)[0]
        dob = date(1940, 1, 1) + timedelta(days=rng.randint(0, (date(2004, 12, 31) - date(1940, 1, 1)).days))
        sex = rng.choices(["female", "male", "intersex", "unknown"], [52, 46, 1, 1])[0]
        city, state, zip3 = rng.choice(CITIES)
        practitioner = rng.randrange(len(self.acupuncturists))
        # Sessions: twice weekly for three weeks, then weekly (the plan's default frequency).
        if chart == CHART_PATIENT:
            n_sessions = CHART_SESSIONS
        elif chart in (SESSION_POST_PATIENT, QUESTIONNAIRE_POST_PATIENT):
            n_sessions = 5
        else:
            n_sessions = rng.randint(5, 15)
        offsets, day = [], 0
        for k in range(n_sessions):
            offsets.append(day)
            day += (rng.choice([3, 4]) if k < 6 else 7 + rng.choice([-1, 0, 0, 0, 1, 2])) if k else 3
        # The whole course lies in the past; the spread over two years makes old and recent plans.
        if chart in (CHART_PATIENT, SESSION_POST_PATIENT, QUESTIONNAIRE_POST_PATIENT):
            first_day = self.today - timedelta(days=offsets[-1] + 1)
        else:
            first_day = self.today - timedelta(days=offsets[-1] + 1 + rng.randint(0, 730))
        session_days = [first_day + timedelta(days=o) for o in offsets]
        last_day = session_days[-1]
        active = (self.today - last_day).days <= 21 or chart in (CHART_PATIENT, SESSION_POST_PATIENT)
        status = "active" if active else rng.choices(["completed", "discontinued"], [9, 1])[0]
        # Outcome trajectory: a baseline ODI and how much of it is gone by week 8.
        baseline_odi = rng.uniform(22, 62)
        improvement = max(-0.1, min(0.9, rng.gauss(0.42, 0.2)))
        pain0 = rng.randint(5, 9)
        leg0 = rng.randint(4, 9)
        analgesic0 = rng.randint(2, 7)
        work0 = rng.choice([0, 0, 0, 1, 1, 2, 3])
        skips_sex_life = rng.random() < 0.3
        sessions = []
        for k, sday in enumerate(session_days):
            progress = min(k, 10) / 10
            before = max(1, min(10, round(pain0 * (1 - improvement * progress) + rng.gauss(0, 0.8))))
            n_points = rng.randint(6, 12)
            codes = rng.sample(POINT_POOL, n_points)
            tuina = rng.random() < 0.3
            started_at = self.at(sday, rng.randint(8, 17), rng.choice([0, 15, 30, 45]))
            minutes = rng.choice([30, 30, 40, 45, 60])
            # Derived, not drawn, so the random stream (every other row) stays as it was: a re-insertion
            # for each further 15 minutes, and one fewer on every third visit of 40 minutes or more.
            reinsertions = timed_units(minutes) - 1
            if minutes >= 40 and k % 3 == 2:
                reinsertions -= 1
            sessions.append(
                {
                    "started_at": started_at,
                    "contact_minutes": minutes,
                    "reinsertions": reinsertions,
                    "pain_before": before,
                    "pain_after": max(0, before - rng.randint(0, 3)),
                    "tuina": tuina,
                    "tuina_minutes": rng.choice([10, 15]) if tuina else 0,
                    "tuina_techniques": rng.sample(TUINA, 2) if tuina else [],
                    "subjective": rng.choice(SUBJECTIVE),
                    "objective": rng.choice(OBJECTIVE),
                    "assessment": rng.choice(ASSESSMENT),
                    "plan_notes": rng.choice(PLAN_NOTES),
                    "home_exercises": rng.choice(EXERCISES),
                    "points": [
                        (
                            code,
                            rng.choice("LRBBB"),
                            rng.choice(["even", "even", "reduce", "tonify"]),
                            rng.choice([20, 25, 25, 30]),
                            rng.randint(10, 50),
                            rng.random() < 0.7,
                        )
                        for code in codes
                    ],
                }
            )
        # Weekly questionnaires from the first session; only those already due exist.
        n_questionnaires = rng.randint(6, 14)
        questionnaires = []
        for week in range(n_questionnaires):
            due = first_day + timedelta(weeks=week)
            progress = min(week, 8) / 8
            odi_level = baseline_odi * (1 - improvement * progress)
            answers = [max(0, min(5, round(odi_level / 20 + rng.gauss(0, 0.7)))) for _ in range(10)]
            back = max(0, min(10, round(pain0 * (1 - improvement * progress) + rng.gauss(0, 0.8))))
            leg = max(0, min(10, round(leg0 * (1 - improvement * progress) + rng.gauss(0, 0.8))))
            row = {
                "due_date": due,
                "week": week,
                "answers": answers,
                "back": back,
                "back_worst": min(10, back + rng.randint(0, 2)),
                "leg": leg,
                "leg_worst": min(10, leg + rng.randint(0, 2)),
                "analgesic": max(0, min(7, round(analgesic0 * (1 - improvement * progress) + rng.gauss(0, 0.7)))),
                "work": max(0, min(7, round(work0 * (1 - progress) + rng.gauss(0, 0.3)))),
                "phq9": [rng.choice([0, 0, 1]) for _ in range(8)] + [0],
                "delay_hours": rng.randint(1, 60),
                "paper": rng.random() < 0.15,
                "pending_draw": rng.random(),
            }
            if due <= self.today:
                questionnaires.append(row)
        spec = {
            "chart": chart,
            "given": given,
            "family": family,
            "dob": dob,
            "sex": sex,
            "phone": f"(217) {rng.randint(200, 999)}-{rng.randint(0, 9999):04d}",
            "street": f"{rng.randint(1, 9999)} {rng.choice(STREETS)} Street",
            "city": city,
            "state": state,
            "zip": f"{zip3}{rng.randint(0, 99):02d}",
            "contact": rng.choices(["phone", "sms", "email", "post"], [4, 3, 3, 1])[0],
            "practitioner": practitioner,
            "intake_day": first_day - timedelta(days=rng.randint(0, 7)),
            "intake_hour": rng.randint(8, 17),
            "complaint": rng.choice(COMPLAINTS),
            "locations": sorted(rng.sample(LOCATIONS, rng.randint(1, 4)), key=LOCATIONS.index),
            "side": rng.choice(["left", "right", "left", "right", "both"]),
            "below_knee": rng.random() < 0.6,
            "onset_days": rng.randint(14, 900),
            "cause": rng.choice(CAUSES),
            "pain0": pain0,
            "sleep": rng.choice(SLEEP),
            "priors": sorted(rng.sample(PRIORS, rng.randint(0, 3)), key=PRIORS.index),
            "intake_phq9": [rng.choice([0, 0, 1, 1, 2]) for _ in range(8)] + [0],
            "diagnosis": rng.choice(DIAGNOSES),
            "pattern": rng.choice(TCM_PATTERNS),
            "planned": max(n_sessions, 8) if chart != CHART_PATIENT else CHART_SESSIONS,
            "first_day": first_day,
            "status": status,
            "reviewed_4": n_sessions >= 4 and (status != "active" or rng.random() < 0.7),
            "skips_sex_life": skips_sex_life,
            "sessions": sessions,
            "questionnaires": questionnaires,
        }
        # Pain in both legs below the knee counts as bilateral sciatica (intake.rules), which would
        # need a referral: a clean intake's "both sides" pain stays above the knee.
        if spec["side"] == "both":
            spec["below_knee"] = False
        return spec

    # inserting one chunk ------------------------------------------------------------------------

    def insert_chunk(self, specs: list[dict]) -> None:
        from clinic.models import Patient, digits_only
        from intake.models import Consent, Intake
        from intake.rules import CAUDA_EQUINA_KEYS
        from outcomes.models import ODI_FIELDS, Questionnaire
        from outcomes.questionnaires import ODI_VERSION
        from outcomes.scoring import odi_score
        from treatments.models import Session, SessionPoint, TreatmentPlan

        t = time.perf_counter()
        patients = []
        for s in specs:
            created = self.at(s["intake_day"], s["intake_hour"])
            patients.append(
                Patient(
                    chart_number=s["chart"],
                    given_name=s["given"],
                    family_name=s["family"],
                    date_of_birth=s["dob"],
                    sex=s["sex"],
                    phone=s["phone"],
                    phone_digits=digits_only(s["phone"]),  # what Patient.save() derives
                    email=f"{s['given']}.{s['family']}.{s['chart'][1:]}@example.com".lower(),
                    address_line=s["street"],
                    city=s["city"],
                    state=s["state"],
                    postal_code=s["zip"],
                    emergency_contact_name=f"{s['given'][0]}. {s['family']}",
                    emergency_contact_phone="(217) 555-0100",
                    emergency_contact_relationship="Spouse",
                    preferred_contact=s["contact"],
                    created_at=created,
                    updated_at=created,
                )
            )
        Patient.objects.bulk_create(patients, batch_size=BATCH)
        self.tick("patients", t)

        t = time.perf_counter()
        intakes = []
        for s, p in zip(specs, patients, strict=True):
            created = self.at(s["intake_day"], s["intake_hour"], 30)
            phq = s["intake_phq9"]
            intakes.append(
                Intake(
                    patient=p,
                    source="staff",
                    created_at=created,
                    updated_at=created,
                    created_by=self.front_desk,
                    chief_complaint=s["complaint"],
                    pain_locations=s["locations"],
                    pain_side=s["side"],
                    radiates_below_knee=s["below_knee"],
                    onset_date=s["intake_day"] - timedelta(days=s["onset_days"]),
                    suspected_cause=s["cause"],
                    pain_now=s["pain0"],
                    pain_worst_week=min(10, s["pain0"] + 2),
                    sleep_quality=s["sleep"],
                    prior_treatments=s["priors"],
                    analgesic_days_week=3,
                    work_days_off_month=1,
                    # The red-flag screen, every answer no: a clean intake that allows treatment.
                    saddle_anaesthesia=False,
                    bladder_dysfunction=False,
                    bowel_incontinence=False,
                    bilateral_sciatica=False,
                    motor_weakness=False,
                    sexual_dysfunction=False,
                    night_pain=False,
                    cancer_history=False,
                    weight_loss=False,
                    fever_infection=False,
                    immunosuppression=False,
                    significant_trauma=False,
                    **{f"phq9_{n}": phq[n - 1] for n in range(1, 10)},
                )
            )
        Intake.objects.bulk_create(intakes, batch_size=BATCH)
        Consent.objects.bulk_create(
            (
                Consent(intake=i, modality=m, typed_name=p.full_name, consented_at=i.created_at)
                for i, p in zip(intakes, patients, strict=True)
                for m in CONSENTS
            ),
            batch_size=BATCH,
        )
        self.tick("intakes+consents", t)

        t = time.perf_counter()
        plans = []
        for s, p in zip(specs, patients, strict=True):
            sessions = s["sessions"]
            created = sessions[0]["started_at"] - timedelta(minutes=10)
            plans.append(
                TreatmentPlan(
                    patient=p,
                    practitioner=self.acupuncturists[s["practitioner"]],
                    diagnosis_codes=s["diagnosis"],
                    tcm_pattern=s["pattern"],
                    planned_sessions=s["planned"],
                    start_date=s["first_day"],
                    goals="Walk 30 minutes without leg pain; ODI below 20.",
                    status=s["status"],
                    review_at_4=sessions[3]["started_at"] + timedelta(hours=1) if s["reviewed_4"] else None,
                    final_review_at=sessions[-1]["started_at"] + timedelta(hours=1)
                    if s["status"] != "active"
                    else None,
                    review_notes="",
                    created_at=created,
                    updated_at=created,
                )
            )
        TreatmentPlan.objects.bulk_create(plans, batch_size=BATCH)
        self.tick("plans", t)

        t = time.perf_counter()
        session_rows, point_specs = [], []
        for s, p, plan in zip(specs, patients, plans, strict=True):
            practitioner = self.acupuncturists[s["practitioner"]]
            for row in s["sessions"]:
                stamp = row["started_at"] + timedelta(minutes=row["contact_minutes"])
                session_rows.append(
                    Session(
                        plan=plan,
                        patient=p,
                        practitioner=practitioner,
                        started_at=row["started_at"],
                        contact_minutes=row["contact_minutes"],
                        reinsertions=row["reinsertions"],
                        pain_before=row["pain_before"],
                        pain_after=row["pain_after"],
                        tuina_minutes=row["tuina_minutes"],
                        tuina_techniques=row["tuina_techniques"],
                        tuina_regions="Lumbar paraspinals" if row["tuina"] else "",
                        home_exercises=row["home_exercises"],
                        subjective=row["subjective"],
                        objective=row["objective"],
                        assessment=row["assessment"],
                        plan_notes=row["plan_notes"],
                        created_at=stamp,
                        updated_at=stamp,
                    )
                )
                point_specs.append(row["points"])
        Session.objects.bulk_create(session_rows, batch_size=BATCH)
        self.tick("sessions", t)

        t = time.perf_counter()
        points = self.points
        SessionPoint.objects.bulk_create(
            (
                SessionPoint(
                    session=session,
                    point_id=points[code],
                    side=side,
                    technique=technique,
                    retention_minutes=retention,
                    depth_mm=depth,
                    de_qi=de_qi,
                    position=position,
                )
                for session, rows in zip(session_rows, point_specs, strict=True)
                for position, (code, side, technique, retention, depth, de_qi) in enumerate(rows)
            ),
            batch_size=BATCH,
        )
        self.tick("session points", t)

        t = time.perf_counter()
        questionnaires = []
        recent = self.today - timedelta(days=90)
        for s, p, plan in zip(specs, patients, plans, strict=True):
            for row in s["questionnaires"]:
                due = row["due_date"]
                # About 3 % of the recent questionnaires were never answered; today's are all
                # still open and half of yesterday's.
                pending = (
                    due == self.today
                    or (due >= recent and row["pending_draw"] < 0.03)
                    or ((self.today - due).days == 1 and row["pending_draw"] < 0.5)
                )
                week = row["week"]
                kind = "baseline" if week == 0 else ("follow_up" if week == 12 else "weekly")
                fields = {
                    "patient": p,
                    "plan": plan,
                    "due_date": due,
                    "week": week,
                    "kind": kind,
                    "includes_phq9": week in (4, 12),
                    "reminded_at": self.at(due, 9),
                    "created_at": self.at(due, 6),
                }
                if not pending:
                    answers = list(row["answers"])
                    if s["skips_sex_life"]:
                        answers[7] = None  # the sex-life section is often skipped
                    submitted = min(
                        self.at(due, 8) + timedelta(hours=row["delay_hours"]), self.now - timedelta(hours=1)
                    )
                    fields |= {
                        "odi_version": ODI_VERSION,
                        **dict(zip(ODI_FIELDS, answers, strict=True)),
                        "odi_score": odi_score(answers),
                        "back_pain_now": row["back"],
                        "back_pain_worst": row["back_worst"],
                        "leg_pain_now": row["leg"],
                        "leg_pain_worst": row["leg_worst"],
                        "analgesic_days": row["analgesic"],
                        "work_days_off": row["work"],
                        **dict.fromkeys(CAUDA_EQUINA_KEYS, False),
                        "submitted_at": submitted,
                        "source": "staff" if row["paper"] else "online",
                        "entered_by": self.front_desk if row["paper"] else None,
                    }
                    if week in (4, 12):
                        fields |= {f"phq9_{n}": v for n, v in enumerate(row["phq9"], start=1)}
                        fields["phq9_total"] = sum(row["phq9"])
                questionnaires.append(Questionnaire(**fields))
        Questionnaire.objects.bulk_create(questionnaires, batch_size=BATCH)
        self.counts["pending questionnaires"] = self.counts.get("pending questionnaires", 0) + sum(
            1 for r in questionnaires if r.submitted_at is None
        )
        self.tick("questionnaires", t)

    # the whole load -----------------------------------------------------------------------------

    def build(self) -> None:
        from auditlog.context import disable_auditlog
        from django.db import transaction
        from django.db.models import F

        from clinic.models import Patient
        from intake.models import Intake
        from outcomes.models import Questionnaire
        from outcomes.summary import refresh_outcomes
        from treatments.models import Point, Session, TreatmentPlan
        from treatments.services import sessions_changed

        self.points = dict(Point.objects.values_list("code", "id"))
        missing = [code for code in POINT_POOL if code not in self.points]
        if missing:
            sys.exit(f"Point catalogue lacks {missing}; did the migrations run?")
        t = time.perf_counter()
        self.create_users()
        self.tick("users", t)
        with disable_auditlog(), stamps_as_given(Patient, Intake, TreatmentPlan, Session, Questionnaire):
            for start in range(0, self.n, CHUNK):
                t = time.perf_counter()
                specs = [self.plan_patient(i) for i in range(start, min(start + CHUNK, self.n))]
                self.tick("generate (python)", t)
                with transaction.atomic():
                    self.insert_chunk(specs)
                done = min(start + CHUNK, self.n)
                print(f"  {done:>7} / {self.n} patients  ({sum(self.timings.values()):.1f} s)", flush=True)
            # Sign every session before yesterday, as its practitioner would have: one update of
            # unsigned rows (the lock refuses only updates touching signed ones).
            t = time.perf_counter()
            cutoff = self.now - timedelta(days=1)
            signed = Session.objects.filter(signed_at__isnull=True, started_at__lt=cutoff).update(
                signed_at=F("started_at") + timedelta(hours=2), signed_by=F("practitioner")
            )
            self.counts["signed sessions"] = signed
            self.tick("sign sessions", t)
            # Rows went in with bulk_create, past the services: count every plan's sessions and derive
            # its outcome summary once.
            t = time.perf_counter()
            plan_ids = list(TreatmentPlan.objects.values_list("pk", flat=True))
            sessions_changed(plan_ids)
            refresh_outcomes(plan_ids)
            self.tick("plan scores", t)

    def analyze(self) -> None:
        from django.db import connection

        t = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
        self.tick("vacuum analyze", t)


def main(argv=None) -> None:
    args = parse_args(argv)
    import django
    from django.conf import settings

    django.setup()
    db = settings.DATABASES["default"]
    check_bench_database(db)
    total_start = time.perf_counter()
    patients = max(3, round(args.patients * args.scale))
    if args.keep:
        if already_built(patients):
            print(f"{db['NAME']} already holds {patients} patients and every migration: kept.")
            return
        args.reset = True
    if args.reset:
        t = time.perf_counter()
        from django.db import connection

        connection.close()  # dropping the database ends every session on it, this one included
        reset_database(db)
        from django.core.management import call_command

        call_command("migrate", verbosity=0, interactive=False)
        print(f"reset + migrate: {time.perf_counter() - t:.1f} s", flush=True)
    from clinic.models import Patient

    if Patient.objects.exists():
        sys.exit("The bench database already holds patients; run with --reset to rebuild it.")

    from django.utils import timezone

    today = args.today or timezone.localdate()  # the clinic's date, as the dashboard counts it
    print(
        f"Building {patients} patients on {db['ENGINE'].rsplit('.', 1)[-1]} {db['NAME']} (anchor {today}, seed {SEED})"
    )
    builder = Builder(patients=patients, today=today)
    builder.build()
    builder.analyze()

    from django.contrib.auth.models import User

    from intake.models import Consent, Intake
    from outcomes.models import Questionnaire
    from treatments.models import Session, SessionPoint, TreatmentPlan

    print("\nRows:")
    for label, model in [
        ("users", User),
        ("patients", Patient),
        ("intakes", Intake),
        ("consents", Consent),
        ("plans", TreatmentPlan),
        ("sessions", Session),
        ("session points", SessionPoint),
        ("questionnaires", Questionnaire),
    ]:
        print(f"  {label:<18} {model.objects.count():>10,}")
    for label, value in builder.counts.items():
        print(f"  {label:<18} {value:>10,}")
    print("\nTimings (s):")
    for label, seconds in builder.timings.items():
        print(f"  {label:<18} {seconds:>8.1f}")
    print(f"  {'total':<18} {time.perf_counter() - total_start:>8.1f}")


if __name__ == "__main__":
    main()
