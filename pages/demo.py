"""The demo clinic's fixed data: staff logins, ~30 realistic patients, their history and appointments (`seed_demo`)."""

from datetime import date, datetime, time, timedelta

DEMO_PASSWORD_NOTE = "Demo passwords are for a local demo only; change or remove these accounts in production."

DEMO_STAFF = [
    # username, password, role, first, last, credentials, licence, state, npi
    ("frontdesk", "frontdesk-demo-2026", "Front desk", "Maria", "Lopez", "", "", "", ""),
    (
        "acupuncturist",
        "acupuncture-demo-2026",
        "Acupuncturist",
        "Wei",
        "Chen",
        "L.Ac., Dipl. OM",
        "AC-004512",
        "IL",
        "1234567893",
    ),
    ("manager", "manager-demo-2026", "Manager", "Dana", "Whitfield", "", "", "", ""),
]

# given, family, dob, sex, phone, email, city, contact
DEMO_PATIENTS = [
    (
        "James",
        "Thornton",
        date(1968, 4, 12),
        "male",
        "(217) 555-0141",
        "j.thornton@example.com",
        "Springfield",
        "phone",
    ),
    ("Linda", "Okafor", date(1975, 9, 3), "female", "(217) 555-0178", "linda.okafor@example.com", "Chatham", "email"),
    ("Robert", "Nguyen", date(1959, 1, 27), "male", "(217) 555-0112", "", "Springfield", "phone"),
    (
        "Patricia",
        "Kowalski",
        date(1982, 11, 19),
        "female",
        "(217) 555-0193",
        "pkowalski@example.com",
        "Rochester",
        "sms",
    ),
    ("Michael", "Haddad", date(1971, 6, 8), "male", "(217) 555-0125", "mhaddad@example.com", "Springfield", "email"),
    ("Jennifer", "Brooks", date(1990, 2, 14), "female", "(217) 555-0167", "jen.brooks@example.com", "Sherman", "sms"),
    ("William", "Jackson", date(1955, 8, 30), "male", "(217) 555-0104", "", "Springfield", "phone"),
    ("Elizabeth", "Moreno", date(1986, 12, 2), "female", "(217) 555-0159", "emoreno@example.com", "Riverton", "email"),
    ("David", "Schwartz", date(1964, 3, 21), "male", "(217) 555-0186", "dschwartz@example.com", "Springfield", "phone"),
    ("Barbara", "Lindqvist", date(1949, 7, 11), "female", "(217) 555-0133", "", "Petersburg", "post"),
    ("Richard", "Patel", date(1979, 10, 5), "male", "(217) 555-0148", "rpatel@example.com", "Springfield", "email"),
    ("Susan", "O'Brien", date(1973, 5, 16), "female", "(217) 555-0171", "susan.obrien@example.com", "Chatham", "sms"),
    ("Joseph", "Yamamoto", date(1988, 1, 9), "male", "(217) 555-0116", "jyamamoto@example.com", "Springfield", "email"),
    ("Karen", "Dubois", date(1966, 9, 25), "female", "(217) 555-0190", "", "Auburn", "phone"),
    ("Thomas", "Adeyemi", date(1983, 4, 2), "male", "(217) 555-0122", "t.adeyemi@example.com", "Springfield", "sms"),
    (
        "Nancy",
        "Fischer",
        date(1958, 12, 13),
        "female",
        "(217) 555-0155",
        "nfischer@example.com",
        "Springfield",
        "email",
    ),
    (
        "Christopher",
        "Ramirez",
        date(1992, 7, 29),
        "male",
        "(217) 555-0137",
        "chris.ramirez@example.com",
        "Sherman",
        "sms",
    ),
    ("Lisa", "Novak", date(1977, 3, 6), "female", "(217) 555-0164", "lnovak@example.com", "Springfield", "email"),
    ("Daniel", "Osei", date(1969, 10, 17), "male", "(217) 555-0109", "", "Rochester", "phone"),
    (
        "Margaret",
        "Sullivan",
        date(1952, 2, 23),
        "female",
        "(217) 555-0182",
        "msullivan@example.com",
        "Springfield",
        "phone",
    ),
    ("Matthew", "Kim", date(1985, 8, 11), "male", "(217) 555-0128", "mkim@example.com", "Chatham", "email"),
    ("Sandra", "Alvarez", date(1980, 6, 4), "female", "(217) 555-0175", "salvarez@example.com", "Springfield", "sms"),
    ("Anthony", "Rossi", date(1961, 11, 28), "male", "(217) 555-0146", "", "Springfield", "phone"),
    ("Ashley", "Bergström", date(1994, 9, 15), "female", "(217) 555-0119", "ashley.b@example.com", "Riverton", "email"),
    ("Mark", "Goldberg", date(1970, 1, 31), "male", "(217) 555-0160", "mgoldberg@example.com", "Springfield", "email"),
    ("Emily", "Nakamura", date(1987, 5, 22), "female", "(217) 555-0131", "enakamura@example.com", "Sherman", "sms"),
    ("Steven", "Mensah", date(1976, 12, 8), "male", "(217) 555-0197", "", "Springfield", "phone"),
    ("Michelle", "Castillo", date(1984, 7, 19), "female", "(217) 555-0143", "mcastillo@example.com", "Auburn", "email"),
    (
        "Paul",
        "Henderson",
        date(1957, 4, 26),
        "male",
        "(217) 555-0152",
        "phenderson@example.com",
        "Springfield",
        "phone",
    ),
    ("Grace", "Liu", date(1991, 3, 13), "female", "(217) 555-0188", "grace.liu@example.com", "Springfield", "sms"),
]


# --- clinical history ------------------------------------------------------------------------
# Like `pages.views`, this is the top of the dependency graph: it may import every app.

SESSION_POINT_SETS = [
    ["BL23", "BL25", "BL40", "BL60", "GB30", "GB34"],
    ["BL23", "BL25", "EX-B2", "GB30", "BL40", "KI3"],
    ["GV4", "BL23", "BL52", "EX-B7", "BL40", "ST36"],
    ["BL25", "BL26", "GB30", "GB31", "GB34", "BL57", "LR3"],
]
CHIEF_COMPLAINTS = [
    "Low back pain radiating down the left leg to the foot",
    "Right-sided sciatica after lifting boxes",
    "Chronic low back ache, worse sitting",
    "Buttock and thigh pain on the left, pins and needles in the calf",
]


def seed_history(*, practitioner, front_desk, today: date | None = None) -> int:
    """Intakes, plans and sessions for the demo patients who have none yet; returns how many got one.

    Deterministic: the same patients always get the same history relative to `today`.
    """
    import random

    from django.utils import timezone

    from clinic.models import Patient
    from intake.models import Intake
    from intake.services import record_intake
    from treatments.models import Point, TreatmentPlan
    from treatments.services import sign_session

    today = today or timezone.localdate()
    points = Point.objects.in_bulk(field_name="code")
    seeded = 0
    patients = list(Patient.objects.order_by("chart_number")[:24])
    # One woman of child-bearing age is pregnant, so the pregnancy precautions show in the demo.
    pregnant = next((i for i, p in enumerate(patients) if p.sex == "female" and p.date_of_birth.year > 1985), -1)
    for index, patient in enumerate(patients):
        if Intake.objects.filter(patient=patient).exists():
            continue
        rng = random.Random(patient.chart_number)  # noqa: S311 - demo data, not secrets
        weeks_ago = 1 + index % 9
        intake = Intake(
            patient=patient,
            chief_complaint=CHIEF_COMPLAINTS[index % len(CHIEF_COMPLAINTS)],
            pain_locations=["low_back", "buttock", "thigh", "calf"][: 2 + index % 3],
            pain_side=["left", "right", "left", "right"][index % 4],
            radiates_below_knee=index % 2 == 0,
            onset_date=today - timedelta(weeks=weeks_ago + 4 + index % 12),
            suspected_cause="pregnancy"
            if index == pregnant
            else ["disc_herniation", "piriformis", "spinal_stenosis", "unknown"][index % 4],
            pain_now=rng.randint(4, 8),
            pain_worst_week=rng.randint(6, 10),
            sleep_quality="poor" if index % 3 else "fair",
            pregnant=index == pregnant,
            pregnancy_weeks=22 if index == pregnant else None,
            anticoagulants=index == 7,
            implanted_device=index == 9,
            # One patient reports saddle numbness: the red-flag stop shows on the dashboard.
            **{key: index == 23 and key == "saddle_anaesthesia" for key in _red_flag_keys()},
            **{f"phq9_{n}": rng.choice([0, 0, 1, 1, 2]) for n in range(1, 9)},
            phq9_9=0,
        )
        record_intake(
            intake=intake,
            consent_modalities=["needling", "electroacupuncture", "cupping", "tui_na", "moxibustion"],
            consent_name=patient.full_name,
            user=front_desk,
        )
        if index == 23:
            seeded += 1
            continue
        plan = TreatmentPlan.objects.create(
            patient=patient,
            practitioner=practitioner,
            diagnosis_codes=[["M54.42", "M54.41", "M54.50", "M51.16"][index % 4]],
            tcm_pattern=["blood_stagnation", "kidney_deficiency", "cold_damp_bi", "liver_kidney_yin"][index % 4],
            planned_sessions=[8, 10, 12][index % 3],
            start_date=today - timedelta(weeks=weeks_ago),
            goals="Walk 30 minutes and sit through a work day without leg pain; ODI below 20.",
        )
        codes = SESSION_POINT_SETS[index % len(SESSION_POINT_SETS)]
        if index == pregnant:  # pregnant: no lumbosacral or forbidden points
            codes = ["GB34", "ST36", "KI3", "GB31"]
        count = min(plan.planned_sessions, weeks_ago * 2)
        pain = rng.randint(6, 8)
        for number in range(count):
            day = plan.start_date + timedelta(days=round(number * 3.5))
            started = timezone.make_aware(datetime.combine(day, time(9 + number % 8, 0)))
            session = _save_demo_session(
                plan=plan,
                index=index,
                number=number,
                started=started,
                pain=pain,
                codes=codes,
                electro=index % 3 == 0 and index not in (pregnant, 9),
                rng=rng,
                points=points,
            )
            if number < count - 1:  # the latest note is left for the practitioner to sign
                sign_session(session=session, user=practitioner)
            pain = max(1, pain - rng.choice([0, 0, 1]))
        _seed_questionnaires(plan=plan, index=index, rng=rng, today=today)
        seeded += 1
    return seeded


def _save_demo_session(
    *, plan, index: int, number: int, started, pain: int, codes: list[str], electro: bool, rng, points
):
    """One demo session through `save_session`, as the form saves it, with its draws from `rng` in a fixed
    order, so the same patient always gets the same note. `index` is the patient's place among the demo
    patients (their Tui Na, cautions and bruising), `number` the session's place in the plan."""
    from treatments.models import Session
    from treatments.services import save_session

    minutes = rng.choice([25, 30, 35, 45])
    # Needles re-inserted for each further 15 minutes (one for 25-35 minutes, two for 45), so the
    # superbills show add-ons; now and then a 45-minute visit leaves them in for its last unit.
    reinsertions = 1 if minutes < 38 or number % 3 == 2 else 2
    return save_session(
        session=Session(
            plan=plan,
            practitioner=plan.practitioner,
            started_at=started,
            contact_minutes=minutes,
            reinsertions=reinsertions,
            pain_before=pain,
            pain_after=max(0, pain - rng.randint(1, 3)),
            tuina_minutes=15 if index % 4 == 1 else 0,
            tuina_techniques=["rolling", "kneading"] if index % 4 == 1 else [],
            subjective=f"Pain {pain}/10; {'sleeping better' if number else 'first visit'}.",
            assessment="Responding to treatment." if number > 2 else "",
            cautions_acknowledged=index == 7,
        ),
        point_rows=[
            {"code_point": points[code], "side": "B", "technique": "even", "retention_minutes": 25} for code in codes
        ],
        electro_rows=[
            {
                "point_a_point": points["GB30"],
                "point_b_point": points["GB34"],
                "frequency_hz": 2,
                "waveform": "dense_disperse",
                "minutes": 20,
            }
        ]
        if electro
        else [],
        adverse_rows=[{"kind": "bruising", "severity": "mild"}] if number == 2 and index % 5 == 0 else [],
    )


def _seed_questionnaires(*, plan, index: int, rng, today: date) -> None:
    """Weekly questionnaires with a believable course: most improve, some plateau, a few are overdue.

    Each is answered at 8:00 on its due day, so baselines come before the first session (9:00), except
    for one patient who answered the baseline that evening; one reports a warning sign in the latest week.
    """
    from django.utils import timezone

    from outcomes.models import ODI_FIELDS, Questionnaire
    from outcomes.services import schedule_due, submit_questionnaire
    from outcomes.summary import refresh_outcomes

    schedule_due(today=today, plans=type(plan).objects.filter(pk=plan.pk))
    due = list(Questionnaire.objects.filter(plan=plan).order_by("due_date"))
    start_level = 2 + index % 3  # ODI sections around 2-4 at baseline: 40-80 %
    weekly_gain = [0.45, 0.3, 0.15, 0.05][index % 4]
    for number, questionnaire in enumerate(due):
        if number >= len(due) - 2 and index % 5 == 2:
            continue  # the last two left unanswered: the older one is overdue on the dashboard
        level = max(0.0, start_level - weekly_gain * questionnaire.week)
        odi = [min(5, max(0, round(level + rng.choice([-1, 0, 0, 1])))) for _ in ODI_FIELDS]
        if index % 2:
            odi[7] = None  # sex life skipped, as it often is
        answers = dict(zip(ODI_FIELDS, odi, strict=True))
        leg = max(0, min(10, round(7 - weekly_gain * 2 * questionnaire.week) + rng.choice([-1, 0, 1])))
        answers |= {
            "back_pain_now": max(0, leg - 1),
            "back_pain_worst": min(10, leg + 1),
            "leg_pain_now": leg,
            "leg_pain_worst": min(10, leg + 2),
            "analgesic_days": max(0, min(7, round(5 - weekly_gain * 2 * questionnaire.week))),
            "work_days_off": max(0, min(7, 2 - questionnaire.week // 3)),
            "saddle_anaesthesia": False,
            "bladder_dysfunction": False,
            "bowel_incontinence": False,
            "bilateral_sciatica": False,
            "motor_weakness": False,
            "sexual_dysfunction": False,
        }
        if questionnaire.includes_phq9:
            answers |= {f"phq9_{n}": rng.choice([0, 0, 1]) for n in range(1, 9)} | {"phq9_9": 0}
        if questionnaire.week >= 1:
            # The PGIC (1 very much improved ... 7 very much worse): "no change" at first, better as the ODI falls.
            answers["pgic"] = max(
                1, min(7, round(4 - weekly_gain * 1.5 * questionnaire.week) + rng.choice([-1, 0, 0, 1]))
            )
        if index == 11 and number == len(due) - 1:
            answers["bilateral_sciatica"] = True  # a warning sign between visits: referral, alert, dashboard
        submit_questionnaire(questionnaire=questionnaire, answers=answers, source="online")
        hour = 20 if index == 6 and questionnaire.week == 0 else 8
        answered = timezone.make_aware(datetime.combine(questionnaire.due_date, time(hour)))
        Questionnaire.objects.filter(pk=questionnaire.pk).update(
            submitted_at=answered, answered_on=questionnaire.due_date
        )
    refresh_outcomes([plan.pk])


def _red_flag_keys():
    from intake.rules import RED_FLAG_KEYS

    return RED_FLAG_KEYS


# --- the appointment book ----------------------------------------------------------------------
# The history above was laid out before the clinic kept an appointment book: it puts several patients in
# the same hour, on any day of the week. The book covers this week and next, within the opening hours.

NEW_PATIENT_NOTE = "First visit: intake form at the desk"
REVIEW_NOTE = "End-of-course review"
REFERRED_NOTE = "Review with the practitioner before any further treatment"
# The course booked as a series: what is left of it, twice weekly, then weekly.
COURSE_FREQUENCY = "twice weekly for 2 weeks, then weekly"


def seed_schedule(*, practitioner, front_desk) -> int:
    """This week's and next week's appointments (Monday to Saturday) of the demo's acupuncturist; returns
    how many were made: none when the book already holds appointments, so a second run adds nothing.

    Today, around the time of the run: a visit completed with its session linked, a patient arrived whose
    session is logged but not yet linked to the visit, one arrived and not yet seen, and visits booked for
    later (a new patient without an intake, the patient with an open referral). The days before: the
    history's sessions that fit the practitioner's day as completed visits, a no-show and a late
    cancellation. The first plan still in progress is booked as a series (`book_course`), so its plan page
    shows visits booked, attended and the adherence; the other plans' next visits, end-of-course reviews
    and new patients' first visits are booked one by one, and one of next week's is cancelled.

    Visits to come go through the services (`book_appointment`, `book_course`, `check_in`,
    `complete_appointment`, `cancel_appointment`). The services refuse the past, so the rows of past visits
    (and of today's that have begun) are written here directly, with their slot rows on the lowest free
    lane and bed, as the services choose them.
    """
    from scheduling.models import Appointment

    if Appointment.objects.exists():
        return 0
    return _Book(practitioner=practitioner, front_desk=front_desk).seed()


def _days(first: date, stop: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((stop - first).days)]


class _Book:
    """The demo's appointment book as it is filled in: the quarter hours taken, what each plan has left."""

    def __init__(self, *, practitioner, front_desk):
        from django.utils import timezone

        from clinic.models import Patient, default_location_id
        from intake.models import Referral
        from scheduling.models import ScheduleSettings, opening_hours
        from treatments.models import PlanStatus, TreatmentPlan

        self.practitioner, self.front_desk = practitioner, front_desk
        self.now, self.today = timezone.now(), timezone.localdate()
        location = default_location_id()  # the demo is one clinic
        self.config, self.hours = ScheduleSettings.load(), opening_hours([location])[location]
        self.taken: set[datetime] = set()  # the practitioner's quarter hours held so far (the book is empty)
        self.made: list = []
        self.reviewed: set[int] = set()  # plans whose review is booked
        patients = list(Patient.objects.order_by("chart_number").values_list("pk", flat=True))
        self.index = {pk: index for index, pk in enumerate(patients)}  # as seed_history numbers them
        referred = set(Referral.objects.open().values_list("patient_id", flat=True))
        plans = list(
            TreatmentPlan.objects.filter(practitioner=practitioner, status=PlanStatus.ACTIVE)
            .select_related("patient", "practitioner")
            .order_by("patient__chart_number")
        )
        self.left = {plan.pk: plan.planned_sessions - plan.session_count for plan in plans}  # visits to book
        # In progress: visits left to book, and a session before (whose points the next one repeats).
        self.in_progress = [
            p for p in plans if self.left[p.pk] > 0 and p.session_count and p.patient_id not in referred
        ]
        self.finished = [p for p in plans if self.left[p.pk] <= 0 and p.patient_id not in referred]
        self.referred = [p for p in plans if p.patient_id in referred]
        self.new_patients = list(
            Patient.objects.filter(intakes__isnull=True).exclude(pk__in=referred).order_by("chart_number")
        )
        monday = self.today - timedelta(days=self.today.weekday())
        # The days before today: this week's, and at least the last three the clinic was open.
        day, opened = self.today, 0
        while opened < 3 and day > self.today - timedelta(days=14):
            day -= timedelta(days=1)
            opened += bool(self.hours.get(day.weekday()))
        self.past_days = [d for d in _days(min(monday, day), self.today) if self.hours.get(d.weekday())]
        self.future_days = [
            d for d in _days(self.today + timedelta(days=1), monday + timedelta(days=13)) if self.hours.get(d.weekday())
        ]

    # --- times ---

    def at(self, day: date, moment: time) -> datetime:
        from django.utils import timezone

        return timezone.make_aware(datetime.combine(day, moment))

    def fits(self, start: datetime, minutes: int) -> bool:
        from django.utils import timezone

        from scheduling import rules

        local = timezone.localtime(start)
        return (
            rules.on_grid(local, minutes)
            and rules.within_hours(local, minutes, self.hours)
            and not self.taken.intersection(rules.slot_starts(start, minutes))
        )

    def free_start(self, day: date, minutes: int, prefer: time, *, after: datetime | None = None):
        """The free start on `day` nearest to `prefer`, from `after` on; None when nothing is free."""
        from scheduling.rules import SLOT_MINUTES

        wanted, starts = self.at(day, prefer), []
        for opens, closes in self.hours.get(day.weekday(), []):
            start, end = self.at(day, opens), self.at(day, closes)
            while start + timedelta(minutes=minutes) <= end:
                starts.append(start)
                start += timedelta(minutes=SLOT_MINUTES)
        starts = [s for s in starts if (after is None or s >= after) and self.fits(s, minutes)]
        return min(starts, key=lambda s: (abs(s - wanted), s), default=None)

    # --- writing ---

    def add(self, *, start: datetime, minutes: int, kind: str, plan=None, patient=None, status: str = "", **fields):
        """One visit: booked through `book_appointment` while it is still to come, else written directly
        (with its slot rows when it holds its time)."""
        from scheduling import rules, services
        from scheduling.models import HOLDING, Appointment, Status

        patient = patient or plan.patient
        status = status or Status.BOOKED
        # A few minutes' margin: the service checks "not in the past" against its own clock, a moment later.
        if status == Status.BOOKED and start > self.now + timedelta(minutes=5):
            appointment = services.book_appointment(
                patient=patient,
                practitioner=self.practitioner,
                start=start,
                minutes=minutes,
                kind=kind,
                plan=plan,
                user=self.front_desk,
                **fields,
            )
        else:
            appointment = Appointment.objects.create(
                patient=patient,
                practitioner=self.practitioner,
                start=start,
                minutes=minutes,
                kind=kind,
                plan=plan,
                status=status,
                booked_by=self.front_desk,
                **fields,
            )
            if status in HOLDING:
                services.hold_slots([appointment])
        if status in HOLDING:
            self.taken.update(rules.slot_starts(start, minutes))
        self.made.append(appointment)
        return appointment

    def log_session(self, plan, started: datetime):
        """The plan's next session, made as seed_history makes them, on the points of the one before; that
        one is signed first, so every plan's latest note is still the one left to sign. Never in the future
        (the session form refuses it): a demo seeded before opening dates it now."""
        import random

        from treatments.models import Point, Session
        from treatments.services import sign_session

        for unsigned in Session.objects.filter(plan=plan, signed_at__isnull=True).select_related("practitioner"):
            sign_session(session=unsigned, user=unsigned.practitioner)
        last = Session.objects.filter(plan=plan).order_by("-started_at").first()
        number = Session.objects.filter(plan=plan).count()
        rng = random.Random(f"{plan.patient.chart_number}-{number}")  # noqa: S311 - demo data, not secrets
        codes = list(last.points.order_by("position").values_list("point__code", flat=True))
        session = _save_demo_session(
            plan=plan,
            index=self.index[plan.patient_id],
            number=number,
            started=min(started, self.now),
            pain=max(1, last.pain_before - rng.choice([0, 0, 1])),
            codes=codes,
            electro=last.electro_pairs.exists(),
            rng=rng,
            points=Point.objects.in_bulk(codes, field_name="code"),
        )
        return session

    def days_of(self, patient_id: int) -> set[date]:
        from django.utils import timezone

        return {timezone.localtime(a.start).date() for a in self.made if a.patient_id == patient_id}

    # --- the book ---

    def seed(self) -> int:
        course, others = (self.in_progress[0], self.in_progress[1:]) if self.in_progress else (None, [])
        self.past(course, others)
        self.today_visits(course, others)
        if course is not None and self.left[course.pk] > 0:
            self.book_course(course)
        self.coming_weeks(others)
        return len(self.made)

    def past(self, course, others) -> None:
        """The history's sessions of the days before today as completed visits where they fit the day (the
        history may put several patients in one hour); the course's patient missed a visit, and another
        patient cancelled one late."""
        from django.db.models import Min

        from scheduling.models import CancelReason, Kind, Status
        from treatments.models import Session

        if not self.past_days:
            return
        start, end = self.at(self.past_days[0], time.min), self.at(self.today, time.min)
        sessions = Session.objects.filter(practitioner=self.practitioner, started_at__gte=start, started_at__lt=end)
        firsts = dict(
            Session.objects.values("plan_id").annotate(first=Min("started_at")).values_list("plan_id", "first")
        )
        for session in sessions.select_related("plan__patient").order_by("started_at", "patient__chart_number"):
            kind, minutes = Kind.TREATMENT, self.config.treatment_minutes
            if firsts[session.plan_id] == session.started_at:  # the plan's first session: the new patient visit
                kind, minutes = Kind.NEW_PATIENT, self.config.new_patient_minutes
            if self.fits(session.started_at, minutes):
                self.add(
                    plan=session.plan,
                    start=session.started_at,
                    minutes=minutes,
                    kind=kind,
                    status=Status.COMPLETED,
                    session=session,
                    arrived_at=session.started_at - timedelta(minutes=6),
                    status_changed_by=self.practitioner,
                )
        minutes = self.config.treatment_minutes
        # The no-show on the latest day the patient had no visit, the cancellation on the earliest.
        missed = [(course, Status.NO_SHOW, reversed(self.past_days), time(16))]
        missed += [(plan, Status.CANCELLED, iter(self.past_days), time(10)) for plan in others[:1]]
        for plan, status, days, prefer in missed:
            if plan is None:
                continue
            busy = self.days_of(plan.patient_id)
            day = next((d for d in days if d not in busy and self.free_start(d, minutes, prefer)), None)
            if day is None:
                continue
            start = self.free_start(day, minutes, prefer)
            fields = {"status_changed_by": self.front_desk}
            if status == Status.CANCELLED:
                fields |= {
                    "cancel_reason": CancelReason.PATIENT_LATE,
                    "cancel_note": "Rang in the morning: car trouble",
                    "cancelled_at": start - timedelta(hours=3),
                    "cancelled_by": self.front_desk,
                }
            self.add(plan=plan, start=start, minutes=minutes, kind=Kind.TREATMENT, status=status, **fields)

    def today_visits(self, course, others) -> None:
        """Today around the time of the run (held inside the opening hours): a visit completed with its
        session linked, one arrived whose session is logged, one arrived and waiting, then the rest booked."""
        from django.utils import timezone

        from scheduling import services
        from scheduling.models import Kind, Status

        periods = self.hours.get(self.today.weekday(), [])
        if not periods:
            return  # closed today
        opens, closes = max(
            periods, key=lambda p: datetime.combine(self.today, p[1]) - datetime.combine(self.today, p[0])
        )
        day_open, day_close = self.at(self.today, opens), self.at(self.today, closes)
        treatment = timedelta(minutes=self.config.treatment_minutes)
        review = timedelta(minutes=self.config.review_minutes)
        if day_close - day_open < 3 * treatment + review:
            return  # too short a day for the picture
        local = timezone.localtime(self.now)
        quarter = local.replace(minute=local.minute - local.minute % 15, second=0, microsecond=0)
        pivot = min(max(quarter, day_open + 2 * treatment), day_close - treatment - review)
        minutes = self.config.treatment_minutes
        if course is not None:  # seen and logged from the appointment: completed, its session linked
            visit = self.add(plan=course, start=pivot - 2 * treatment, minutes=minutes, kind=Kind.TREATMENT)
            session = self.log_session(course, visit.start)
            services.complete_appointment(appointment=visit, session=session, user=self.practitioner)
            self.left[course.pk] -= 1
        if others:  # checked in, and the session logged from the plan: the desk links the two ("Mark completed")
            plan = others[0]
            self.add(
                plan=plan,
                start=pivot - treatment,
                minutes=minutes,
                kind=Kind.TREATMENT,
                status=Status.ARRIVED,
                arrived_at=pivot - treatment - timedelta(minutes=8),
                status_changed_by=self.front_desk,
            )
            self.log_session(plan, pivot - treatment)
            self.left[plan.pk] -= 1
        if len(others) > 1:  # checked in just now, the session still to log ("Start session")
            plan = others[1]
            visit = self.add(plan=plan, start=pivot, minutes=minutes, kind=Kind.TREATMENT)
            services.check_in(appointment=visit, user=self.front_desk)
            self.left[plan.pk] -= 1
        later = []
        if self.new_patients:
            later.append({"patient": self.new_patients[0], "kind": Kind.NEW_PATIENT, "notes": NEW_PATIENT_NOTE})
        later += [{"plan": plan, "kind": Kind.REVIEW, "notes": REFERRED_NOTE} for plan in self.referred[:1]]
        for k in range(2):
            later += [{"plan": plan, "kind": Kind.TREATMENT} for plan in others[2 + k : 3 + k]]
            later += [{"plan": plan, "kind": Kind.REVIEW, "notes": REVIEW_NOTE} for plan in self.finished[k : k + 1]]
        cursor = pivot + treatment
        for visit in later:
            minutes = self.config.minutes_for(visit["kind"])
            if cursor + timedelta(minutes=minutes) > day_close or not self.fits(cursor, minutes):
                continue
            self.add(start=cursor, minutes=minutes, **visit)
            self.mark_booked(visit)
            cursor += timedelta(minutes=minutes + 15)

    def mark_booked(self, visit: dict) -> None:
        from scheduling.models import Kind

        if visit["kind"] == Kind.NEW_PATIENT:
            self.new_patients.remove(visit["patient"])
        elif visit["kind"] == Kind.REVIEW:
            self.reviewed.add(visit["plan"].pk)
        else:
            self.left[visit["plan"].pk] -= 1

    def book_course(self, plan) -> None:
        """The rest of the course as a series from tomorrow, at 17:00 on Mondays and Thursdays."""
        from scheduling import rules, services

        visits = services.book_course(
            plan=plan,
            practitioner=self.practitioner,
            phases=rules.suggest_phases(COURSE_FREQUENCY, self.left[plan.pk]),
            first_day=self.today + timedelta(days=1),
            at=time(17),
            minutes=self.config.treatment_minutes,
            user=self.front_desk,
        )
        for visit in visits:
            self.taken.update(rules.slot_starts(visit.start, visit.minutes))
        self.made += visits
        self.left[plan.pk] -= len(visits)

    def coming_weeks(self, others) -> None:
        """The other plans' next visits, twice a week; the finished courses' reviews; the new patients' first
        visits; the referred patient's review; and one of next week's visits cancelled by the patient."""
        from django.utils import timezone

        from scheduling import services
        from scheduling.models import CancelReason, Kind

        days, treatment = self.future_days, self.config.treatment_minutes
        if not days:
            return
        pairs, hours = [(1, 4), (2, 5), (0, 3)], [9, 11, 14, 16, 10, 15, 13]
        for k, plan in enumerate(others):
            for day in (d for d in days if d.weekday() in pairs[k % len(pairs)]):
                if self.left[plan.pk] <= 0:
                    break
                if start := self.free_start(day, treatment, time(hours[k % len(hours)])):
                    self.add(plan=plan, start=start, minutes=treatment, kind=Kind.TREATMENT)
                    self.left[plan.pk] -= 1
        visits = [{"plan": p, "kind": Kind.REVIEW, "notes": REVIEW_NOTE} for p in self.finished]
        visits += [{"plan": p, "kind": Kind.REVIEW, "notes": REFERRED_NOTE} for p in self.referred]
        visits = [v for v in visits if v["plan"].pk not in self.reviewed]
        visits += [{"patient": p, "kind": Kind.NEW_PATIENT, "notes": NEW_PATIENT_NOTE} for p in self.new_patients]
        for k, visit in enumerate(visits):
            minutes = self.config.minutes_for(visit["kind"])
            day = days[(2 * k + 1) % len(days)]
            if start := self.free_start(day, minutes, time([10, 12, 15, 8, 17, 9, 14][k % 7])):
                self.add(start=start, minutes=minutes, **visit)
        next_monday = self.today + timedelta(days=7 - self.today.weekday())
        cancelled = next(
            (
                a
                for a in self.made
                if a.kind == Kind.TREATMENT
                and a.series_id is None
                and timezone.localtime(a.start).date() >= next_monday
            ),
            None,
        )
        if cancelled is not None:
            services.cancel_appointment(
                appointment=cancelled,
                reason=CancelReason.PATIENT,
                note="Work meeting",
                user=self.front_desk,
            )
