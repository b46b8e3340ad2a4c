"""The schedule in a browser: a course booked from the chart, a check-in on the day sheet, the session
started from it; axe-core (WCAG 2.1 AA) on every schedule page for each role that opens it.

Screenshots of the day sheet, the week and the course preview go to /tmp/shots/ (SCHEDULE_SHOTS) for a
person to look at; they are not compared.
"""

import os
import re
import tempfile
from datetime import datetime, time, timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from outcomes.models import Questionnaire
from scheduling import rules, services
from scheduling.models import Appointment, CancelReason, Kind, OpeningHours, Status, opening_hours
from tests.browser.conftest import axe_violations, sign_in
from tests.factories import IntakeFactory, PatientFactory, SessionFactory, TreatmentPlanFactory

SHOTS = Path(os.environ.get("SCHEDULE_SHOTS", Path(tempfile.gettempdir()) / "shots"))


def shoot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def sign_in_manager(page, live_server, manager) -> None:
    """Password, then the six-digit code of the manager's authenticator (a TOTP device made here)."""
    device = TOTPDevice.objects.create(user=manager, name="Phone", confirmed=True)
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(manager.username)
    page.get_by_label("Password").fill("correct-horse-battery")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/accounts/2fa/verify/"))
    code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=device.drift)
    page.get_by_label("6-digit code").fill(f"{code:0{device.digits}d}")
    page.get_by_role("button", name="Verify").click()
    page.wait_for_url(f"{live_server.url}/")


def at_today(hour: int, minute: int = 0) -> datetime:
    today = timezone.localdate()
    return timezone.make_aware(datetime.combine(today, time(hour, minute)))


def book_later_today(*, plan, user) -> Appointment:
    """A visit later today, booked through the service (which refuses the past and closed hours): at the
    next quarter hour. On a Sunday or after closing, today's opening hours are widened first; in the last
    half hour before midnight the visit (which would end tomorrow) is written straight to the table, two minutes
    ahead: still today and still to come, as the course's count of visits booked to come needs."""
    now = timezone.localtime()
    start = now.replace(second=0, microsecond=0) + timedelta(minutes=15 - now.minute % 15)
    if start - now < timedelta(minutes=1):  # so it is still ahead when the service checks it
        start += timedelta(minutes=15)
    minutes = 30
    if (start + timedelta(minutes=minutes)).date() != now.date():  # too close to midnight: straight to the table
        start = now.replace(second=0, microsecond=0) + timedelta(minutes=2)
        if start.date() != now.date():
            pytest.skip("in the last two minutes of the day no visit can be both today and still to come")
        return Appointment.objects.create(
            patient=plan.patient,
            practitioner=plan.practitioner,
            start=start,
            minutes=minutes,
            plan=plan,
            booked_by=user,
        )
    weekday = start.weekday()
    end = (start + timedelta(minutes=minutes)).time()
    hours = OpeningHours.objects.filter(location=plan.location_id, weekday=weekday)
    if not hours.filter(opens__lte=start.time(), closes__gte=end).exists():
        opening_hours([plan.location_id])  # the usual week first, so this day's are not the only ones
        hours.delete()
        OpeningHours.objects.create(location_id=plan.location_id, weekday=weekday, opens=time(0), closes=time(23, 59))
    return services.book_appointment(
        patient=plan.patient,
        practitioner=plan.practitioner,
        start=start,
        minutes=minutes,
        kind=Kind.TREATMENT,
        plan=plan,
        user=user,
    )


def row_of(page, appointment: Appointment):
    """The day sheet's row of one appointment (by its time's link)."""
    return page.locator("table.day-sheet tbody tr", has=page.locator(f'a[href="/appointments/{appointment.pk}/"]'))


def test_front_desk_books_the_course_checks_the_patient_in_and_the_acupuncturist_completes_the_visit(
    page, live_server, front_desk, acupuncturist
):
    plan = TreatmentPlanFactory(
        practitioner=acupuncturist, planned_sessions=8, frequency="Twice weekly for 3 weeks, then weekly"
    )
    patient = plan.patient
    today_visit = book_later_today(plan=plan, user=front_desk)

    # The front desk books the course from the chart, starting tomorrow (today has its visit already).
    sign_in(page, live_server, "desk")
    page.goto(f"{live_server.url}/patients/{patient.pk}/")
    expect(page.locator("#appointments")).to_contain_text("No-shows: 0")
    assert not axe_violations(page, live_server)  # the chart's appointments box
    page.get_by_role("link", name=re.compile(r"^Book the course from ")).click()
    expect(page.get_by_role("heading", name=re.compile("Book the course of care from"))).to_be_visible()
    # The suggestion read from the plan's frequency, for the 7 sessions not yet booked (today's visit is one of
    # the 8): two days a week for 3 weeks, then one for 1.
    first_part = page.get_by_role("group", name="First part")
    assert len([c for c in first_part.get_by_role("checkbox").all() if c.is_checked()]) == 2
    expect(page.get_by_label("for weeks").first).to_have_value("3")
    then = page.get_by_role("group", name="Then (optional)")
    assert len([c for c in then.get_by_role("checkbox").all() if c.is_checked()]) == 1
    expect(page.get_by_label("for weeks").nth(1)).to_have_value("1")
    tomorrow = timezone.localdate() + timedelta(days=1)
    page.get_by_label("From").fill(tomorrow.isoformat())
    page.get_by_role("button", name="Check the dates").click()

    preview = page.get_by_test_id("course-preview")
    expect(preview).to_be_visible()
    expect(preview.locator("tbody tr")).to_have_count(7)
    free = preview.locator("tbody tr", has_text="Yes").count()
    assert free >= 1
    book = page.get_by_role("button", name=re.compile(r"^Book \d+ visits?$"))
    expect(book).to_have_text(f"Book {free} visit{'s' if free != 1 else ''}")
    book.click()

    expect(page.get_by_text(f"Course booked: {free} visits.")).to_be_visible()
    booked = page.locator("table", has=page.get_by_role("columnheader", name="Practitioner"))
    expect(booked.locator("tbody tr")).to_have_count(free + 1)  # today's visit belongs to the plan too
    course = Appointment.objects.filter(plan=plan, series__isnull=False)
    assert course.count() == free
    assert all(timezone.localtime(a.start).date() >= tomorrow for a in course)

    # Today: the patient arrives; the front desk checks them in from the day sheet.
    page.get_by_role("link", name="Schedule", exact=True).click()
    expect(page).to_have_url(f"{live_server.url}/schedule/")
    row = row_of(page, today_visit)
    expect(row).to_contain_text(f"{patient.family_name}, {patient.given_name}")
    expect(row).to_contain_text("Booked")
    row.get_by_role("button", name="Check in").click()
    expect(page.get_by_text(f"{patient.given_name} {patient.family_name}: checked in.")).to_be_visible()
    expect(page).to_have_url(f"{live_server.url}/schedule/")
    row = row_of(page, today_visit)
    expect(row.locator(".badge")).to_have_text("Arrived")
    expect(row.get_by_role("button", name="Check in")).to_have_count(0)
    today_visit.refresh_from_db()
    assert today_visit.status == Status.ARRIVED and today_visit.arrived_at is not None

    # The visit's time comes (a session is never dated in the future): move its start to a quarter hour
    # that has passed, today.
    now = timezone.localtime()
    started = now.replace(second=0, microsecond=0) - timedelta(minutes=now.minute % 15)
    Appointment.objects.filter(pk=today_visit.pk).update(start=started)

    # The acupuncturist starts the session from their day sheet.
    page.context.clear_cookies()
    sign_in(page, live_server, "lac")
    page.goto(f"{live_server.url}/schedule/")
    row = row_of(page, today_visit)
    expect(row.locator(".badge")).to_have_text("Arrived")
    row.get_by_role("link", name="Start session").click()
    expect(page).to_have_url(f"{live_server.url}/appointments/{today_visit.pk}/session/")
    expect(page.get_by_label("Date and time")).to_have_value(started.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("One-on-one contact (minutes)").fill("30")
    page.get_by_label("Pain before (0-10)").fill("6")
    page.get_by_role("button", name="Save session").click()

    expect(page.get_by_role("heading", name=re.compile("Session of"))).to_be_visible()
    today_visit.refresh_from_db()
    assert today_visit.status == Status.COMPLETED
    assert today_visit.session is not None and today_visit.session.started_at == started
    page.goto(f"{live_server.url}/schedule/")
    row = row_of(page, today_visit)
    expect(row.locator(".badge")).to_have_text("Completed")
    expect(row.get_by_role("link", name="Start session")).to_have_count(0)


def test_a_patient_seen_before_their_time_gets_a_session_dated_now(page, live_server, front_desk, acupuncturist):
    plan = TreatmentPlanFactory(practitioner=acupuncturist)
    visit = book_later_today(plan=plan, user=front_desk)  # later today: the patient is early
    if visit.start <= timezone.now():
        pytest.skip("too close to midnight for a visit later today")
    services.check_in(appointment=visit, user=front_desk)
    sign_in(page, live_server, "lac")
    page.goto(f"{live_server.url}/schedule/")
    row_of(page, visit).get_by_role("link", name="Start session").click()
    # Pre-filled with the visit's time were it past; it is still to come, so with now (never the future).
    prefilled = page.get_by_label("Date and time").input_value()
    assert prefilled <= timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    assert prefilled >= (timezone.localtime() - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M")
    page.get_by_label("One-on-one contact (minutes)").fill("30")
    page.get_by_label("Pain before (0-10)").fill("5")
    page.get_by_role("button", name="Save session").click()
    expect(page.get_by_role("heading", name=re.compile("Session of"))).to_be_visible()
    visit.refresh_from_db()
    assert visit.status == Status.COMPLETED and visit.session.started_at <= timezone.now()


@pytest.fixture
def schedule(front_desk, acupuncturist):
    """A day of the acupuncturist's, today: a visit in each state, a red flag, an intake and a
    questionnaire waiting; and a course booked from next week, for the week view and the panels."""
    plan = TreatmentPlanFactory(practitioner=acupuncturist, planned_sessions=8)
    new_patient = PatientFactory(given_name="Ines", family_name="Okafor")  # no intake yet
    flagged = IntakeFactory(saddle_anaesthesia=True).patient
    due = TreatmentPlanFactory(practitioner=acupuncturist)
    Questionnaire.objects.create(patient=due.patient, plan=due, due_date=timezone.localdate(), week=2)
    done = TreatmentPlanFactory(practitioner=acupuncturist)
    session = SessionFactory(plan=done, started_at=at_today(8, 5))
    logged = TreatmentPlanFactory(practitioner=acupuncturist)  # its session logged without the appointment
    SessionFactory(plan=logged, started_at=at_today(12, 5))

    def visit(patient, hour, minute=0, **fields):
        return Appointment.objects.create(
            patient=patient,
            practitioner=acupuncturist,
            start=at_today(hour, minute),
            minutes=fields.pop("minutes", 60),
            booked_by=front_desk,
            **fields,
        )

    rows = {
        "completed": visit(done.patient, 8, plan=done, status=Status.COMPLETED, session=session),
        "no_show": visit(PatientFactory(), 9, status=Status.NO_SHOW),
        "arrived": visit(due.patient, 10, plan=due, status=Status.ARRIVED, arrived_at=at_today(9, 50)),
        "cancelled": visit(
            PatientFactory(),
            11,
            status=Status.CANCELLED,
            cancel_reason=CancelReason.PATIENT_LATE,
            cancelled_by=front_desk,
            cancelled_at=timezone.now(),
        ),
        "logged": visit(logged.patient, 12, plan=logged, status=Status.ARRIVED, arrived_at=at_today(11, 55)),
        "new": visit(new_patient, 13, kind=Kind.NEW_PATIENT, minutes=90, notes="Parks at the back; first visit."),
        "booked": visit(plan.patient, 15, 30, plan=plan, notes="Prefers the quiet room."),
        "flagged": visit(flagged, 17),
    }
    # Yesterday's patient, checked in and no note since: the day sheet's "Note missing" panel.
    yesterday = TreatmentPlanFactory(practitioner=acupuncturist)
    Appointment.objects.create(
        patient=yesterday.patient,
        practitioner=acupuncturist,
        start=at_today(16) - timedelta(days=1),
        minutes=60,
        plan=yesterday,
        status=Status.ARRIVED,
        arrived_at=at_today(15, 55) - timedelta(days=1),
        booked_by=front_desk,
    )
    start = timezone.localdate() + timedelta(days=7 - timezone.localdate().weekday())  # next Monday
    course = services.book_course(
        plan=plan,
        practitioner=acupuncturist,
        phases=[rules.Phase((0, 3), 2), rules.Phase((2,), 2)],
        first_day=start,
        at=time(10),
        minutes=60,
        user=front_desk,
    )
    return {"plan": plan, "rows": rows, "course": course, "next_week": start}


def test_the_front_desk_pages_pass_axe(page, live_server, schedule):
    sign_in(page, live_server, "desk")
    page.goto(f"{live_server.url}/schedule/")
    expect(page.locator("table.day-sheet tbody tr")).to_have_count(len(schedule["rows"]))
    expect(page.get_by_test_id("notes-missing")).to_be_visible()
    expect(row_of(page, schedule["rows"]["logged"])).to_contain_text("Session logged")
    expect(page.get_by_role("button", name="Check in")).to_have_count(3)
    assert not axe_violations(page, live_server)
    shoot(page, "day-sheet-front-desk")

    page.get_by_role("link", name="Week view").click()
    expect(page.get_by_role("heading", name=re.compile("^Week of"))).to_be_visible()
    assert not axe_violations(page, live_server)
    shoot(page, "week-view-this-week")
    page.goto(f"{live_server.url}/schedule/week/?week={schedule['next_week']:%Y-%m-%d}")
    expect(page.locator(".week-grid li", has_text="10:00")).to_have_count(2)  # the course's Monday and Thursday
    assert not axe_violations(page, live_server)
    shoot(page, "week-view")

    visit = schedule["course"][0]
    page.goto(f"{live_server.url}/appointments/{visit.pk}/")
    expect(page.get_by_role("heading", name="Move")).to_be_visible()
    expect(page.get_by_role("heading", name="Cancel")).to_be_visible()
    expect(page.get_by_role("button", name="Check in")).to_have_count(0)  # only on the day
    assert not axe_violations(page, live_server)
    shoot(page, "appointment-detail")
    # The error state: a move into the past.
    page.get_by_label("New date").fill((timezone.localdate() - timedelta(days=2)).isoformat())
    page.get_by_role("button", name="Move", exact=True).click()
    expect(page.get_by_text("This is in the past")).to_be_visible()
    assert not axe_violations(page, live_server)
    page.goto(f"{live_server.url}/appointments/{schedule['rows']['booked'].pk}/")  # today's
    expect(page.get_by_role("button", name="Check in")).to_be_visible()
    assert not axe_violations(page, live_server)

    patient = schedule["plan"].patient
    page.goto(f"{live_server.url}/patients/{patient.pk}/appointments/new/")
    expect(page.get_by_role("heading", name="Book an appointment")).to_be_visible()
    assert not axe_violations(page, live_server)
    page.get_by_label("Date").fill((timezone.localdate() - timedelta(days=1)).isoformat())
    page.get_by_role("button", name="Book", exact=True).click()
    expect(page.get_by_text("This is in the past")).to_be_visible()
    assert not axe_violations(page, live_server)

    page.goto(f"{live_server.url}/plans/{schedule['plan'].pk}/course/")
    assert not axe_violations(page, live_server)  # the booked course's table
    page.get_by_label("From").fill((schedule["next_week"] + timedelta(days=14)).isoformat())
    page.get_by_role("button", name="Check the dates").click()
    expect(page.get_by_test_id("course-preview")).to_be_visible()
    assert not axe_violations(page, live_server)
    shoot(page, "course-preview")
    # Visits that clash with the course already booked: the warning and the highlighted rows.
    page.get_by_label("From").fill(schedule["next_week"].isoformat())
    page.get_by_role("button", name="Check the dates").click()
    expect(page.get_by_test_id("course-preview").locator("tr.table-warning").first).to_be_visible()
    assert not axe_violations(page, live_server)
    shoot(page, "course-preview-conflicts")


def test_the_acupuncturist_pages_pass_axe(page, live_server, schedule):
    sign_in(page, live_server, "lac")
    page.goto(f"{live_server.url}/schedule/")
    expect(page.get_by_role("link", name="Start session")).to_have_count(1)
    assert not axe_violations(page, live_server)
    shoot(page, "day-sheet-acupuncturist")

    page.get_by_role("link", name="Week view").click()
    expect(page.get_by_role("heading", name=re.compile("^Week of"))).to_be_visible()
    assert not axe_violations(page, live_server)

    page.goto(f"{live_server.url}/appointments/{schedule['rows']['arrived'].pk}/")
    expect(page.get_by_role("link", name="Log session")).to_be_visible()
    assert not axe_violations(page, live_server)

    page.goto(f"{live_server.url}/plans/{schedule['plan'].pk}/")
    panel = page.get_by_test_id("course-panel")
    expect(panel).to_contain_text("Booked, to come")
    assert not axe_violations(page, live_server)


def test_the_manager_pages_pass_axe(page, live_server, schedule, manager):
    sign_in_manager(page, live_server, manager)
    page.goto(f"{live_server.url}/schedule/")
    expect(page.locator("table.day-sheet tbody tr")).to_have_count(len(schedule["rows"]))
    expect(page.get_by_role("button", name="Check in")).to_have_count(0)  # the manager reads it only
    assert not axe_violations(page, live_server)

    page.get_by_role("link", name="Week view").click()
    expect(page.get_by_role("heading", name=re.compile("^Week of"))).to_be_visible()
    assert not axe_violations(page, live_server)

    page.goto(f"{live_server.url}/schedule/settings/")
    expect(page.get_by_role("heading", name="Schedule settings")).to_be_visible()
    assert not axe_violations(page, live_server)
    shoot(page, "schedule-settings")
    # The error state: a Saturday closing before it opens.
    page.get_by_label("Saturday closes", exact=True).fill("08:00")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_text("Saturday must close after it opens.")).to_be_visible()
    assert not axe_violations(page, live_server)
