from datetime import date, timedelta

import factory
from django.contrib.auth.models import Group, User
from django.utils import timezone

from clinic.models import Patient, StaffProfile
from clinic.services import register_patient
from treatments.billing import timed_units


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"staff{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@clinic.example")
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery")

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if extracted:
            self.groups.add(Group.objects.get(name=extracted))
        if create:
            self.save()


class StaffProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StaffProfile

    user = factory.SubFactory(UserFactory)
    credentials = "L.Ac., Dipl. OM"
    licence_number = factory.Sequence(lambda n: f"AC-{n:05d}")
    licence_state = "IL"
    npi = "1234567893"


class PatientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Patient

    given_name = factory.Faker("first_name")
    family_name = factory.Faker("last_name")
    date_of_birth = factory.Faker("date_between", start_date=date(1940, 1, 1), end_date=date(2004, 12, 31))
    sex = factory.Iterator(["female", "male"])
    phone = factory.Sequence(lambda n: f"(217) 555-{n % 10000:04d}")
    email = factory.LazyAttribute(lambda p: f"{p.given_name}.{p.family_name}@example.com".lower())

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return register_patient(patient=model_class(*args, **kwargs))


def intake_defaults(**overrides) -> dict:
    """A complete, clean intake: every red flag answered no, PHQ-9 answered, no precautions."""
    from intake import rules

    values = {
        "chief_complaint": "Low back pain radiating down the left leg",
        "pain_locations": ["low_back", "buttock", "thigh"],
        "pain_side": "left",
        "radiates_below_knee": False,
        "onset_date": date(2026, 9, 1),
        "suspected_cause": "disc_herniation",
        "pain_now": 6,
        "pain_worst_week": 8,
        "sleep_quality": "poor",
        **dict.fromkeys(rules.RED_FLAG_KEYS, False),
        **{f"phq9_{n}": 0 for n in range(1, 10)},
    }
    values.update(overrides)
    return values


class IntakeFactory(factory.django.DjangoModelFactory):
    """Built through the intake service, so referrals and alerts open as they do in the app."""

    class Meta:
        model = "intake.Intake"

    patient = factory.SubFactory(PatientFactory)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        from intake.services import record_intake

        consents = kwargs.pop("consents", ["needling", "electroacupuncture", "cupping", "tui_na"])
        intake = model_class(**intake_defaults(**kwargs))
        intake, _ = record_intake(intake=intake, consent_modalities=consents, consent_name=intake.patient.full_name)
        return intake


class TreatmentPlanFactory(factory.django.DjangoModelFactory):
    """An active plan for a patient whose intake is clean, so sessions may be logged."""

    class Meta:
        model = "treatments.TreatmentPlan"

    patient = factory.LazyFunction(lambda: IntakeFactory().patient)
    practitioner = factory.SubFactory(UserFactory)
    diagnosis_codes = factory.LazyFunction(lambda: ["M54.42"])
    tcm_pattern = "blood_stagnation"
    planned_sessions = 10
    start_date = date(2026, 10, 1)
    goals = "Walk 30 minutes without leg pain; ODI below 20."


class SessionFactory(factory.django.DjangoModelFactory):
    """A session with points; `signed=True` signs it through the service, as the app does."""

    class Meta:
        model = "treatments.Session"
        skip_postgeneration_save = True

    plan = factory.SubFactory(TreatmentPlanFactory)
    patient = factory.SelfAttribute("plan.patient")
    practitioner = factory.SelfAttribute("plan.practitioner")
    started_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=1))
    contact_minutes = 30
    # A re-insertion for every further unit of time, so every unit bills; pass 0 for needles left in.
    reinsertions = factory.LazyAttribute(lambda session: max(timed_units(session.contact_minutes) - 1, 0))
    pain_before = 6
    pain_after = 3
    subjective = "Leg pain eased for two days after the last visit."

    @factory.post_generation
    def points(self, create, extracted, **kwargs):
        from treatments.models import Point, SessionPoint

        if not create:
            return
        codes = ["BL23", "BL25", "GB30", "BL40"] if extracted is None else extracted
        by_code = Point.objects.in_bulk(codes, field_name="code")
        SessionPoint.objects.bulk_create(
            SessionPoint(session=self, point=by_code[code], side="B", retention_minutes=25, position=i)
            for i, code in enumerate(codes)
        )

    @factory.post_generation
    def counted(self, create, extracted, **kwargs):
        """The plan counts it, as treatments.services.save_session makes it do."""
        from treatments.services import sessions_changed

        if create:
            sessions_changed(plan_ids=[self.plan_id])

    @factory.post_generation
    def signed(self, create, extracted, **kwargs):
        from treatments.services import sign_session

        if create and extracted:
            signed = sign_session(session=self, user=self.practitioner)
            self.signed_at, self.signed_by = signed.signed_at, signed.signed_by


def session_form_data(*, points=(), electro=(), adverse=(), **session) -> dict:
    """POST data for the session form: the session fields plus its three formsets."""
    values = {
        "started_at": timezone.localtime(timezone.now() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "contact_minutes": "30",
        "reinsertions": "1",
        "pain_before": "6",
        "pain_after": "3",
        "tuina_minutes": "0",
        "subjective": "Leg pain 6/10, sleeping better.",
        **session,
    }
    data = {f"session-{key}": value for key, value in values.items() if value is not None}
    for prefix, rows in (("points", points), ("electro", electro), ("adverse", adverse)):
        data[f"{prefix}-TOTAL_FORMS"] = str(len(rows))
        data[f"{prefix}-INITIAL_FORMS"] = "0"
        for index, row in enumerate(rows):
            if isinstance(row, str):
                row = {"code": row, "side": "B", "technique": "even", "retention_minutes": "25"}
            defaults = {"waveform": "dense_disperse"} if prefix == "electro" else {}
            defaults |= {"severity": "mild"} if prefix == "adverse" else {}
            defaults |= {"side": "B", "technique": "even"} if prefix == "points" else {}
            for key, value in {**defaults, **row}.items():
                data[f"{prefix}-{index}-{key}"] = value
    return data


def warning_sign_data(**overrides) -> dict:
    """POST data for the questionnaire's warning signs (its first step online): all 'no'."""
    from intake.rules import CAUDA_EQUINA_KEYS

    return dict.fromkeys(CAUDA_EQUINA_KEYS, "False") | overrides


def questionnaire_data(*, odi=(2, 2, 2, 2, 2, 2, 2, None, 2, 2), phq9=None, pgic=3, **overrides) -> dict:
    """POST data for the whole weekly questionnaire: ODI section scores in order, all warning signs 'no'.

    Online, the warning signs are step 1 and the rest steps 2 to 4, each of which takes its own questions
    from it (posted without a step, it is the whole form at once); on paper it is one form, with the day it
    was filled in (today). The PGIC ("minimally improved" unless
    given) is asked from week 1 on: pass pgic=None for a baseline (week 0).
    """
    from outcomes.models import ODI_FIELDS

    data = {name: "" if value is None else str(value) for name, value in zip(ODI_FIELDS, odi, strict=True)}
    data |= {"back_pain_now": "4", "back_pain_worst": "6", "leg_pain_now": "5", "leg_pain_worst": "7"}
    data |= {"analgesic_days": "3", "work_days_off": "1"}
    data |= warning_sign_data()
    data["answered_on"] = timezone.localdate().isoformat()
    if phq9 is not None:
        data |= {f"phq9_{n}": str(value) for n, value in enumerate(phq9, start=1)}
    if pgic is not None:
        data["pgic"] = str(pgic)
    data.update(overrides)
    return data
