from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from tests.factories import IntakeFactory, TreatmentPlanFactory


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
