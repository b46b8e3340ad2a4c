from datetime import date

import factory
from django.contrib.auth.models import Group, User

from clinic.models import Patient, StaffProfile
from clinic.services import register_patient


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
