"""The schedule's pages: booking and its bad input, the course page, the day sheet for each role, the
session from an appointment, the plan's adherence, and the week view."""

from datetime import time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from intake.models import Referral
from outcomes.models import Questionnaire
from scheduling import services
from scheduling.models import Appointment, Series, Status
from tests.factories import IntakeFactory, PatientFactory, SessionFactory, session_form_data
from tests.scheduling.conftest import at, next_weekday

DAY_SHEET = reverse("pages:day-sheet")


def booking_data(practitioner, day, hour="10:00", **extra):
    return {
        "practitioner": practitioner.pk,
        "kind": "treatment",
        "day": day.isoformat(),
        "at": hour,
        "notes": "Needs the ground-floor room",
        **extra,
    }


def today_visit(patient, practitioner, user, *, minutes_ago=30, **fields):
    """An appointment `minutes_ago` from now (negative: later; a day or more: an earlier day). One meant for
    today stays within today whatever the hour the suite runs: three hours ahead at 10 p.m. is 11:59 p.m.,
    half an hour ago at 0:10 a.m. is midnight (rows made directly: the services book only from now on)."""
    now = timezone.localtime()
    start = now - timedelta(minutes=minutes_ago)
    if abs(minutes_ago) < 12 * 60:
        midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
        start = min(max(start, midnight), midnight + timedelta(days=1) - timedelta(minutes=1))
    start = start.replace(second=0, microsecond=0)
    return Appointment.objects.create(
        patient=patient, practitioner=practitioner, start=start, minutes=60, booked_by=user, **fields
    )


def test_booking_an_appointment(desk_client, patient, acupuncturist):
    monday = next_weekday(0)
    response = desk_client.post(
        reverse("scheduling:appointment-create", args=[patient.pk]), booking_data(acupuncturist, monday)
    )
    assert response.status_code == 302
    appointment = Appointment.objects.get()
    assert (appointment.start, appointment.minutes) == (at(monday, 10), 60)  # the treatment's usual length
    assert appointment.notes == "Needs the ground-floor room"


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"at": "18:30"}, "at", "outside opening hours"),
        ({"at": "10:10"}, "at", "quarter hour"),
        ({"day": "2020-01-06"}, "day", "in the past"),
        ({"day": "2031-01-06"}, "day", "up to a year ahead"),
        ({"at": ""}, "at", "This field is required"),
    ],
)
def test_bad_input_is_refused_beside_its_field_with_everything_kept(
    desk_client, patient, acupuncturist, change, field, message
):
    monday = next_weekday(0)
    data = booking_data(acupuncturist, monday) | change
    response = desk_client.post(reverse("scheduling:appointment-create", args=[patient.pk]), data)
    assert response.status_code == 400
    form = response.context["form"]
    assert message in " ".join(form.errors[field])
    html = response.content.decode()
    assert "Needs the ground-floor room" in html  # nothing typed is lost
    assert not Appointment.objects.exists()


def test_a_double_booking_is_refused_beside_the_time(desk_client, patient, acupuncturist, front_desk):
    monday = next_weekday(0)
    services.book_appointment(
        patient=PatientFactory(),
        practitioner=acupuncturist,
        start=at(monday, 10),
        minutes=60,
        kind="treatment",
        user=front_desk,
    )
    response = desk_client.post(
        reverse("scheduling:appointment-create", args=[patient.pk]), booking_data(acupuncturist, monday, "10:30")
    )
    assert response.status_code == 400
    assert "The practitioner is already booked at 10:30." in response.context["form"].errors["at"]
    assert Appointment.objects.count() == 1


def test_the_course_page_checks_then_books(desk_client, plan, acupuncturist, front_desk):
    monday = next_weekday(0)
    services.book_appointment(
        patient=PatientFactory(),
        practitioner=acupuncturist,
        start=at(monday, 14),
        minutes=60,
        kind="treatment",
        user=front_desk,
    )
    url = reverse("scheduling:course-book", args=[plan.pk])
    page = desk_client.get(url)
    assert page.status_code == 200
    form = page.context["form"]
    assert (
        form.initial["days_1"] == ["0", "3"] and form.initial["weeks_1"] == 3
    )  # read from "Twice weekly for 3 weeks, ..."
    data = {
        "practitioner": acupuncturist.pk,
        "first_day": monday.isoformat(),
        "at": "14:00",
        "days_1": ["0", "3"],
        "weeks_1": "2",
    }
    checked = desk_client.post(url, data | {"action": "check"})
    assert checked.status_code == 200 and not Appointment.objects.filter(plan=plan).exists()  # nothing saved yet
    preview = checked.context["preview"]
    assert len(preview) == 4 and "already booked at 14:00" in preview[0].problem
    assert "Book 3 visits" in checked.content.decode()
    free = [v.start.isoformat() for v in preview if not v.problem]
    unchecked = desk_client.post(url, data | {"action": "book"})  # "book" without the checked dates: shown first
    assert (
        unchecked.status_code == 200
        and unchecked.context["preview"]
        and not Appointment.objects.filter(plan=plan).exists()
    )
    booked = desk_client.post(url, data | {"action": "book", "visit": free})
    assert booked.status_code == 302
    assert Appointment.objects.filter(plan=plan).count() == 3
    assert Series.objects.get().exdates == [monday.isoformat()]


def test_the_suggestion_counts_the_visits_already_booked(desk_client, plan, acupuncturist, front_desk):
    url = reverse("scheduling:course-book", args=[plan.pk])
    services.book_course(
        plan=plan,
        practitioner=acupuncturist,
        phases=[services.rules.Phase((0, 3), 3)],
        first_day=next_weekday(0),
        at=time(10),
        minutes=60,
        user=front_desk,
    )  # 6 of the plan's 10 sessions booked
    page = desk_client.get(url)
    assert (page.context["unbooked"], page.context["form"].initial["weeks_1"]) == (4, 2)  # twice weekly x 2
    assert 'data-testid="course-fully-booked"' not in page.content.decode()
    services.book_course(
        plan=plan,
        practitioner=acupuncturist,
        phases=[services.rules.Phase((0, 3), 2)],
        first_day=next_weekday(0, weeks_ahead=4),
        at=time(10),
        minutes=60,
        user=front_desk,
    )
    full = desk_client.get(url)
    assert full.context["unbooked"] == 0 and 'data-testid="course-fully-booked"' in full.content.decode()


def test_a_course_is_not_booked_from_dates_that_changed_after_the_check(desk_client, plan, acupuncturist, front_desk):
    monday = next_weekday(0)
    url = reverse("scheduling:course-book", args=[plan.pk])
    data = {
        "practitioner": acupuncturist.pk,
        "first_day": monday.isoformat(),
        "at": "14:00",
        "days_1": ["0", "3"],
        "weeks_1": "2",
    }
    checked = [v.start.isoformat() for v in desk_client.post(url, data | {"action": "check"}).context["preview"]]
    assert len(checked) == 4
    # Someone books the first Thursday at 14:00 meanwhile: nothing is booked, the dates are shown again.
    services.book_appointment(
        patient=PatientFactory(),
        practitioner=acupuncturist,
        start=at(monday + timedelta(days=3), 14),
        minutes=60,
        kind="treatment",
        user=front_desk,
    )
    refused = desk_client.post(url, data | {"action": "book", "visit": checked})
    assert refused.status_code == 400
    assert services.CHANGED_MESSAGE in refused.context["form"].non_field_errors()
    assert [bool(v.problem) for v in refused.context["preview"]] == [False, True, False, False]
    assert not Appointment.objects.filter(plan=plan).exists()
    altered = desk_client.post(url, data | {"action": "book", "visit": ["not-a-date"]})
    assert altered.status_code == 400 and not Appointment.objects.filter(plan=plan).exists()


def test_no_course_is_booked_on_a_plan_that_has_ended(desk_client, plan):
    plan.status = "completed"
    plan.save()
    response = desk_client.get(reverse("scheduling:course-book", args=[plan.pk]))
    assert response.status_code == 409 and "This course of care is completed" in response.content.decode()


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"weeks_1": "21", "days_1": ["0", "2", "4"]}, "weeks_1", "63 visits"),
        ({"days_1": ["0"], "weeks_1": "40", "days_2": ["0"], "weeks_2": "14"}, "weeks_2", "a year at most"),
        ({"first_day": "2020-01-06"}, "first_day", "in the past"),
        ({"days_2": ["0"]}, "weeks_2", "both its days and its number of weeks"),
        ({"days_1": []}, "days_1", "This field is required"),
    ],
)
def test_bad_course_input_is_refused_beside_its_field(desk_client, plan, acupuncturist, change, field, message):
    data = {
        "practitioner": acupuncturist.pk,
        "first_day": next_weekday(0).isoformat(),
        "at": "10:00",
        "days_1": ["0", "3"],
        "weeks_1": "3",
        "action": "book",
    }
    response = desk_client.post(reverse("scheduling:course-book", args=[plan.pk]), data | change)
    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors[field])
    assert not Appointment.objects.exists()


def test_the_front_desks_day_sheet_shows_the_day_and_no_clinical_detail(desk_client, acupuncturist, front_desk, plan):
    flagged = IntakeFactory(saddle_anaesthesia=True).patient  # an open emergency referral
    new = PatientFactory(family_name="Newcombe")  # no intake yet
    Questionnaire.objects.create(patient=plan.patient, plan=plan, due_date=timezone.localdate(), week=1)
    today_visit(plan.patient, acupuncturist, front_desk, minutes_ago=-60)
    today_visit(flagged, acupuncturist, front_desk, minutes_ago=-120)
    today_visit(new, acupuncturist, front_desk, minutes_ago=-180, kind="new_patient")
    SessionFactory(plan=plan, subjective="Secret subjective words", started_at=timezone.now() - timedelta(days=2))
    page = desk_client.get(DAY_SHEET)
    html = page.content.decode()
    assert page.status_code == 200
    assert "Red flag: emergency referral" in html
    assert "Intake to do" in html and "QR for the intake" in html
    assert "Questionnaire due" in html and "QR to hand at check-in" in html
    assert html.count(">Check in</button>") == 3
    assert "Secret subjective words" not in html and "Start session" not in html
    assert Referral.objects.filter(patient=flagged).exists()


def test_checking_in_from_the_day_sheet_and_a_cancelled_one_refused(desk_client, acupuncturist, front_desk, patient):
    visit = today_visit(patient, acupuncturist, front_desk, minutes_ago=-60)
    response = desk_client.post(reverse("scheduling:appointment-check-in", args=[visit.pk]), {"next": DAY_SHEET})
    assert response.status_code == 302 and response["Location"] == DAY_SHEET
    visit.refresh_from_db()
    assert visit.status == Status.ARRIVED
    cancelled = today_visit(
        PatientFactory(),
        acupuncturist,
        front_desk,
        minutes_ago=-120,
        status=Status.CANCELLED,
        cancel_reason="patient",
        cancelled_by=front_desk,
        cancelled_at=timezone.now(),
    )
    refused = desk_client.post(reverse("scheduling:appointment-check-in", args=[cancelled.pk]), {"next": DAY_SHEET})
    assert refused.status_code == 409
    assert "This appointment was cancelled, so the patient cannot be checked in" in refused.content.decode()
    # An outside address in "next" is not followed.
    other = today_visit(PatientFactory(), acupuncturist, front_desk, minutes_ago=-240)
    away = desk_client.post(
        reverse("scheduling:appointment-check-in", args=[other.pk]), {"next": "https://evil.example/"}
    )
    assert away["Location"] == other.get_absolute_url()


def test_the_acupuncturist_opens_the_session_from_the_day_sheet_and_saving_it_completes_the_visit(
    lac_client, acupuncturist, front_desk, plan
):
    visit = today_visit(plan.patient, acupuncturist, front_desk, status=Status.ARRIVED, arrived_at=timezone.now())
    html = lac_client.get(DAY_SHEET).content.decode()
    start_url = reverse("scheduling:appointment-session", args=[visit.pk])
    assert f'href="{start_url}"' in html
    form = lac_client.get(start_url)
    assert form.status_code == 200
    started = timezone.localtime(visit.start).strftime("%Y-%m-%dT%H:%M")
    assert f'value="{started}"' in form.content.decode()  # the appointment's time
    saved = lac_client.post(start_url, session_form_data(points=["BL23"], started_at=started))
    assert saved.status_code == 302, saved.content.decode()[:2000]
    visit.refresh_from_db()
    assert visit.status == Status.COMPLETED and visit.session.plan == plan
    assert lac_client.get(start_url)["Location"] == visit.session.get_absolute_url()  # once only


def test_a_patient_checked_in_earlier_with_no_session_shows_as_note_missing(
    lac_client, acupuncturist, front_desk, patient
):
    today_visit(
        patient, acupuncturist, front_desk, minutes_ago=60 * 24, status=Status.ARRIVED, arrived_at=timezone.now()
    )
    html = lac_client.get(DAY_SHEET).content.decode()
    assert 'data-testid="notes-missing"' in html and patient.family_name in html
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    assert "Note missing" in lac_client.get(f"{DAY_SHEET}?day={yesterday}&practitioner=all").content.decode()


def test_the_plan_shows_booked_attended_planned_and_adherence(lac_client, plan, acupuncturist, front_desk):
    def past(days, **fields):
        return Appointment.objects.create(
            patient=plan.patient,
            practitioner=acupuncturist,
            plan=plan,
            minutes=60,
            booked_by=front_desk,
            start=timezone.now() - timedelta(days=days),
            **fields,
        )

    past(10, status=Status.COMPLETED)
    past(7, status=Status.COMPLETED)
    past(5, status=Status.NO_SHOW)
    past(
        3, status=Status.CANCELLED, cancel_reason="clinic", cancelled_by=front_desk, cancelled_at=timezone.now()
    )  # not due
    past(
        2, status=Status.CANCELLED, cancel_reason="patient", cancelled_by=front_desk, cancelled_at=timezone.now()
    )  # missed
    services.book_appointment(
        patient=plan.patient,
        practitioner=acupuncturist,
        start=at(next_weekday(0), 10),
        minutes=60,
        kind="treatment",
        user=front_desk,
        plan=plan,
    )
    html = lac_client.get(reverse("treatments:plan-detail", args=[plan.pk])).content.decode()
    assert "<strong>50 %</strong> (2 attended of 4 due to date)" in html
    assert '<dt class="col-5">Booked, to come</dt><dd class="col-7">1</dd>' in html
    assert '<dt class="col-5">Planned</dt><dd class="col-7">10 sessions</dd>' in html
    assert '<dt class="col-5">No-shows</dt><dd class="col-7">1</dd>' in html


def test_the_week_view_shows_one_practitioners_week(desk_client, acupuncturist, front_desk, patient):
    monday = next_weekday(0)
    services.book_appointment(
        patient=patient, practitioner=acupuncturist, start=at(monday, 9), minutes=60, kind="treatment", user=front_desk
    )
    services.book_appointment(
        patient=patient,
        practitioner=acupuncturist,
        start=at(monday + timedelta(days=3), 11),
        minutes=30,
        kind="review",
        user=front_desk,
    )
    page = desk_client.get(
        reverse("scheduling:week-view"),
        {"practitioner": acupuncturist.pk, "week": (monday + timedelta(days=2)).isoformat()},
    )
    days = page.context["days"]
    assert days[0]["day"] == monday
    assert [(d["day"].weekday(), len(d["visits"])) for d in days if d["visits"]] == [(0, 1), (3, 1)]
    assert "11:00–11:30" in page.content.decode()
    assert desk_client.get(reverse("scheduling:week-view"), {"week": "not-a-date"}).status_code == 200


def test_moving_and_cancelling_from_the_appointment_page(desk_client, acupuncturist, front_desk, plan):
    monday = next_weekday(0)
    course = services.book_course(
        plan=plan,
        practitioner=acupuncturist,
        phases=[services.rules.Phase((0, 3), 2)],
        first_day=monday,
        at=time(10),
        minutes=60,
        user=front_desk,
    )
    move = reverse("scheduling:appointment-move", args=[course[1].pk])
    data = {
        "practitioner": acupuncturist.pk,
        "day": timezone.localtime(course[1].start).date().isoformat(),
        "at": "19:00",
        "minutes": "60",
        "scope": "following",
        "version": "0",
    }
    refused = desk_client.post(move, data)
    assert refused.status_code == 400 and "outside opening hours" in " ".join(refused.context["move_form"].errors["at"])
    moved = desk_client.post(move, data | {"at": "15:00"})
    assert moved.status_code == 302
    assert [timezone.localtime(a.start).hour for a in Appointment.objects.order_by("start")] == [10, 15, 15, 15]
    stale = desk_client.post(move, data | {"at": "16:00", "version": "0"})
    assert stale.status_code == 400 and "Someone else changed this appointment" in stale.content.decode()
    cancel = reverse("scheduling:appointment-cancel", args=[course[0].pk])
    missing = desk_client.post(cancel, {"cancel-scope": "this", "version": "0"})
    assert missing.status_code == 400 and missing.context["cancel_form"].errors["reason"]
    assert (
        desk_client.post(
            cancel, {"cancel-reason": "patient", "cancel-scope": "this", "cancel-note": "Away", "version": "0"}
        ).status_code
        == 302
    )
    assert Appointment.objects.get(pk=course[0].pk).cancel_note == "Away"


def test_the_manager_sets_durations_hours_and_beds(manager_client):
    url = reverse("scheduling:schedule-settings")
    form = manager_client.get(url)
    assert form.status_code == 200
    data = {
        "new_patient_minutes": "75",
        "treatment_minutes": "45",
        "review_minutes": "15",
        "beds": "6",
        "patients_per_practitioner": "3",
        "reminder_hours": "48",
    }
    data |= {f"opens_{d}": "09:00" for d in range(5)} | {f"closes_{d}": "17:00" for d in range(5)}
    bad = manager_client.post(url, data | {"closes_2": "08:00", "opens_6": "10:00"})
    assert bad.status_code == 400
    assert (
        bad.context["form"].errors
        == {
            "closes_2": ["Wednesday must close after it opens."],
            "closes_6": ["Give both times for Sunday, or neither if closed."],
        }
        | {}
    )
    overlap = manager_client.post(url, data | {"opens2_0": "16:00", "closes2_0": "19:00"})
    assert overlap.context["form"].errors == {"opens2_0": ["Monday's second period starts before the first ends."]}
    data |= {"closes_0": "12:00", "opens2_0": "13:30", "closes2_0": "19:00"}  # a lunch break on Mondays
    assert manager_client.post(url, data).status_code == 302
    from scheduling.models import OpeningHours, ScheduleSettings

    assert ScheduleSettings.load().minutes_for("treatment") == 45
    assert OpeningHours.objects.count() == 6  # closed at the weekend now; two periods on Mondays
    assert list(OpeningHours.objects.filter(weekday=0).values_list("opens", "closes")) == [
        (time(9), time(12)),
        (time(13, 30), time(19)),
    ]
    page = manager_client.get(url).content.decode()
    assert 'name="opens2_0" value="13:30"' in page  # the second period is shown again, not dropped on the next save


def test_a_note_being_typed_is_saved_even_if_the_desk_marked_a_no_show_meanwhile(
    lac_client, acupuncturist, front_desk, plan
):
    from treatments.models import Session

    visit = today_visit(plan.patient, acupuncturist, front_desk, status=Status.ARRIVED, arrived_at=timezone.now())
    url = reverse("scheduling:appointment-session", args=[visit.pk])
    started = timezone.localtime(visit.start).strftime("%Y-%m-%dT%H:%M")
    assert lac_client.get(url).status_code == 200
    services.mark_no_show(appointment=visit, user=front_desk)  # the desk, while the note is being typed
    saved = lac_client.post(
        url, session_form_data(points=["BL23"], started_at=started, subjective="Every word kept"), follow=True
    )
    assert saved.status_code == 200
    session = Session.objects.get(patient=plan.patient)
    assert session.subjective == "Every word kept"
    assert "The session was saved on its own" in saved.content.decode()
    visit.refresh_from_db()
    assert visit.status == Status.NO_SHOW and visit.session is None


def test_no_session_is_logged_from_a_visit_on_a_later_day(lac_client, acupuncturist, front_desk, plan):
    later = services.book_appointment(
        patient=plan.patient,
        practitioner=acupuncturist,
        start=at(next_weekday(0), 10),
        minutes=60,
        kind="treatment",
        user=front_desk,
    )
    url = reverse("scheduling:appointment-session", args=[later.pk])
    assert lac_client.get(url).status_code == 409
    assert lac_client.post(url, session_form_data(points=["BL23"])).status_code == 409
    assert Appointment.objects.get(pk=later.pk).status == Status.BOOKED


@pytest.mark.parametrize("version", ["²", "99999999999999999999", "", "-1"])
def test_an_altered_or_missing_version_is_refused_not_a_500(desk_client, acupuncturist, front_desk, patient, version):
    visit = services.book_appointment(
        patient=patient,
        practitioner=acupuncturist,
        start=at(next_weekday(0), 10),
        minutes=60,
        kind="treatment",
        user=front_desk,
    )
    response = desk_client.post(
        reverse("scheduling:appointment-cancel", args=[visit.pk]), {"cancel-reason": "patient", "version": version}
    )
    assert response.status_code == 400
    assert "sent without the version" in response.content.decode()
    assert Appointment.objects.get(pk=visit.pk).status == Status.BOOKED


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "2026-02-30", "%00"])
def test_absurd_days_in_the_address_show_today(desk_client, day):
    assert desk_client.get(DAY_SHEET, {"day": day}).context["day"] == timezone.localdate()
    assert desk_client.get(reverse("scheduling:week-view"), {"week": day}).status_code == 200


def test_a_refused_change_of_a_visit_that_can_no_longer_change_is_shown(
    desk_client, acupuncturist, front_desk, patient
):
    visit = services.book_appointment(
        patient=patient,
        practitioner=acupuncturist,
        start=at(next_weekday(0), 10),
        minutes=60,
        kind="treatment",
        user=front_desk,
    )
    services.cancel_appointment(appointment=visit, reason="patient", user=front_desk)
    data = {
        "practitioner": acupuncturist.pk,
        "day": next_weekday(0).isoformat(),
        "at": "11:00",
        "minutes": "60",
        "version": "1",
    }
    response = desk_client.post(reverse("scheduling:appointment-move", args=[visit.pk]), data)
    assert response.status_code == 409
    assert "This appointment was cancelled: it cannot be moved." in response.content.decode()


def test_the_note_missing_banner_leaves_out_a_visit_whose_session_was_logged_that_day(
    lac_client, acupuncturist, front_desk, plan
):
    visit = today_visit(
        plan.patient, acupuncturist, front_desk, minutes_ago=60 * 24, status=Status.ARRIVED, arrived_at=timezone.now()
    )
    assert 'data-testid="notes-missing"' in lac_client.get(DAY_SHEET).content.decode()
    SessionFactory(plan=plan, started_at=visit.start + timedelta(minutes=5))
    assert 'data-testid="notes-missing"' not in lac_client.get(DAY_SHEET).content.decode()
