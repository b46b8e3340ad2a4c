"""The multi-site comparison: each location's outcomes side by side with their 95 % intervals, a funnel plot
whose control limits keep a small clinic's noise from passing for a difference, and exports with the same
filters (docs/clinical-rules.md, "Comparing locations")."""

import csv
from datetime import date, timedelta
from decimal import Decimal

import pytest
from auditlog.models import LogEntry
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from clinic.models import Location, StaffProfile
from outcomes.models import Questionnaire
from outcomes.report import clinic_outcomes, location_outcomes
from outcomes.stats import funnel_limits, funnel_position
from outcomes.summary import refresh_outcomes
from scheduling.models import Appointment, Status
from tests.factories import PatientFactory, SessionFactory, TreatmentPlanFactory
from tests.outcomes.test_report import noon

# --- the funnel's arithmetic ----------------------------------------------------------------


def test_the_control_limits_are_the_groups_rate_plus_or_minus_z_standard_errors():
    limits = funnel_limits(500, 1000, [100])  # p = 50 %: at 100 courses the standard error is 5 points
    assert limits["upper 95 %"] == [{"n": 100, "rate": 59.8}] and limits["lower 95 %"] == [{"n": 100, "rate": 40.2}]
    assert limits["upper 99.8 %"] == [{"n": 100, "rate": 65.5}] and limits["lower 99.8 %"] == [{"n": 100, "rate": 34.5}]
    # Kept within 0-100 % where a small number would reach past them.
    assert funnel_limits(500, 1000, [1])["upper 99.8 %"] == [{"n": 1, "rate": 100.0}]
    assert funnel_limits(0, 0, [10]) == {}


@pytest.mark.parametrize(
    ("successes", "n", "position"),
    [
        (70, 100, "above 99.8 %"),
        (62, 100, "above 95 %"),
        (55, 100, "within"),
        (38, 100, "below 95 %"),
        (30, 100, "below 99.8 %"),
        # A small clinic swings widely by chance: four of five (80 %) is within the limits, and even five of five
        # passes only the 95 % line, which one clinic in twenty no different from the group crosses anyway.
        (4, 5, "within"),
        (5, 5, "above 95 %"),
        (0, 0, "too few"),
    ],
)
def test_where_a_location_falls_in_the_funnel(successes, n, position):
    assert funnel_position(successes, n, 500, 1000) == position


# --- the figures, worked out by hand ---------------------------------------------------------


def course(location, practitioner, *, baseline, week8, leg=(None, None), sessions=2, before_treatment=True):
    """A course at `location` with a baseline and (unless None) a week-8 ODI and leg pain."""
    start = date(2026, 3, 2)
    plan = TreatmentPlanFactory(patient=PatientFactory(location=location), practitioner=practitioner, start_date=start)
    for n in range(sessions):
        SessionFactory(plan=plan, started_at=noon(start + timedelta(days=1 + 2 * n)), points=[])
    answered = noon(start) if before_treatment else noon(start + timedelta(days=2))
    week8_due = start + timedelta(weeks=8)
    answers = [(0, start, baseline, leg[0], answered), (8, week8_due, week8, leg[1], noon(week8_due))]
    for week, due, odi, leg_pain, sent in answers[: 1 if week8 is None else 2]:
        Questionnaire.objects.create(
            patient=plan.patient,
            plan=plan,
            due_date=due,
            week=week,
            odi_score=odi,
            leg_pain_now=leg_pain,
            submitted_at=sent,
        )
    refresh_outcomes([plan.pk])
    return plan


@pytest.fixture
def group(acupuncturist):
    home = Location.objects.get()
    branch = Location.objects.create(name="Westfield")
    # Home: 40 → 20 (responder, leg 8 → 2), 50 → 45 (not, leg 6 → 5), 30 with no week 8.
    first = course(home, acupuncturist, baseline=40, week8=20, leg=(8, 2), sessions=4)
    course(home, acupuncturist, baseline=50, week8=45, leg=(6, 5), sessions=2)
    course(home, acupuncturist, baseline=30, week8=None, sessions=0)
    # Westfield: 60 → 30 (responder), baseline taken after the first needles.
    course(branch, acupuncturist, baseline=60, week8=30, sessions=3, before_treatment=False)
    Appointment.objects.create(
        patient=first.patient,
        practitioner=acupuncturist,
        plan=first,
        start=noon(date(2026, 3, 20)),
        minutes=60,
        booked_by=acupuncturist,
        status=Status.NO_SHOW,
    )
    return home, branch


def test_each_location_has_its_own_figures_and_the_group_is_the_funnels_centre(group):
    home, branch = group
    with CaptureQueriesContext(connection) as queries:
        rows, whole = location_outcomes(locations=[home, branch])
    assert len(queries) == 3  # the plans grouped by location, the group's, the visits grouped: any number of sites
    ours, theirs = (row.outcomes for row in rows)
    assert (ours.patients, ours.with_baseline, ours.cohort, ours.week8_responders) == (3, 3, 2, 1)
    assert ours.sessions_per_plan == Decimal("2.0")  # (4 + 2 + 0) / 3
    assert ours.mean_odi_change == Decimal("-30.0")  # (−50 % and −10 %) / 2
    assert ours.mean_leg_pain_change == Decimal("-3.5") and ours.leg_pain_reported == 2  # (−6 and −1) / 2
    assert ours.week8_responder_percent == Decimal("50.0") and ours.week8_responder_interval is not None
    assert rows[0].attendance.no_shows == 1
    assert (theirs.with_baseline, theirs.baseline_before_treatment, theirs.week8_responders) == (1, 0, 1)
    assert theirs.before_treatment_percent == Decimal("0.0")
    assert (whole.cohort, whole.week8_responders) == (3, 2)
    assert [row.funnel for row in rows] == ["within", "within"]  # three courses are no evidence of a difference
    # The group's figures are the clinic report's.
    assert whole.mean_odi_change == clinic_outcomes().mean_odi_change


def test_a_location_with_no_course_yet_shows_no_figure_rather_than_zero(group):
    home, branch = group
    empty = Location.objects.create(name="Lakeside")
    rows, _ = location_outcomes(locations=[home, branch, empty])
    figures = rows[2].outcomes
    assert (figures.with_baseline, figures.mean_odi_change, figures.week8_responder_percent) == (0, None, None)
    assert rows[2].funnel == "too few"


def test_the_report_shows_them_side_by_side_for_the_group_manager(manager_client, group):
    home, branch = group
    page = manager_client.get(reverse("outcomes:report"))
    html = page.content.decode()
    assert 'data-testid="locations-side-by-side"' in html and 'id="funnel-plot-data"' in html
    assert f'data-testid="location-{branch.pk}"' in html
    assert page.context["side_by_side"]["funnel"]["centre"] == pytest.approx(66.7)
    # One location: the clinic report of that location's courses only.
    one = manager_client.get(reverse("outcomes:report"), {"location": branch.pk})
    assert one.context["figures"].with_baseline == 1
    assert '<th scope="col" class="text-end">Westfield</th>' in one.content.decode()


def test_a_location_the_manager_does_not_see_is_refused_beside_the_field(manager_client, manager, group):
    home, branch = group
    StaffProfile.objects.create(user=manager).locations.set([home])  # a manager of one location
    page = manager_client.get(reverse("outcomes:report"), {"location": branch.pk})
    assert "location" in page.context["form"].errors
    assert page.context["figures"].with_baseline == 3  # their own location, never the other's figures
    assert page.context["side_by_side"] is None  # one location seen: nothing to set side by side
    csv_response = manager_client.get(reverse("outcomes:report-csv"), {"location": branch.pk})
    assert csv_response.status_code == 302  # back to the report, which says why


def test_the_exports_carry_the_filters_and_are_audited(manager_client, group):
    home, branch = group
    response = manager_client.get(reverse("outcomes:report-locations-csv"))
    rows = list(csv.reader(response.content.decode().splitlines()))
    assert rows[0][:3] == ["location", "patients", "courses with a baseline"]
    assert [row[0] for row in rows[1:]] == sorted([home.name, "Westfield"])
    assert "Outcomes by location CSV: 2 locations" in LogEntry.objects.latest("id").object_repr
    cohort = manager_client.get(reverse("outcomes:report-csv"), {"location": home.pk})
    lines = list(csv.reader(cohort.content.decode().splitlines()))
    header = lines[0]
    assert {"location", "baseline leg pain", "week-8 leg pain"} <= set(header)
    assert {line[header.index("location")] for line in lines[1:]} == {home.name}
    assert "courses given at" in LogEntry.objects.latest("id").object_repr


def test_the_group_managers_report_reads_the_group_once(manager_client, group, django_assert_max_num_queries):
    from outcomes.report import clinic_attendance

    with django_assert_max_num_queries(17):  # the report's own, plus the two grouped reads of the side by side
        page = manager_client.get(reverse("outcomes:report"))
    # Seeing every location, the report's attendance is the locations' summed: the same as reading it whole.
    assert page.context["attendance"] == clinic_attendance()
    assert page.context["side_by_side"]["group"] is page.context["figures"]
