from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from tests.factories import IntakeFactory, TreatmentPlanFactory


def book(patient, practitioner, start, user, minutes=60, **extra):
    """A treatment visit booked through the schedule's service, as the booking form books it."""
    from scheduling import services

    return services.book_appointment(
        patient=patient, practitioner=practitioner, start=start, minutes=minutes, kind="treatment", user=user, **extra
    )


def at(day, hour: int, minute: int = 0) -> datetime:
    """An aware datetime in the clinic's time zone."""
    return timezone.make_aware(datetime(day.year, day.month, day.day, hour, minute))


def next_weekday(weekday: int, *, weeks_ahead: int = 1):
    """A date of that weekday (0=Monday) at least a week from today, so bookings are in the future."""
    day = timezone.localdate() + timedelta(days=7 * weeks_ahead)
    return day + timedelta(days=(weekday - day.weekday()) % 7)


@pytest.fixture
def plan(acupuncturist):
    intake = IntakeFactory()
    return TreatmentPlanFactory(patient=intake.patient, practitioner=acupuncturist, planned_sessions=10)


@pytest.fixture
def patient(plan):
    return plan.patient
