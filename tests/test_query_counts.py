"""Staff pages read a bounded number of queries, whatever the data (issue 7).

Every key page is measured on a small clinic and on one ten times larger; both must stay within the
budget. (The dashboard adds one count query once a panel is full: a step, not growth.)
"""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from outcomes.models import Questionnaire
from scheduling.models import Appointment
from tests.factories import IntakeFactory, SessionFactory, TreatmentPlanFactory

BUDGET = 15


def build_clinic(patients: int, practitioner):
    """Patients with an intake, a plan, sessions with points, and weekly questionnaires (some overdue)."""
    plans = []
    today = timezone.localdate()
    for n in range(patients):
        plan = TreatmentPlanFactory(
            practitioner=practitioner, patient=IntakeFactory(phq9_9=1 if n % 7 == 0 else 0).patient
        )
        for week in range(4):
            SessionFactory(plan=plan, started_at=timezone.now() - timedelta(days=30 - week * 7), signed=week < 3)
            Questionnaire.objects.create(
                patient=plan.patient,
                plan=plan,
                due_date=today - timedelta(days=28 - week * 7),
                week=week,
                odi_score=40 - week * 4 if week < 3 else None,
                analgesic_days=4,
                work_days_off=1,
                submitted_at=timezone.now() if week < 3 else None,
            )
        # The day: a visit today in each state, one of last week's, and a patient checked in yesterday
        # whose note is missing.
        status = ["booked", "arrived", "completed", "no_show", "booked"][n % 5]
        start = timezone.now().replace(hour=9, minute=0, second=0, microsecond=0) + timedelta(minutes=15 * n)
        Appointment.objects.create(
            patient=plan.patient,
            practitioner=practitioner,
            plan=plan,
            start=start,
            minutes=60,
            status=status,
            booked_by=practitioner,
        )
        Appointment.objects.create(
            patient=plan.patient,
            practitioner=practitioner,
            plan=plan,
            start=start - timedelta(days=7),
            minutes=60,
            status="completed",
            booked_by=practitioner,
        )
        if n % 10 == 0:
            Appointment.objects.create(
                patient=plan.patient,
                practitioner=practitioner,
                plan=plan,
                start=start - timedelta(days=1),
                minutes=60,
                status="arrived",
                booked_by=practitioner,
            )
        plans.append(plan)
    return plans


def pages(plan):
    session = plan.sessions.order_by("started_at").first()
    questionnaire = plan.questionnaires.order_by("due_date").first()
    return {
        "dashboard": ("lac", reverse("pages:dashboard")),
        "patient search": ("desk", reverse("clinic:patient-list") + f"?q={plan.patient.family_name[:4]}"),
        "patient chart": ("lac", reverse("pages:patient-detail", args=[plan.patient.pk])),
        "intake": ("lac", reverse("intake:intake-detail", args=[plan.patient.intakes.first().pk])),
        "plan": ("lac", reverse("treatments:plan-detail", args=[plan.pk])),
        "session form": ("lac", reverse("treatments:session-create", args=[plan.pk])),
        "session": ("lac", reverse("treatments:session-detail", args=[session.pk])),
        "superbill": ("desk", reverse("treatments:superbill", args=[session.pk])),
        "protocols": ("lac", reverse("treatments:protocol-list")),
        "questionnaire": ("lac", reverse("outcomes:questionnaire-detail", args=[questionnaire.pk])),
        "outcomes report": ("boss", reverse("outcomes:report")),
        "audit log": ("boss", reverse("clinic:audit-log")),
        "day sheet (front desk)": ("desk", reverse("pages:day-sheet")),
        "day sheet (acupuncturist)": ("lac", reverse("pages:day-sheet")),
        "week view": ("desk", reverse("scheduling:week-view")),
        "appointment": ("desk", reverse("scheduling:appointment-detail", args=[plan.appointments.first().pk])),
        "course booking": ("desk", reverse("scheduling:course-book", args=[plan.pk])),
    }


def measure(clients, plan) -> dict[str, int]:
    result = {}
    for name, (who, url) in pages(plan).items():
        clients[who].get(url)  # warm per-process caches (content types, sessions renewed)
        with CaptureQueriesContext(connection) as queries:
            assert clients[who].get(url).status_code == 200, name
        result[name] = len(queries)
    return result


@pytest.fixture
def clients(desk_client, lac_client, manager_client):
    return {"desk": desk_client, "lac": lac_client, "boss": manager_client}


def test_staff_pages_stay_within_budget_on_ten_times_the_data(clients, acupuncturist):
    first = build_clinic(3, acupuncturist)[0]
    small = measure(clients, first)
    build_clinic(27, acupuncturist)
    large = measure(clients, first)
    over = {name: (small[name], large[name]) for name in small if max(small[name], large[name]) > BUDGET}
    assert not over, f"over {BUDGET} queries (small, large): {over}"
    grew = {name: (small[name], large[name]) for name in small if large[name] > small[name] + 1}
    assert not grew, f"query count grew with the data: {grew}"
