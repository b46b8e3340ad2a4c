"""The demo clinic's fixed data: staff logins and ~30 realistic patients (used by `seed_demo`)."""

from datetime import date

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
    from datetime import datetime, time, timedelta

    from django.utils import timezone

    from clinic.models import Patient
    from intake.models import Intake
    from intake.services import record_intake
    from treatments.models import Point, Session, TreatmentPlan
    from treatments.services import save_session, sign_session

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
            electro = index % 3 == 0 and index not in (pregnant, 9)
            minutes = rng.choice([25, 30, 35, 45])
            # Needles re-inserted for each further 15 minutes (one for 25-35 minutes, two for 45), so the
            # superbills show add-ons; now and then a 45-minute visit leaves them in for its last unit.
            reinsertions = 1 if minutes < 38 or number % 3 == 2 else 2
            session = save_session(
                session=Session(
                    plan=plan,
                    practitioner=practitioner,
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
                    {"code_point": points[code], "side": "B", "technique": "even", "retention_minutes": 25}
                    for code in codes
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
            if number < count - 1:  # the latest note is left for the practitioner to sign
                sign_session(session=session, user=practitioner)
            pain = max(1, pain - rng.choice([0, 0, 1]))
        _seed_questionnaires(plan=plan, index=index, rng=rng, today=today)
        seeded += 1
    return seeded


def _seed_questionnaires(*, plan, index: int, rng, today: date) -> None:
    """Weekly questionnaires with a believable course: most improve, some plateau, a few are overdue.

    Each is answered at 8:00 on its due day, so baselines come before the first session (9:00), except
    for one patient who answered the baseline that evening; one reports a warning sign in the latest week.
    """
    from datetime import datetime, time

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
