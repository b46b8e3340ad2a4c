"""Booking rules as the services apply them: conflicts, hours, beds, a course as a series, moves,
cancellations, check-in, no-shows, completion, and two bookings of one slot at once."""

import threading
from datetime import time, timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from clinic.models import Location
from scheduling import rules, services
from scheduling.models import Appointment, AppointmentSlot, OpeningHours, ScheduleSettings, Series, Status
from scheduling.rules import Phase
from tests.factories import PatientFactory, SessionFactory, StaffProfileFactory, UserFactory
from tests.outcomes.test_report import in_thread
from tests.scheduling.conftest import at, book, next_weekday


@pytest.fixture
def monday():
    return next_weekday(0)


@pytest.fixture
def other_lac(roles):
    from clinic.roles import ACUPUNCTURIST

    return StaffProfileFactory(
        user=UserFactory(username="lac2", first_name="Ana", last_name="Reyes", role=ACUPUNCTURIST)
    ).user


def test_a_booking_holds_its_quarter_hours(patient, acupuncturist, front_desk, monday):
    appointment = book(patient, acupuncturist, at(monday, 10), front_desk, minutes=45)
    slots = list(appointment.slots.order_by("slot").values_list("slot", "lane", "place"))
    assert slots == [(at(monday, 10), 1, 1), (at(monday, 10, 15), 1, 1), (at(monday, 10, 30), 1, 1)]
    assert (appointment.status, appointment.booked_by) == (Status.BOOKED, front_desk)


@pytest.mark.parametrize(
    ("hour", "minute", "refused"),
    [(10, 0, True), (10, 45, True), (9, 15, True), (9, 0, False), (11, 0, False)],
)
def test_the_practitioner_is_never_double_booked(patient, acupuncturist, front_desk, monday, hour, minute, refused):
    book(patient, acupuncturist, at(monday, 10), front_desk)  # 10:00-11:00
    other = PatientFactory()
    if refused:
        with pytest.raises(services.BookingRefused, match="already booked"):
            book(other, acupuncturist, at(monday, hour, minute), front_desk)
    else:
        book(other, acupuncturist, at(monday, hour, minute), front_desk)  # back to back is fine


def test_community_acupuncture_treats_several_at_once_up_to_the_beds(
    patient, acupuncturist, other_lac, front_desk, monday
):
    config = ScheduleSettings.load()
    config.patients_per_practitioner = 2
    config.save()
    Location.objects.update(beds=3)  # the clinic's one location
    book(patient, acupuncturist, at(monday, 10), front_desk)
    book(PatientFactory(), acupuncturist, at(monday, 10), front_desk)  # her second patient at once
    with pytest.raises(services.BookingRefused, match="already booked"):
        book(PatientFactory(), acupuncturist, at(monday, 10), front_desk)  # not a third
    book(PatientFactory(), other_lac, at(monday, 10), front_desk)  # the third bed
    with pytest.raises(services.BookingRefused, match="All 3 treatment beds are taken at 10:00"):
        book(PatientFactory(), other_lac, at(monday, 10), front_desk)


def test_outside_opening_hours_and_off_the_grid_and_the_past(patient, acupuncturist, front_desk, monday):
    with pytest.raises(
        services.BookingRefused,
        match="18:30–19:30 is outside opening hours. On Mondays the clinic is open 08:00–19:00.",
    ):
        book(patient, acupuncturist, at(monday, 18, 30), front_desk)
    with pytest.raises(services.BookingRefused, match="closed on Sundays"):
        book(patient, acupuncturist, at(monday - timedelta(days=1), 10), front_desk)
    with pytest.raises(services.BookingRefused, match="quarter hour"):
        book(patient, acupuncturist, at(monday, 10, 10), front_desk)
    with pytest.raises(services.BookingRefused, match="already passed"):
        book(patient, acupuncturist, timezone.now() - timedelta(hours=1), front_desk)
    OpeningHours.objects.filter(weekday=0).update(opens=time(12))
    with pytest.raises(services.BookingRefused, match="open 12:00–19:00"):
        book(patient, acupuncturist, at(monday, 10), front_desk)
    assert not Appointment.objects.exists() and not AppointmentSlot.objects.exists()


def test_the_slot_rows_refuse_a_second_booking_whatever_path_writes_it(patient, acupuncturist, front_desk, monday):
    first = book(patient, acupuncturist, at(monday, 10), front_desk)
    second = Appointment.objects.create(
        patient=PatientFactory(), practitioner=acupuncturist, start=at(monday, 10), minutes=60, booked_by=front_desk
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        AppointmentSlot.objects.create(
            appointment=second, practitioner=acupuncturist, slot=first.start, lane=1, place=2
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        AppointmentSlot.objects.create(appointment=second, practitioner=front_desk, slot=first.start, lane=1, place=1)


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite lets one writer at a time, so it has no such race"
)
@pytest.mark.django_db(transaction=True)
def test_two_desks_booking_one_slot_at_once_one_wins_and_the_other_is_told(
    acupuncturist, front_desk, monday, monkeypatch
):
    # Both desks read the time as free before either writes: the form check cannot see the other booking,
    # only the database's unique slot rows can.
    ScheduleSettings.load()  # as the migration left it (a transactional test empties every table)
    patients = [PatientFactory(), PatientFactory()]
    both_checked = threading.Barrier(2, timeout=10)
    check = services.problems

    def check_then_wait(*args, **kwargs):
        found = check(*args, **kwargs)
        both_checked.wait()
        return found

    monkeypatch.setattr(services, "problems", check_then_wait)
    results, errors = [], []

    def desk(patient):
        try:
            results.append(book(patient, acupuncturist, at(monday, 10), front_desk))
        except services.BookingRefused as refused:
            results.append(refused.message)

    threads = [in_thread(errors, lambda p=p: desk(p)) for p in patients]
    for thread in threads:
        thread.join(20)
    assert not errors
    assert sorted(type(r).__name__ for r in results) == ["Appointment", "str"]
    assert services.TAKEN_MESSAGE in results
    assert Appointment.objects.count() == 1 and AppointmentSlot.objects.count() == 4


def test_a_course_is_booked_as_series_with_its_conflicts_left_out_as_exceptions(
    plan, acupuncturist, front_desk, monday
):
    clash = book(PatientFactory(), acupuncturist, at(monday + timedelta(days=3), 10), front_desk)  # the first Thursday
    phases = [Phase((0, 3), 3), Phase((0,), 4)]
    preview = services.preview_course(
        plan=plan, practitioner=acupuncturist, phases=phases, first_day=monday, at=time(10), minutes=60
    )
    assert len(preview) == 10
    assert [v.problem != "" for v in preview].count(True) == 1
    assert preview[1].start == clash.start and "already booked at 10:00" in preview[1].problem
    made = services.book_course(
        plan=plan, practitioner=acupuncturist, phases=phases, first_day=monday, at=time(10), minutes=60, user=front_desk
    )
    assert len(made) == 9
    first, second = Series.objects.order_by("dtstart")
    assert first.rrule == "FREQ=WEEKLY;BYDAY=MO,TH;COUNT=6"
    assert first.exdates == [(monday + timedelta(days=3)).isoformat()]
    assert second.rrule == "FREQ=WEEKLY;BYDAY=MO;COUNT=4" and second.dtstart == at(monday + timedelta(days=21), 10)
    # The stored series expand to exactly the visits booked.
    expanded = [
        v
        for s in (first, second)
        for v in rules.expand(
            s.rrule,
            timezone.localtime(s.dtstart),
            exdates=frozenset(map(__import__("datetime").date.fromisoformat, s.exdates)),
        )
    ]
    assert expanded == [a.start for a in Appointment.objects.filter(plan=plan).order_by("start")]


def test_a_course_past_a_year_or_sixty_visits_is_refused(plan, acupuncturist, front_desk, monday):
    with pytest.raises(services.BookingRefused, match="60 visits at most"):
        services.book_course(
            plan=plan,
            practitioner=acupuncturist,
            phases=[Phase((0, 2, 4), 21)],
            first_day=monday,
            at=time(10),
            minutes=60,
            user=front_desk,
        )
    with pytest.raises(services.BookingRefused, match="a year at most"):
        services.book_course(
            plan=plan,
            practitioner=acupuncturist,
            phases=[Phase((0,), 40), Phase((0,), 14)],
            first_day=monday,
            at=time(10),
            minutes=60,
            user=front_desk,
        )
    assert not Series.objects.exists()


@pytest.fixture
def course(plan, acupuncturist, front_desk, monday):
    return services.book_course(
        plan=plan,
        practitioner=acupuncturist,
        phases=[Phase((0, 3), 3)],
        first_day=monday,
        at=time(10),
        minutes=60,
        user=front_desk,
    )


def test_move_this_one_keeps_the_rest_of_the_series(course, acupuncturist, front_desk):
    third = course[2]
    (moved,) = services.move_appointment(
        appointment=third,
        start=third.start + timedelta(hours=4),
        minutes=60,
        practitioner=acupuncturist,
        user=front_desk,
    )
    assert timezone.localtime(moved.start).hour == 14
    assert moved.occurrence == third.start  # still the series' third occurrence (its RECURRENCE-ID)
    assert [timezone.localtime(a.start).hour for a in Appointment.objects.order_by("start")] == [10, 10, 14, 10, 10, 10]
    assert set(moved.slots.values_list("slot", flat=True)) == set(rules.slot_starts(moved.start, 60))


def test_move_this_and_following_splits_the_series(course, acupuncturist, front_desk):
    third = course[2]  # Monday of week 2
    moved = services.move_appointment(
        appointment=third,
        start=third.start + timedelta(days=1, hours=-1),
        minutes=60,
        practitioner=acupuncturist,
        user=front_desk,
        following=True,
    )
    assert len(moved) == 4
    assert [timezone.localtime(a.start).strftime("%a %H:%M") for a in moved] == ["Tue 09:00", "Fri 09:00"] * 2
    old, new = Series.objects.order_by("dtstart")
    last_kept = timezone.localtime(course[1].start).date()
    assert old.rrule.startswith("FREQ=WEEKLY;BYDAY=MO,TH;UNTIL=")
    assert [d.date() for d in rules.expand(old.rrule, timezone.localtime(old.dtstart))][-1] == last_kept
    assert new.rrule == "FREQ=WEEKLY;BYDAY=TU,FR;COUNT=4"
    assert rules.expand(new.rrule, timezone.localtime(new.dtstart)) == [a.start for a in moved]


def test_a_move_into_a_taken_time_is_refused_and_changes_nothing(course, plan, acupuncturist, front_desk):
    other = book(PatientFactory(), acupuncturist, course[3].start + timedelta(hours=3), front_desk)
    with pytest.raises(services.BookingRefused, match="cannot move: The practitioner is already booked"):
        services.move_appointment(
            appointment=course[2],
            start=course[2].start + timedelta(hours=3),
            minutes=60,
            practitioner=acupuncturist,
            user=front_desk,
            following=True,
        )
    assert [a.start for a in Appointment.objects.filter(plan=plan).order_by("start")] == [a.start for a in course]
    assert other.slots.count() == 4 and AppointmentSlot.objects.count() == 7 * 4


def test_cancel_this_one_and_this_and_following(course, front_desk):
    (one,) = services.cancel_appointment(appointment=course[1], reason="patient", note="Flu", user=front_desk)
    assert (one.status, one.cancel_reason, one.cancelled_by) == (Status.CANCELLED, "patient", front_desk)
    assert not one.slots.exists()
    series = Series.objects.get()
    assert series.exdates == [timezone.localtime(course[1].start).date().isoformat()]
    rest = services.cancel_appointment(appointment=course[3], reason="clinic", user=front_desk, following=True)
    assert [a.pk for a in rest] == [a.pk for a in course[3:]]
    series.refresh_from_db()
    assert [v.date() for v in rules.expand(series.rrule, timezone.localtime(series.dtstart))][-1] == timezone.localtime(
        course[2].start
    ).date()
    assert Appointment.objects.filter(status=Status.BOOKED).count() == 2


def test_check_in_no_show_and_the_state_rules(patient, acupuncturist, front_desk, monday):
    later = book(patient, acupuncturist, at(monday, 10), front_desk)
    with pytest.raises(services.BookingRefused, match="checked in on the day"):
        services.check_in(appointment=later, user=front_desk)
    with pytest.raises(services.BookingRefused, match="has not started yet"):
        services.mark_no_show(appointment=later, user=front_desk)
    services.cancel_appointment(appointment=later, reason="patient", user=front_desk)
    with pytest.raises(
        services.BookingRefused, match="This appointment was cancelled, so the patient cannot be checked in"
    ):
        services.check_in(appointment=later, user=front_desk)
    today = Appointment.objects.create(
        patient=patient,
        practitioner=acupuncturist,
        start=timezone.now().replace(second=0, microsecond=0),
        minutes=60,
        booked_by=front_desk,
    )
    arrived = services.check_in(appointment=today, user=front_desk)
    assert arrived.status == Status.ARRIVED and arrived.arrived_at is not None
    assert (
        services.check_in(appointment=today, user=front_desk).arrived_at == arrived.arrived_at
    )  # twice: the first stands
    with pytest.raises(services.BookingRefused, match="has been checked in: it cannot be cancelled"):
        services.cancel_appointment(appointment=today, reason="patient", user=front_desk)
    assert services.mark_no_show(appointment=today, user=front_desk).status == Status.NO_SHOW


def test_completing_links_the_session_once(plan, acupuncturist, front_desk):
    appointment = Appointment.objects.create(
        patient=plan.patient, practitioner=acupuncturist, start=timezone.now(), minutes=60, booked_by=front_desk
    )
    session = SessionFactory(plan=plan, started_at=appointment.start)
    done = services.complete_appointment(appointment=appointment, session=session, user=acupuncturist)
    assert (done.status, done.session, done.plan, done.arrived_at) == (
        Status.COMPLETED,
        session,
        plan,
        session.started_at,
    )
    assert (
        services.complete_appointment(appointment=appointment, session=session, user=acupuncturist).session == session
    )
    with pytest.raises(services.BookingRefused, match="already completed"):
        services.complete_appointment(appointment=appointment, session=SessionFactory(plan=plan), user=acupuncturist)


def test_settings_durations_and_hours(manager):
    config = ScheduleSettings.load()
    assert [config.minutes_for(k) for k in ("new_patient", "treatment", "review")] == [90, 60, 30]
    location, other = Location.objects.get(), Location.objects.create(name="Riverside")
    OpeningHours.objects.create(location=other, weekday=3, opens=time(7), closes=time(11))
    services.save_schedule_settings(
        config=config, location=location, beds=6, hours=[(0, time(9), time(17)), (2, time(12), time(20))]
    )
    assert list(OpeningHours.objects.filter(location=location).values_list("weekday", "opens", "closes")) == [
        (0, time(9), time(17)),
        (2, time(12), time(20)),
    ]
    assert Location.objects.get(pk=location.pk).beds == 6
    # Another location's hours and beds are its own.
    assert list(OpeningHours.objects.filter(location=other).values_list("weekday", flat=True)) == [3]
    assert Location.objects.get(pk=other.pk).beds == 4


def test_a_patient_is_never_booked_twice_at_once(patient, acupuncturist, other_lac, front_desk, monday):
    book(patient, acupuncturist, at(monday, 10), front_desk)
    with pytest.raises(services.BookingRefused, match="This patient already has an appointment at 10:00"):
        book(patient, other_lac, at(monday, 10, 30), front_desk)  # another practitioner, the same patient
    book(patient, other_lac, at(monday, 11), front_desk)  # straight after is fine


def stored_visits(plan) -> list:
    """What the plan's series expand to now, exceptions left out: it must be what is booked."""
    from datetime import date

    return sorted(
        v
        for s in Series.objects.filter(plan=plan)
        for v in rules.expand(
            s.rrule, timezone.localtime(s.dtstart), exdates=frozenset(map(date.fromisoformat, s.exdates))
        )
    )


def booked(plan) -> list:
    return list(
        Appointment.objects.filter(plan=plan, status=Status.BOOKED).order_by("start").values_list("start", flat=True)
    )


@pytest.fixture
def two_part_course(plan, acupuncturist, front_desk, monday):
    # Mon/Thu for 2 weeks, then Mondays for 2: Mon, Thu, Mon, Thu | Mon, Mon.
    return services.book_course(
        plan=plan,
        practitioner=acupuncturist,
        phases=[Phase((0, 3), 2), Phase((0,), 2)],
        first_day=monday,
        at=time(10),
        minutes=60,
        user=front_desk,
    )


def test_the_series_always_expand_to_the_visits_booked(plan, two_part_course, acupuncturist, front_desk):
    visits = two_part_course
    assert stored_visits(plan) == booked(plan)
    # One visit moved on its own (Thu -> Fri), then it and the following moved an hour later by its rule's place.
    services.move_appointment(
        appointment=visits[1],
        start=visits[1].start + timedelta(days=1),
        minutes=60,
        practitioner=acupuncturist,
        user=front_desk,
    )
    assert booked(plan) != stored_visits(plan)  # a one-off move is an override of its occurrence, as in RFC 5545
    moved = services.move_appointment(
        appointment=Appointment.objects.get(pk=visits[1].pk),
        start=visits[1].start + timedelta(hours=1),
        minutes=60,
        practitioner=acupuncturist,
        user=front_desk,
        following=True,
    )
    assert len(moved) == 5
    assert [timezone.localtime(a.start).strftime("%a %H") for a in moved] == [
        "Thu 11",
        "Mon 11",
        "Thu 11",
        "Mon 11",
        "Mon 11",
    ]
    assert stored_visits(plan) == booked(plan)  # both parts of the course moved with it
    # Cancel the third visit on its own, then everything from the fifth.
    services.cancel_appointment(appointment=moved[1], reason="patient", user=front_desk)
    assert stored_visits(plan) == booked(plan)
    services.cancel_appointment(appointment=moved[3], reason="clinic", user=front_desk, following=True)
    assert stored_visits(plan) == booked(plan)
    assert [timezone.localtime(v).strftime("%a %H") for v in booked(plan)] == ["Mon 10", "Thu 11", "Thu 11"]


def test_cancel_this_and_following_reaches_every_part_of_the_course(plan, two_part_course, front_desk):
    cancelled = services.cancel_appointment(
        appointment=two_part_course[0], reason="patient", user=front_desk, following=True
    )
    assert len(cancelled) == 6
    assert booked(plan) == [] == stored_visits(plan)


def test_an_arrived_patient_is_not_moved(patient, acupuncturist, front_desk):
    today = Appointment.objects.create(
        patient=patient, practitioner=acupuncturist, start=timezone.now(), minutes=60, booked_by=front_desk
    )
    services.check_in(appointment=today, user=front_desk)
    with pytest.raises(services.BookingRefused, match="has been checked in: it cannot be moved"):
        services.move_appointment(
            appointment=today, start=at(next_weekday(0), 10), minutes=60, practitioner=acupuncturist, user=front_desk
        )
    assert Appointment.objects.get(pk=today.pk).status == Status.ARRIVED
