import pytest
from django.utils import timezone

from outcomes.models import Questionnaire
from tests.factories import SessionFactory, TreatmentPlanFactory


@pytest.fixture
def plan(acupuncturist):
    """An active plan with one session."""
    plan = TreatmentPlanFactory(practitioner=acupuncturist)
    SessionFactory(plan=plan)
    return plan


@pytest.fixture
def questionnaire(plan):
    """The week-1 questionnaire of `plan`, due today and not yet answered."""
    return Questionnaire.objects.create(patient=plan.patient, plan=plan, due_date=timezone.localdate(), week=1)
