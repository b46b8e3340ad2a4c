"""Build the benchmark data set (docs/architecture.md, "Scale") deterministically, with bulk inserts only.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/clinic_bench .venv/bin/python bench/data.py --reset --patients 20000

Per patient: a clean intake (every red flag answered no) with three consents, one plan, 5-15 sessions
(mean 10) of 6-12 needled points, and a weekly questionnaire from the first session on (only those
already due; about 3 % of the last 90 days' left unanswered). P000001 has exactly 30 sessions.
Appointments: one completed visit per session, linked to it (the first a new-patient visit), a no-show
or a cancellation between sessions now and then, and for each plan in progress its visits of the week
from the anchor date on, booked; each visit that holds its time has its quarter-hour slot rows (see Book).

Every draw comes from one random.Random(2026), patient by patient, and the names and addresses from
Faker seeded with the same number, so the same --patients and --today (default: the current date;
the dates are laid out backwards from it) give the same rows. The appointments draw from a second
random.Random, so every other table is what it was before they existed. Rows go in with bulk_create, past
the services and save() (the audit trail is off too); older sessions are then signed with one update.
"""

import argparse
import random
import sys
import time
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import (  # noqa: E402
    ACUPUNCTURISTS,
    CHART_PATIENT,
    CHART_SESSIONS,
    FRONT_DESK,
    GROUP_LOCATIONS,
    MANAGER,
    PASSWORD,
    RESERVED_PATIENTS,
    SEED,
    SESSION_POST_PATIENT,
    setup,
    unapplied_migrations,
)

BATCH = 5000
CHUNK = 2500  # patients built and inserted per transaction
COMPLAINTS = """\
Low back pain radiating down the left leg
Low back pain radiating down the right leg
Sciatica, right side, worse when sitting
Left-sided sciatica after lifting at work
Chronic low back pain with buttock pain
Back and leg pain since a fall last winter
Numbness in the foot and aching low back
Recurring lumbar pain, now shooting into the calf""".splitlines()
SUBJECTIVE = """\
Leg pain eased for two days after the last visit.
Slept better this week; still stiff in the mornings.
Pain worse after a long drive on the weekend.
Walking 20 minutes now before the leg starts to ache.
Back pain steady, leg pain less frequent.
Flare-up after gardening; better again by midweek.
Fewer pain pills this week; sitting still aggravates.""".splitlines()
OBJECTIVE = """\
Tenderness at L4-L5 paraspinals, SLR positive at 60 degrees.
Reduced lumbar flexion, guarding on the left.
SLR negative today, mild tightness over the piriformis.
Tongue pale purple, pulse wiry and slightly choppy.""".splitlines()
ASSESSMENT = """\
Improving; pain scores trending down.
Slow progress, continue current approach.
Good response to distal points, keep them.
Plateau this week; review at next visit.""".splitlines()
PLAN_NOTES = """\
Continue twice weekly, add GB34.
Weekly from next visit; home stretches daily.
Repeat same points; reassess ODI at week 4.
Add tui na to the lumbar paraspinals next time.""".splitlines()
EXERCISES = ["Knee-to-chest stretch twice daily.", "Walk 15 minutes daily.", "Cat-camel 10 reps morning.", ""]
TCM_PATTERNS = ["kidney_deficiency", "blood_stagnation", "cold_damp_bi", "liver_qi_stagnation", "liver_kidney_yin"]
DIAGNOSES = [["M54.16"], ["M54.17"], ["M54.41"], ["M54.42"], ["M51.26"], ["M51.27"], ["M54.50"], ["M54.42", "M51.26"]]
CAUSES = "disc_herniation spinal_stenosis piriformis degenerative_disc spondylolisthesis injury unknown".split()  # noqa: SIM905
SLEEP = ["good", "fair", "poor", "very_poor"]
LOCATIONS = ["low_back", "buttock", "thigh", "calf", "foot"]
PRIORS = ["nsaids", "opioids", "physical_therapy", "injections", "chiropractic"]
CONSENTS = ["electroacupuncture", "needling", "tui_na"]
# Back-pain and distal points an acupuncturist would pick from for lumbar radiculopathy.
POINTS = """BL23 BL24 BL25 BL26 BL40 BL36 BL37 BL54 BL57 BL60 BL62 GB30 GB31 GB34 GB39 GB41 GV3 GV4 KI3 ST36
SP6 LR3 SI3 LI4 EX-B2 BL52 BL28 BL32 GB29 BL58""".split()  # noqa: SIM905 - a word list
TUINA = ["rolling", "pressing", "kneading", "pushing", "grasping", "stretching"]
# Faker pools of these sizes, picked from with these Zipf exponents, so common names are common (the
# patient search finds many of one family name). The sizes are those of the hand-typed lists the pools
# replaced, so the seeded generator makes the same draws, and every other value stays as it was.
GIVEN_NAMES, FAMILY_NAMES, STREETS, CITIES = 211, 256, 15, 8
GIVEN_ZIPF, FAMILY_ZIPF = 0.4, 0.3


def distinct(make, n: int) -> list[str]:
    """The first `n` distinct values of `make()` (Faker's: the common ones tend to come first)."""
    pool: dict[str, None] = {}
    while len(pool) < n:
        pool[make()] = None
    return list(pool)


def zipf(n: int, s: float) -> list[float]:
    return [1 / (rank**s) for rank in range(1, n + 1)]


# The bench clinic's schedule. Four acupuncturists see some 250 patients a day between them, every day of
# the week from 8:00 (the sessions' times): far past one patient at a time. So the bench clinic is a
# community clinic, as large as the settings allow: each acupuncturist treats up to LANES patients at once,
# on BEDS beds, open every day 08:00-20:00 (a 90-minute first visit may start at 17:45).
LANES, BEDS = 10, 40
OPENS, CLOSES = 8, 20
QUARTER = 15 * 60  # seconds: the schedule's grid (scheduling.rules.SLOT_MINUTES)
MISSED = 0.1  # the share of visits missed between two sessions: 4 in 10 no-shows, the rest cancelled
CANCEL_REASONS = (["patient", "patient_late", "clinic", "moved"], [5, 2, 1, 2])
BOOK_DAYS_BACK = 1100  # further back than any session (730 days' spread plus the longest course)


class Book:
    """The bench clinic's quarter hours as the appointments fill them: how many patients each acupuncturist
    has in each, and how many beds are taken. Nothing is given back while the data set is built, so the
    lowest free lane or bed (what the services would choose) is always one more than the count. Counted
    in bytearrays by quarter hour since the start of the book's first day: under 1 MB in all."""

    def __init__(self, *, tz, first_day: date, days: int, practitioners: list[int]):
        self.tz = tz
        self.base = int(datetime.combine(first_day, dtime(0), tzinfo=tz).timestamp()) // QUARTER
        size = days * 24 * 4 + 8
        self.lanes = {pk: bytearray(size) for pk in practitioners}
        self.beds = bytearray(size)
        self.moved = 0  # visits that could not keep their session's time

    def quarter(self, moment: datetime) -> int:
        index = int(moment.timestamp()) // QUARTER - self.base
        if not 0 <= index < len(self.beds):
            raise ValueError(f"{moment} is outside the bench's appointment book")
        return index

    def has_room(self, practitioner: int, start: datetime, minutes: int) -> bool:
        first, lanes = self.quarter(start), self.lanes[practitioner]
        return all(lanes[i] < LANES and self.beds[i] < BEDS for i in range(first, first + minutes * 60 // QUARTER))

    def place(self, practitioner: int, wanted: datetime, minutes: int) -> datetime:
        """`wanted` if it has room, else the nearest quarter hour of that day with room (earlier first)."""
        day = wanted.astimezone(self.tz).date()
        opens = datetime.combine(day, dtime(OPENS), tzinfo=self.tz)
        latest = datetime.combine(day, dtime(CLOSES), tzinfo=self.tz) - timedelta(minutes=minutes)
        for step in range(4 * (CLOSES - OPENS) + 1):
            for start in (wanted - timedelta(seconds=step * QUARTER), wanted + timedelta(seconds=step * QUARTER)):
                if opens <= start <= latest and self.has_room(practitioner, start, minutes):
                    self.moved += start != wanted
                    return start
        raise RuntimeError(f"No room on {day} for a {minutes}-minute visit: raise LANES or BEDS")

    def take(self, practitioner: int, start: datetime, minutes: int) -> list[tuple[datetime, int, int]]:
        """Hold the visit's quarter hours: each one's time, lane and bed."""
        first, lanes, held = self.quarter(start), self.lanes[practitioner], []
        for n, i in enumerate(range(first, first + minutes * 60 // QUARTER)):
            lanes[i] += 1
            self.beds[i] += 1
            held.append((start + timedelta(seconds=n * QUARTER), lanes[i], self.beds[i]))
        return held


def reset_database(db: dict) -> None:
    """Drop and recreate the bench database (PostgreSQL: from the `postgres` database; SQLite: delete)."""
    if db["ENGINE"] == "django.db.backends.sqlite3":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db['NAME']}{suffix}").unlink(missing_ok=True)
        return
    import psycopg
    from psycopg import sql

    params = {"host": db.get("HOST"), "port": db.get("PORT"), "user": db.get("USER"), "password": db.get("PASSWORD")}
    with psycopg.connect(dbname="postgres", autocommit=True, **{k: v for k, v in params.items() if v}) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(db["NAME"])))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(db["NAME"])))


def already_built(patients: int) -> bool:
    """The database exists, is fully migrated, and holds a data set of this size and shape (appointments
    included: a data set built before they were is rebuilt)."""
    from django.db.utils import OperationalError, ProgrammingError

    from clinic.models import Patient
    from scheduling.models import Appointment

    try:
        return not unapplied_migrations() and Patient.objects.count() == patients and Appointment.objects.exists()
    except (OperationalError, ProgrammingError):
        return False


@contextmanager
def stamps_as_given(*models):
    """Let bulk_create keep the created_at/updated_at we set (auto_now fields overwrite them)."""
    fields = [f for m in models for f in m._meta.concrete_fields if f.name in ("created_at", "updated_at")]
    saved = [(f, f.auto_now, f.auto_now_add) for f in fields]
    for field in fields:
        field.auto_now = field.auto_now_add = False
    try:
        yield
    finally:
        for field, auto_now, auto_now_add in saved:
            field.auto_now, field.auto_now_add = auto_now, auto_now_add


class Builder:
    def __init__(self, *, patients: int, today: date):
        from django.conf import settings
        from faker import Faker

        self.n, self.today = patients, today
        self.tz = ZoneInfo(settings.TIME_ZONE)
        # The data's clock: the start of `today`, so the rows do not depend on the time of day of the run.
        self.now = self.at(today, 0)
        self.rng = random.Random(SEED)  # noqa: S311 - reproducible test data, not security
        # The appointments' own draws, so the other tables come out as they did before there were any.
        self.visit_rng = random.Random(SEED + 1)  # noqa: S311
        self.book: Book | None = None
        fake = Faker("en_US")
        fake.seed_instance(SEED)
        self.given_names = distinct(fake.first_name, GIVEN_NAMES)
        self.family_names = distinct(fake.last_name, FAMILY_NAMES)
        self.streets = distinct(fake.street_name, STREETS)
        self.cities = [(city, fake.postcode_in_state("IL")[:3]) for city in distinct(fake.city, CITIES)]
        self.given_weights, self.family_weights = zipf(GIVEN_NAMES, GIVEN_ZIPF), zipf(FAMILY_NAMES, FAMILY_ZIPF)
        self.timings: dict[str, float] = {}

    def tick(self, label: str, started: float) -> None:
        self.timings[label] = self.timings.get(label, 0.0) + time.perf_counter() - started

    def at(self, day: date, hour: int, minute: int = 0) -> datetime:
        return datetime.combine(day, dtime(hour, minute), tzinfo=self.tz)

    def create_users(self) -> None:
        from clinic import roles
        from clinic.models import Location, StaffProfile
        from tests.factories import StaffProfileFactory, UserFactory

        roles.sync_roles()

        def user(username, first, last, role):
            return UserFactory(username=username, first_name=first, last_name=last, password=PASSWORD, role=role)

        self.manager = user(MANAGER, "Morgan", "Reyes", roles.MANAGER)
        self.front_desk = user(FRONT_DESK, "Frankie", "Desk", roles.FRONT_DESK)
        names = [("Lin", "Zhao"), ("Maya", "Okafor"), ("Sam", "Whitaker"), ("Ana", "Costa")]
        self.acupuncturists = [
            user(username, first, last, roles.ACUPUNCTURIST)
            for username, (first, last) in zip(ACUPUNCTURISTS, names, strict=True)
        ]
        profiles = StaffProfile.objects.bulk_create(
            [
                *(
                    StaffProfileFactory.build(user=u, licence_number=f"AC-{i:05d}")
                    for i, u in enumerate(self.acupuncturists, 1)
                ),
                StaffProfile(user=self.front_desk),
            ]
        )
        # The group's locations: the one the migrations made, and 13 more; the staff work at the first.
        first = Location.objects.order_by("pk").first() or Location.objects.create(name="Location 01")
        Location.objects.filter(pk=first.pk).update(name="Location 01", beds=BEDS)
        Location.objects.bulk_create(
            Location(name=f"Location {n:02d}", address=f"{n} Main St, Springfield, IL", beds=BEDS)
            for n in range(2, GROUP_LOCATIONS + 1)
        )
        self.locations = list(Location.objects.order_by("name"))
        for profile in profiles:
            profile.locations.set([self.locations[0]])

    def patient(self, index: int) -> tuple[list, ...]:
        """One patient's rows, unsaved, in the order of MODELS. The draws keep their order, and so the data."""
        from clinic.models import Patient, digits_only
        from clinic.search import fold
        from intake.models import Consent, Intake
        from intake.rules import CAUDA_EQUINA_KEYS
        from outcomes.models import ODI_FIELDS, Questionnaire
        from outcomes.questionnaires import ODI_VERSION
        from outcomes.scoring import odi_score
        from tests.factories import TreatmentPlanFactory, intake_defaults
        from treatments.billing import timed_units
        from treatments.models import Session, SessionPoint, TreatmentPlan

        rng, today = self.rng, self.today
        chart = f"P{index + 1:06d}"
        special = chart in RESERVED_PATIENTS
        given = rng.choices(self.given_names, self.given_weights)[0]
        family = rng.choices(self.family_names, self.family_weights)[0]
        dob = date(1940, 1, 1) + timedelta(days=rng.randint(0, (date(2004, 12, 31) - date(1940, 1, 1)).days))
        sex = rng.choices(["female", "male", "intersex", "unknown"], [52, 46, 1, 1])[0]
        city, zip3 = rng.choice(self.cities)
        practitioner = self.acupuncturists[rng.randrange(len(self.acupuncturists))]
        # Twice weekly for three weeks, then weekly; the whole course in the past, spread over two years.
        n_sessions = CHART_SESSIONS if chart == CHART_PATIENT else 5 if special else rng.randint(5, 15)
        offsets, day = [], 0
        for k in range(n_sessions):
            offsets.append(day)
            day += (rng.choice([3, 4]) if k < 6 else 7 + rng.choice([-1, 0, 0, 0, 1, 2])) if k else 3
        first_day = today - timedelta(days=offsets[-1] + 1 + (0 if special else rng.randint(0, 730)))
        days = [first_day + timedelta(days=o) for o in offsets]
        active = (today - days[-1]).days <= 21 or chart in (CHART_PATIENT, SESSION_POST_PATIENT)
        status = "active" if active else rng.choices(["completed", "discontinued"], [9, 1])[0]
        # Outcome trajectory: a baseline ODI and how much of it is gone by week 8.
        baseline_odi = rng.uniform(22, 62)
        improvement = max(-0.1, min(0.9, rng.gauss(0.42, 0.2)))
        pain0, leg0, analgesic0 = rng.randint(5, 9), rng.randint(4, 9), rng.randint(2, 7)
        work0 = rng.choice([0, 0, 0, 1, 1, 2, 3])
        skips_sex_life = rng.random() < 0.3

        sessions, points = [], []
        for k, day in enumerate(days):
            progress = min(k, 10) / 10
            before = max(1, min(10, round(pain0 * (1 - improvement * progress) + rng.gauss(0, 0.8))))
            codes = rng.sample(POINTS, rng.randint(6, 12))
            tuina = rng.random() < 0.3
            started = self.at(day, rng.randint(8, 17), rng.choice([0, 15, 30, 45]))
            minutes = rng.choice([30, 30, 40, 45, 60])
            # A re-insertion for each further 15 minutes, one fewer on every third visit of 40 minutes or more.
            reinsertions = timed_units(minutes) - 1 - (minutes >= 40 and k % 3 == 2)
            stamp = started + timedelta(minutes=minutes)
            session = Session(
                practitioner=practitioner,
                started_at=started,
                contact_minutes=minutes,
                reinsertions=reinsertions,
                pain_before=before,
                pain_after=max(0, before - rng.randint(0, 3)),
                tuina_minutes=rng.choice([10, 15]) if tuina else 0,
                tuina_techniques=rng.sample(TUINA, 2) if tuina else [],
                tuina_regions="Lumbar paraspinals" if tuina else "",
                subjective=rng.choice(SUBJECTIVE),
                objective=rng.choice(OBJECTIVE),
                assessment=rng.choice(ASSESSMENT),
                plan_notes=rng.choice(PLAN_NOTES),
                home_exercises=rng.choice(EXERCISES),
                created_at=stamp,
                updated_at=stamp,
            )
            sessions.append(session)
            points += [
                SessionPoint(
                    session=session,
                    point_id=self.points[code],
                    side=rng.choice("LRBBB"),
                    technique=rng.choice(["even", "even", "reduce", "tonify"]),
                    retention_minutes=rng.choice([20, 25, 25, 30]),
                    depth_mm=rng.randint(10, 50),
                    de_qi=rng.random() < 0.7,
                    position=position,
                )
                for position, code in enumerate(codes)
            ]

        questionnaires = []
        for week in range(rng.randint(6, 14)):
            due = first_day + timedelta(weeks=week)
            progress = min(week, 8) / 8
            level = 1 - improvement * progress
            answers = [max(0, min(5, round(baseline_odi * level / 20 + rng.gauss(0, 0.7)))) for _ in range(10)]
            back = max(0, min(10, round(pain0 * level + rng.gauss(0, 0.8))))
            leg = max(0, min(10, round(leg0 * level + rng.gauss(0, 0.8))))
            answered = {
                "back_pain_now": back,
                "back_pain_worst": min(10, back + rng.randint(0, 2)),
                "leg_pain_now": leg,
                "leg_pain_worst": min(10, leg + rng.randint(0, 2)),
                "analgesic_days": max(0, min(7, round(analgesic0 * level + rng.gauss(0, 0.7)))),
                "work_days_off": max(0, min(7, round(work0 * (1 - progress) + rng.gauss(0, 0.3)))),
            }
            phq9 = [rng.choice([0, 0, 1]) for _ in range(8)] + [0]
            delay, paper, pending_draw = rng.randint(1, 60), rng.random() < 0.15, rng.random()
            if due > today:  # only those already due exist
                continue
            # About 3 % of the recent ones were never answered; today's are all still open, and half of yesterday's.
            recent, age = due >= today - timedelta(days=90), (today - due).days
            if due == today or (recent and pending_draw < 0.03) or (age == 1 and pending_draw < 0.5):
                answered = {}
            else:
                if skips_sex_life:
                    answers[7] = None  # the sex-life section is often skipped
                answered |= dict(zip(ODI_FIELDS, answers, strict=True)) | dict.fromkeys(CAUDA_EQUINA_KEYS, False)
                answered |= {
                    "odi_version": ODI_VERSION,
                    "odi_score": odi_score(answers),
                    "submitted_at": min(self.at(due, 8) + timedelta(hours=delay), self.now - timedelta(hours=1)),
                    "source": "staff" if paper else "online",
                    "entered_by": self.front_desk if paper else None,
                }
                if week in (4, 12):
                    answered |= {f"phq9_{n}": v for n, v in enumerate(phq9, start=1)} | {"phq9_total": sum(phq9)}
            questionnaires.append(
                Questionnaire(
                    due_date=due,
                    week=week,
                    kind="baseline" if week == 0 else "follow_up" if week == 12 else "weekly",
                    includes_phq9=week in (4, 12),
                    reminded_at=self.at(due, 9),
                    created_at=self.at(due, 6),
                    **answered,
                )
            )

        phone = f"(217) {rng.randint(200, 999)}-{rng.randint(0, 9999):04d}"
        street = f"{rng.randint(1, 9999)} {rng.choice(self.streets)}"
        postal_code = f"{zip3}{rng.randint(0, 99):02d}"
        contact = rng.choices(["phone", "sms", "email", "post"], [4, 3, 3, 1])[0]
        intake_day = first_day - timedelta(days=rng.randint(0, 7))
        created = self.at(intake_day, rng.randint(8, 17))
        patient = Patient(
            chart_number=chart,
            location=self.locations[0] if special else self.locations[index % GROUP_LOCATIONS],
            given_name=given,
            family_name=family,
            date_of_birth=dob,
            sex=sex,
            phone=phone,
            phone_digits=digits_only(phone),  # what Patient.save() derives
            family_key=fold(family),
            given_key=fold(given),
            email=f"{given}.{family}.{chart[1:]}@example.com".lower(),
            address_line=street,
            city=city,
            state="IL",
            postal_code=postal_code,
            emergency_contact_name=f"{given[0]}. {family}",
            emergency_contact_phone="(217) 555-0100",
            emergency_contact_relationship="Spouse",
            preferred_contact=contact,
            created_at=created,
            updated_at=created,
        )
        intake_at = created + timedelta(minutes=30)
        complaint = rng.choice(COMPLAINTS)
        locations = sorted(rng.sample(LOCATIONS, rng.randint(1, 4)), key=LOCATIONS.index)
        side = rng.choice(["left", "right", "left", "right", "both"])
        intake = Intake(
            patient=patient,
            source="staff",
            created_at=intake_at,
            updated_at=intake_at,
            created_by=self.front_desk,
            **intake_defaults(
                chief_complaint=complaint,
                pain_locations=locations,
                pain_side=side,
                # Pain in both legs below the knee is bilateral sciatica (intake.rules), a referral: not here.
                radiates_below_knee=rng.random() < 0.6 and side != "both",
                onset_date=intake_day - timedelta(days=rng.randint(14, 900)),
                suspected_cause=rng.choice(CAUSES),
                pain_now=pain0,
                pain_worst_week=min(10, pain0 + 2),
                sleep_quality=rng.choice(SLEEP),
                prior_treatments=sorted(rng.sample(PRIORS, rng.randint(0, 3)), key=PRIORS.index),
                analgesic_days_week=3,
                work_days_off_month=1,
                **{f"phq9_{n}": rng.choice([0, 0, 1, 1, 2]) for n in range(1, 9)},
                phq9_9=0,
            ),
        )
        diagnosis, pattern = rng.choice(DIAGNOSES), rng.choice(TCM_PATTERNS)
        reviewed_4 = status != "active" or rng.random() < 0.7  # every plan has 4 sessions or more
        plan = TreatmentPlan(
            patient=patient,
            location=patient.location,
            practitioner=practitioner,
            diagnosis_codes=diagnosis,
            tcm_pattern=pattern,
            review_at_4=sessions[3].started_at + timedelta(hours=1) if reviewed_4 else None,
            planned_sessions=max(n_sessions, 8),
            start_date=first_day,
            goals=TreatmentPlanFactory.goals,
            status=status,
            final_review_at=sessions[-1].started_at + timedelta(hours=1) if status != "active" else None,
            created_at=sessions[0].started_at - timedelta(minutes=10),
            updated_at=sessions[0].started_at - timedelta(minutes=10),
        )
        for row in sessions + questionnaires:
            row.patient, row.plan = patient, plan
        for row in sessions:
            row.location = patient.location
        consents = [
            Consent(intake=intake, modality=m, typed_name=patient.full_name, consented_at=intake_at) for m in CONSENTS
        ]
        return [patient], [intake], consents, [plan], sessions, points, questionnaires

    def open_book(self) -> None:
        """The bench clinic's schedule settings (see LANES) and an empty book from long before any session."""
        from scheduling.models import OpeningHours, ScheduleSettings

        config = ScheduleSettings.load()
        ScheduleSettings.objects.filter(pk=config.pk).update(patients_per_practitioner=LANES)
        OpeningHours.objects.all().delete()
        OpeningHours.objects.bulk_create(
            OpeningHours(location=location, weekday=day, opens=dtime(OPENS), closes=dtime(CLOSES))
            for location in self.locations
            for day in range(7)
        )
        self.book = Book(
            tz=self.tz,
            first_day=self.today - timedelta(days=BOOK_DAYS_BACK),
            days=BOOK_DAYS_BACK + 8,
            practitioners=[u.pk for u in self.acupuncturists],
        )

    def visits(self, patient, plan, sessions: list) -> tuple[list, list]:
        """The patient's appointments and the slot rows of those that hold their time: a completed visit per
        session, linked to it, at the session's time (or the nearest quarter hour of the day with room); now
        and then a visit missed between two sessions (a no-show, or cancelled: no slot rows); and for a plan
        in progress its visits of the week from the anchor date on, twice weekly in its first six, then
        weekly, a few cancelled. Draws from visit_rng only."""
        from scheduling.models import HOLDING, Appointment, AppointmentSlot, Kind, Status

        rng, book, practitioner, desk = self.visit_rng, self.book, plan.practitioner, self.front_desk
        visits, slots = [], []

        def visit(**fields) -> Appointment:
            row = Appointment(
                patient=patient, location=plan.location, practitioner=practitioner, plan=plan, booked_by=desk, **fields
            )
            visits.append(row)
            if row.status in HOLDING:
                # The book counts beds across the group: a bed number unique in the group is unique at its location.
                for slot, lane, place in book.take(practitioner.pk, row.start, row.minutes):
                    slots.append(
                        AppointmentSlot(
                            appointment=row,
                            practitioner=practitioner,
                            location=plan.location,
                            slot=slot,
                            lane=lane,
                            place=place,
                        )
                    )
            return row

        def some_time(day: date) -> datetime:
            return self.at(day, rng.randint(OPENS, 17), rng.choice([0, 15, 30, 45]))

        def missed(start: datetime, kind: str, minutes: int, status: str) -> Appointment:
            fields = {"status": status, "status_changed_by": desk, "updated_at": start + timedelta(minutes=30)}
            if status == Status.CANCELLED:
                reason = rng.choices(*CANCEL_REASONS)[0]
                hours = rng.randint(2, 23) if reason == "patient_late" else rng.randint(25, 120)
                at = min(start - timedelta(hours=hours), self.now)
                fields |= {"cancel_reason": reason, "cancelled_at": at, "cancelled_by": desk, "updated_at": at}
            booked = min(start - timedelta(days=rng.randint(2, 10)), fields["updated_at"])
            return visit(kind=kind, start=start, minutes=minutes, created_at=booked, **fields)

        for k, session in enumerate(sessions):
            day = session.started_at.date()
            if k and rng.random() < MISSED:
                between = (day - sessions[k - 1].started_at.date()).days - 1
                when = some_time(day - timedelta(days=rng.randint(1, between)) if between > 0 else day)
                missed(when, Kind.TREATMENT, 60, Status.NO_SHOW if rng.random() < 0.4 else Status.CANCELLED)
            kind, minutes = (Kind.NEW_PATIENT, 90) if k == 0 else (Kind.TREATMENT, 60)
            start = book.place(practitioner.pk, session.started_at, minutes)
            visit(
                kind=kind,
                start=start,
                minutes=minutes,
                status=Status.COMPLETED,
                session=session,
                arrived_at=start - timedelta(minutes=rng.randint(0, 15)),
                status_changed_by=practitioner,
                created_at=min(start, session.started_at) - timedelta(days=rng.randint(1, 14)),
                updated_at=session.updated_at,
            )
        if plan.status == "active":
            weekly = len(sessions) >= 6
            day = sessions[-1].started_at.date() + timedelta(days=7 if weekly else rng.choice([3, 4]))
            day = max(day, self.today + timedelta(days=rng.randint(0, 2)))
            while day < self.today + timedelta(days=7):
                kind, minutes = (Kind.REVIEW, 30) if rng.random() < 0.15 else (Kind.TREATMENT, 60)
                wanted, booked = some_time(day), self.now - timedelta(days=rng.randint(0, 10), hours=rng.randint(1, 9))
                if rng.random() < 0.05:  # the patient rang to cancel
                    missed(wanted, kind, minutes, Status.CANCELLED)
                else:
                    start = book.place(practitioner.pk, wanted, minutes)
                    visit(kind=kind, start=start, minutes=minutes, created_at=booked, updated_at=booked)
                day += timedelta(days=7 if weekly else rng.choice([3, 4]))
        return visits, slots

    def build(self) -> None:
        from auditlog.context import disable_auditlog
        from django.db import transaction
        from django.db.models import F

        from clinic.models import Patient
        from intake.models import Consent, Intake
        from outcomes.models import Questionnaire
        from outcomes.summary import refresh_outcomes
        from scheduling.models import Appointment, AppointmentSlot
        from treatments.models import Point, Session, SessionPoint, TreatmentPlan
        from treatments.services import sessions_changed

        models = (Patient, Intake, Consent, TreatmentPlan, Session, SessionPoint, Questionnaire)
        models += (Appointment, AppointmentSlot)
        self.points = dict(Point.objects.values_list("code", "id"))
        if missing := [code for code in POINTS if code not in self.points]:
            sys.exit(f"Point catalogue lacks {missing}; did the migrations run?")
        t = time.perf_counter()
        self.create_users()
        self.tick("users", t)
        with disable_auditlog(), stamps_as_given(*models):
            self.open_book()
            for start in range(0, self.n, CHUNK):
                t = time.perf_counter()
                rows = [[] for _ in models]
                for index in range(start, min(start + CHUNK, self.n)):
                    made = self.patient(index)
                    (patient,), _, _, (plan,), sessions, _, _ = made
                    for objects, new in zip(rows, (*made, *self.visits(patient, plan, sessions)), strict=True):
                        objects += new
                self.tick("generate (python)", t)
                with transaction.atomic():
                    for model, objects in zip(models, rows, strict=True):
                        t = time.perf_counter()
                        model.objects.bulk_create(objects, batch_size=BATCH)
                        self.tick(model._meta.verbose_name_plural, t)
                done = min(start + CHUNK, self.n)
                print(f"  {done:>7} / {self.n} patients  ({sum(self.timings.values()):.1f} s)", flush=True)
            # Sign every session before yesterday, as its practitioner would have: one update of unsigned
            # rows (the session lock refuses only updates touching signed ones).
            t = time.perf_counter()
            Session.objects.filter(signed_at__isnull=True, started_at__lt=self.now - timedelta(days=1)).update(
                signed_at=F("started_at") + timedelta(hours=2), signed_by=F("practitioner")
            )
            self.tick("sign sessions", t)
            # The rows went in past the services: count every plan's sessions and derive its outcomes once.
            t = time.perf_counter()
            plan_ids = list(TreatmentPlan.objects.values_list("pk", flat=True))
            sessions_changed(plan_ids=plan_ids)
            refresh_outcomes(plan_ids)
            self.tick("plan scores", t)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--patients", type=int, default=20000, help="default 20000")
    parser.add_argument("--today", type=date.fromisoformat, default=None, help="anchor date (default: today)")
    parser.add_argument("--reset", action="store_true", help="drop and recreate the bench database, then migrate")
    parser.add_argument(
        "--keep", action="store_true", help="keep a fully migrated database of this many patients (else --reset)"
    )
    args = parser.parse_args(argv)
    db = setup(migrated=False)
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    started = time.perf_counter()
    patients = max(3, args.patients)  # the three reserved patients
    if args.keep and already_built(patients):
        print(f"{db['NAME']} already holds {patients} patients and every migration: kept.")
        return
    if args.reset or args.keep:
        connection.close()  # dropping the database ends every session on it, this one included
        reset_database(db)
        call_command("migrate", verbosity=0, interactive=False)
        print(f"reset + migrate: {time.perf_counter() - started:.1f} s", flush=True)
    from clinic.models import Patient

    if Patient.objects.exists():
        sys.exit("The bench database already holds patients; run with --reset to rebuild it.")
    today = args.today or timezone.localdate()  # the clinic's date, as the dashboard counts it
    print(f"Building {patients} patients on {connection.vendor} {db['NAME']} (anchor {today}, seed {SEED})")
    builder = Builder(patients=patients, today=today)
    builder.build()
    t = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    builder.tick("vacuum analyze", t)

    from django.contrib.auth.models import User
    from django.db.models import Count

    from intake.models import Consent, Intake
    from outcomes.models import Questionnaire
    from scheduling.models import Appointment, AppointmentSlot
    from treatments.models import Session, SessionPoint, TreatmentPlan

    print("\nRows:")
    models = (User, Patient, Intake, Consent, TreatmentPlan, Session, SessionPoint, Questionnaire)
    for model in (*models, Appointment, AppointmentSlot):
        print(f"  {model._meta.verbose_name_plural:<22} {model.objects.count():>10,}")
    print(f"  {'signed sessions':<22} {Session.objects.filter(signed_at__isnull=False).count():>10,}")
    print(f"  {'unanswered':<22} {Questionnaire.objects.filter(submitted_at__isnull=True).count():>10,}")
    by_status = Appointment.objects.values_list("status").annotate(n=Count("pk")).order_by("status")
    print(f"  {'appointments by status':<22} " + ", ".join(f"{status} {n:,}" for status, n in by_status))
    print(f"  {'moved from the session':<22} {builder.book.moved:>10,}  (no room at the session's time)")
    print("\nTimings (s):")
    for label, seconds in [*builder.timings.items(), ("total", time.perf_counter() - started)]:
        print(f"  {label:<22} {seconds:>8.1f}")


if __name__ == "__main__":
    main()
