from contextlib import contextmanager
from datetime import datetime, time, timedelta
from unittest import mock

import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client, RequestFactory
from django.utils import timezone

from clinic.models import Location, Patient
from pages.demo import DEMO_PATIENTS, DEMO_STAFF
from scheduling.models import Appointment


def test_seed_demo_is_idempotent_and_logins_work(db):
    call_command("seed_demo")
    call_command("seed_demo")
    assert Patient.objects.count() == len(DEMO_PATIENTS) >= 30
    assert User.objects.count() == len(DEMO_STAFF)
    for username, password, role, *_ in DEMO_STAFF:
        user = authenticate(RequestFactory().post("/accounts/login/"), username=username, password=password)
        assert user is not None, username
        assert list(user.groups.values_list("name", flat=True)) == [role]
    assert Patient.objects.values("chart_number").distinct().count() == Patient.objects.count()


def test_seeded_patients_pass_the_registration_form(db):
    """The demo data is realistic: every patient would pass the form staff use."""
    from clinic.forms import PatientForm

    call_command("seed_demo")
    for patient in Patient.objects.all():
        data = {f: getattr(patient, f) for f in PatientForm.Meta.fields}
        form = PatientForm(data=data, instance=patient, user=User.objects.get(username="frontdesk"))
        assert form.is_valid(), (patient, form.errors)


def test_seed_demo_gives_patients_a_clinical_history_once(db):
    from intake.models import Alert, Intake, Referral
    from treatments.models import Session, TreatmentPlan

    call_command("seed_demo")
    counts = (Intake.objects.count(), TreatmentPlan.objects.count(), Session.objects.count())
    call_command("seed_demo")
    assert (Intake.objects.count(), TreatmentPlan.objects.count(), Session.objects.count()) == counts
    assert counts[0] >= 20 and counts[1] >= 20 and counts[2] >= 100
    # A red flag at intake, and a warning sign reported between visits: each an open referral and an alert.
    assert Referral.objects.open().count() == 2
    assert sorted(Alert.objects.open().values_list("kind", flat=True)) == [
        "red_flag_at_intake",
        "red_flag_between_visits",
    ]
    # Baselines answered before the first session, but one answered that evening, after it.
    assert TreatmentPlan.objects.filter(baseline_before_treatment=False).count() == 1
    assert TreatmentPlan.objects.filter(baseline_before_treatment=True).count() >= 20
    assert Intake.objects.filter(pregnant=True).count() == 1
    # Every plan's latest note is left to sign; the earlier ones are signed.
    assert Session.objects.filter(signed_at__isnull=True).count() == counts[1]
    for choice_field in ("pain_side", "suspected_cause", "sleep_quality"):
        allowed = {value for value, _ in Intake._meta.get_field(choice_field).choices}
        assert set(Intake.objects.values_list(choice_field, flat=True)) <= allowed


# --- the demo's appointment book -----------------------------------------------------------------


@contextmanager
def clock(moment):
    """The clinic's clock stopped at `moment` (an aware datetime), for the seed and the pages alike."""
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield


def local(day, hour: int, minute: int = 0):
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def next_weekday(weekday: int):
    """A day of that weekday (0=Monday) at least a week from the real today."""
    day = timezone.localdate() + timedelta(days=7)
    return day + timedelta(days=(weekday - day.weekday()) % 7)


def assert_book_is_consistent():
    """Every visit on the quarter-hour grid, inside the opening hours, Monday to Saturday; a visit that holds
    its time has one slot row per quarter hour, within the practitioner's lanes and the clinic's beds; the
    others have none."""
    from scheduling import rules
    from scheduling.models import HOLDING, AppointmentSlot, ScheduleSettings, opening_hours

    (location,) = Location.objects.all()  # the demo is one clinic
    config, hours = ScheduleSettings.load(), opening_hours([location.pk])[location.pk]
    for appointment in Appointment.objects.all():
        start = timezone.localtime(appointment.start)
        assert rules.on_grid(start, appointment.minutes), appointment
        assert rules.within_hours(start, appointment.minutes, hours), appointment
        slots = sorted(appointment.slots.values_list("slot", flat=True))
        held = rules.slot_starts(appointment.start, appointment.minutes) if appointment.status in HOLDING else []
        assert slots == held, appointment
    assert not AppointmentSlot.objects.filter(lane__gt=config.patients_per_practitioner).exists()
    assert not AppointmentSlot.objects.filter(place__gt=location.beds).exists()


def test_seed_demo_books_this_week_and_next(db):
    """Today's day sheet shows a mix (seeded at 11:20 on a Wednesday): a visit completed with its session
    linked, one arrived whose session is logged, one arrived and waiting, visits booked for later; the days
    before hold a no-show and a late cancellation; a course is booked as a series, and its plan page shows
    the visits booked, attended and the adherence. Once only."""
    from scheduling.models import Kind, Series, Status
    from scheduling.panels import course_figures
    from scheduling.services import same_day_session

    wednesday = next_weekday(2)
    now = local(wednesday, 11, 20)
    with clock(now):
        call_command("seed_demo")
        today = list(Appointment.objects.on_day(wednesday).order_by("start"))
        by_status = {status: [a for a in today if a.status == status] for status in Status.values}
        completed, arrived, booked = by_status["completed"], by_status["arrived"], by_status["booked"]
        assert len(completed) == 1 and completed[0].session is not None
        assert timezone.localtime(completed[0].session.started_at).date() == wednesday
        assert len(arrived) == 2
        assert sorted(same_day_session(a) is not None for a in arrived) == [False, True]  # one logged, one not
        assert len(booked) >= 3 and all(a.start > now for a in booked)
        before = Appointment.objects.filter(start__lt=local(wednesday, 0))
        assert before.filter(status=Status.NO_SHOW).count() == 1
        assert before.filter(status=Status.CANCELLED, cancel_reason="patient_late").count() == 1
        assert before.filter(status=Status.COMPLETED, session__isnull=False).exists()
        assert set(Appointment.objects.values_list("kind", flat=True)) == set(Kind.values)
        # This week and next, Monday to Saturday (the series runs on to the end of its course).
        monday = wednesday - timedelta(days=2)
        singles = Appointment.objects.filter(series__isnull=True)
        assert singles.filter(start__gte=local(monday + timedelta(days=7), 0)).exists()
        assert not singles.filter(start__gte=local(monday + timedelta(days=14), 0)).exists()
        assert_book_is_consistent()

        series = Series.objects.first()
        assert series is not None and series.appointments.filter(status=Status.BOOKED).exists()
        figures = course_figures(series.plan)
        assert figures["booked"] >= 3 and figures["attended"] >= 1 and figures["no_shows"] == 1
        assert 0 < figures["adherence"] < 1

        # The day sheet: the acupuncturist starts the waiting patient's session, the desk links the logged
        # one and checks in the rest.
        client, desk = Client(), Client()
        client.force_login(User.objects.get(username="acupuncturist"))
        desk.force_login(User.objects.get(username="frontdesk"))
        sheet = {"day": wednesday.isoformat(), "practitioner": "all"}
        page = client.get("/schedule/", sheet).content.decode()
        assert "Session logged" in page and "Start session" in page and "Red flag" in page
        page = desk.get("/schedule/", sheet).content.decode()
        assert "Mark completed" in page and "Check in" in page and "Intake to do" in page
        plan_page = client.get(f"/plans/{series.plan_id}/").content.decode()
        assert "Adherence" in plan_page and "Booked, to come" in plan_page

        count = Appointment.objects.count()
        call_command("seed_demo")
        assert Appointment.objects.count() == count


@pytest.mark.parametrize(
    ("weekday", "hour", "minute"),
    [(5, 12, 40), (6, 10, 0), (0, 7, 5)],
    ids=["saturday-after-the-last-visit-began", "sunday-closed", "monday-before-opening"],
)
def test_seed_demo_books_within_the_hours_at_any_time(db, weekday, hour, minute):
    """Seeded late on a short day, on a closed day or before opening, the book still keeps the grid, the
    opening hours and the slot rows (today's picture held inside the hours), and a closed day has no visit."""
    day = next_weekday(weekday)
    with clock(local(day, hour, minute)):
        call_command("seed_demo")
        assert Appointment.objects.count() > 30
        assert_book_is_consistent()
        if weekday == 6:
            assert not Appointment.objects.on_day(day).exists()
        else:
            statuses = set(Appointment.objects.on_day(day).values_list("status", flat=True))
            assert {"completed", "arrived", "booked"} <= statuses
