"""Attendance on the outcomes report (issue 17): visits due, no-shows and adherence, worked out by hand.

The visits are written as rows: the booking service refuses the past, and a no-show is recorded only once
its time has come, so a past course cannot be made through them.
"""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from outcomes.report import clinic_attendance, clinic_outcomes
from scheduling.models import Appointment, CancelReason, Status
from tests.factories import TreatmentPlanFactory, UserFactory


def visit(plan, days: float, status=Status.COMPLETED, reason: str = "", *, patient=None):
    """A visit `days` from now (negative: in the past), of `plan` (None: booked outside a course)."""
    start = timezone.now() + timedelta(days=days)
    practitioner = plan.practitioner if plan else patient.plans.first().practitioner
    fields = {}
    if status == Status.CANCELLED:
        fields = {"cancel_reason": reason, "cancelled_at": start - timedelta(days=1), "cancelled_by": practitioner}
    if status in (Status.ARRIVED, Status.COMPLETED):
        fields["arrived_at"] = start
    return Appointment.objects.create(
        patient=patient or plan.patient,
        practitioner=practitioner,
        plan=plan,
        start=start,
        minutes=60,
        status=status,
        booked_by=practitioner,
        **fields,
    )


@pytest.fixture
def courses(acupuncturist):
    other = UserFactory(username="lac2", role="Acupuncturist")
    # A: 4 due (completed, arrived, a no-show, a late cancellation by the patient), 2 attended, 1 no-show.
    # Not due: cancelled by the clinic, cancelled as moved, and one still to come.
    a = TreatmentPlanFactory(
        practitioner=acupuncturist,
        start_date=date(2026, 1, 5),
        baseline_odi=40,
        baseline_before_treatment=True,
        week8_odi=20,
    )
    visit(a, -10)
    visit(a, -1 / 48, Status.ARRIVED)  # checked in half an hour ago
    visit(a, -7, Status.NO_SHOW)
    visit(a, -3, Status.CANCELLED, CancelReason.PATIENT_LATE)
    visit(a, -5, Status.CANCELLED, CancelReason.CLINIC)
    visit(a, -4, Status.CANCELLED, CancelReason.MOVED)
    visit(a, 2, Status.BOOKED)
    # B: another practitioner, a later start, no week-8 score (so not a CSV row): 2 due, 1 attended, 1 no-show.
    b = TreatmentPlanFactory(practitioner=other, start_date=date(2026, 3, 9), baseline_odi=60)
    visit(b, -9)
    visit(b, -2, Status.NO_SHOW)
    # Neither counts: a course without a baseline is not in the report, a visit outside a course is in none.
    c = TreatmentPlanFactory(practitioner=acupuncturist, start_date=date(2026, 2, 2))
    visit(c, -4, Status.NO_SHOW)
    visit(None, -6, Status.NO_SHOW, patient=a.patient)
    return {"a": a, "b": b, "other": other}


def figures(attendance):
    return (
        attendance.due,
        attendance.attended,
        attendance.no_shows,
        attendance.no_show_percent,
        attendance.adherence_percent,
    )


def test_whole_clinic(courses):
    # 6 due (4 + 2), 3 attended, 2 no-shows.
    assert figures(clinic_attendance()) == (6, 3, 2, Decimal("33.3"), Decimal("50.0"))


def test_a_clinic_cancellation_is_not_due_and_a_patients_is(courses, acupuncturist):
    # A alone: 1 no-show of 4 due, 2 attended.
    assert figures(clinic_attendance(practitioner=acupuncturist)) == (4, 2, 1, Decimal("25.0"), Decimal("50.0"))


def test_the_reports_selection_applies(courses):
    assert figures(clinic_attendance(start=date(2026, 2, 1))) == (2, 1, 1, Decimal("50.0"), Decimal("50.0"))
    assert figures(clinic_attendance(end=date(2026, 2, 1))) == (4, 2, 1, Decimal("25.0"), Decimal("50.0"))
    # Only A's baseline came before treatment.
    assert clinic_attendance(before_treatment=True).due == 4
    # The same courses as the report's outcome figures.
    assert clinic_outcomes().with_baseline == 2


def test_a_visit_falls_due_when_its_time_comes(courses):
    # Three days on, A's booked visit has passed unrecorded: due, neither attended nor a no-show.
    later = clinic_attendance(now=timezone.now() + timedelta(days=3))
    assert figures(later) == (7, 3, 2, Decimal("28.6"), Decimal("42.9"))


def test_no_visit_due_has_no_rate(db):
    assert figures(clinic_attendance()) == (0, 0, 0, None, None)


def test_attendance_is_one_query(courses):
    with CaptureQueriesContext(connection) as queries:
        clinic_attendance()
    assert len(queries) == 1


def test_the_report_page_shows_attendance(manager_client, courses, acupuncturist, django_assert_max_num_queries):
    with django_assert_max_num_queries(15):
        html = manager_client.get(reverse("outcomes:report")).content.decode()
    assert '<td class="text-end" data-testid="visits-due">6</td>' in html
    assert '<td class="text-end" data-testid="adherence">50.0 % (3 of 6)</td>' in html
    assert '<td class="text-end" data-testid="no-show-rate">33.3 % (2 of 6)</td>' in html
    html = manager_client.get(reverse("outcomes:report"), {"practitioner": acupuncturist.pk}).content.decode()
    assert '<td class="text-end" data-testid="no-show-rate">25.0 % (1 of 4)</td>' in html


def test_no_visit_due_shows_a_dash(manager_client, db):
    html = manager_client.get(reverse("outcomes:report")).content.decode()
    assert '<td class="text-end" data-testid="no-show-rate">—</td>' in html
    assert '<td class="text-end" data-testid="adherence">—</td>' in html


def test_the_csv_has_each_courses_attendance(manager_client, courses, django_assert_max_num_queries):
    with django_assert_max_num_queries(15):
        csv = manager_client.get(reverse("outcomes:report-csv")).content.decode()
    header, *rows = csv.strip().splitlines()
    assert ",change %,visits due,attended,no-shows,no-show %,adherence %," in header
    assert len(rows) == 1  # only A has a week-8 score
    assert rows[0].startswith(f"{courses['a'].patient.full_name},{courses['a'].patient.chart_number},")
    assert ",40,yes,20,-50.0,4,2,1,25.0,50.0," in rows[0]
