"""Appointment reminders (issue 17): once, the clinic's set hours before, the date, time and clinic only,
with a calendar file; audited; sent by the daily reminder command."""

import re
from datetime import UTC, timedelta
from io import StringIO
from urllib.parse import urlsplit

import pytest
from auditlog.models import LogEntry
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone
from icalendar import Calendar

from scheduling import services
from scheduling.models import Appointment, CancelReason, ScheduleSettings
from tests.factories import PatientFactory
from tests.scheduling.conftest import at, book, next_weekday

EMAIL = "reminders@example.org"
# What the reminder must never say: the visit's type, the course, the practitioner, the patient's name.
CLINICAL_WORDS = ("treatment", "review", "new patient", "intake", "session", "plan", "practitioner", "diagnos")


@pytest.fixture
def patient(patient):
    """The course's patient, with an address and a family name no clinic text can contain by chance."""
    patient.family_name = "Quennell-Marsh"
    patient.email = EMAIL
    patient.save()
    return patient


@pytest.fixture
def visit(patient, plan, acupuncturist, front_desk):
    """A treatment of the patient's course on a Tuesday at least a week away, 10:30-11:30."""
    return book(patient, acupuncturist, at(next_weekday(1), 10, 30), front_desk, plan=plan)


def send(now, capture):
    """Run the reminders at `now`, sending what they queue after commit, as a real run does."""
    with capture(execute=True):
        return services.send_appointment_reminders(now=now)


def calendar_event(message):
    (attachment,) = message.attachments
    assert attachment.mimetype == "text/calendar" and attachment.filename == "appointment.ics"
    events = Calendar.from_ical(attachment.content).walk("VEVENT")
    assert len(events) == 1
    return events[0]


def test_sent_once_within_the_set_hours_and_not_before(visit, mailoutbox, django_capture_on_commit_callbacks):
    assert ScheduleSettings.load().reminder_hours == 24
    assert send(visit.start - timedelta(hours=25), django_capture_on_commit_callbacks) == 0
    assert send(visit.start - timedelta(hours=24, minutes=1), django_capture_on_commit_callbacks) == 0
    assert mailoutbox == []
    now = visit.start - timedelta(hours=20)
    assert send(now, django_capture_on_commit_callbacks) == 1
    assert len(mailoutbox) == 1 and mailoutbox[0].to == [EMAIL]
    visit.refresh_from_db()
    assert visit.reminder_sent_at == now
    # Idempotent: the same run again, or a later one, sends nothing.
    assert send(now, django_capture_on_commit_callbacks) == 0
    assert send(visit.start - timedelta(hours=2), django_capture_on_commit_callbacks) == 0
    assert len(mailoutbox) == 1


def test_the_clinic_sets_how_many_hours_before(visit, mailoutbox, django_capture_on_commit_callbacks):
    config = ScheduleSettings.load()
    config.reminder_hours = 48
    config.save()
    assert send(visit.start - timedelta(hours=49), django_capture_on_commit_callbacks) == 0
    assert send(visit.start - timedelta(hours=47), django_capture_on_commit_callbacks) == 1
    assert len(mailoutbox) == 1


def test_a_visit_already_started_gets_none(visit, mailoutbox, django_capture_on_commit_callbacks):
    assert send(visit.start, django_capture_on_commit_callbacks) == 0
    assert send(visit.start + timedelta(minutes=5), django_capture_on_commit_callbacks) == 0
    assert mailoutbox == []


def test_a_cancelled_visit_or_a_patient_without_email_gets_none(
    visit, acupuncturist, front_desk, mailoutbox, django_capture_on_commit_callbacks
):
    services.cancel_appointment(appointment=visit, reason=CancelReason.PATIENT, user=front_desk)
    no_email = book(PatientFactory(email=""), acupuncturist, visit.start + timedelta(hours=2), front_desk)
    assert send(no_email.start - timedelta(hours=20), django_capture_on_commit_callbacks) == 0
    assert mailoutbox == []
    assert not Appointment.objects.filter(reminder_sent_at__isnull=False).exists()


def test_a_moved_visit_gets_a_new_reminder_for_its_new_time(
    visit, acupuncturist, front_desk, mailoutbox, django_capture_on_commit_callbacks
):
    assert send(visit.start - timedelta(hours=20), django_capture_on_commit_callbacks) == 1
    first = calendar_event(mailoutbox[0])
    visit.refresh_from_db()
    new_start = visit.start + timedelta(days=1, hours=2)  # Wednesday 12:30
    services.move_appointment(
        appointment=visit, start=new_start, minutes=60, practitioner=acupuncturist, user=front_desk
    )
    visit.refresh_from_db()
    assert visit.reminder_sent_at is None  # the reminder of the old time no longer holds
    assert send(new_start - timedelta(hours=20), django_capture_on_commit_callbacks) == 1
    assert len(mailoutbox) == 2
    local = timezone.localtime(new_start)
    assert f"{local:%A}, {local:%B} {local.day}, {local.year} at 12:30 PM" in mailoutbox[1].body
    moved = calendar_event(mailoutbox[1])
    assert moved.decoded("dtstart").astimezone(UTC) == new_start.astimezone(UTC)
    # The same event in the patient's calendar, at a higher sequence, so it replaces the old time.
    assert str(moved["uid"]) == str(first["uid"])
    assert int(moved["sequence"]) > int(first["sequence"])


def test_the_email_holds_the_time_and_the_clinic_and_nothing_clinical(
    visit, plan, acupuncturist, mailoutbox, django_capture_on_commit_callbacks
):
    send(visit.start - timedelta(hours=20), django_capture_on_commit_callbacks)
    (message,) = mailoutbox
    local = timezone.localtime(visit.start)
    assert f"{local:%A}, {local:%B} {local.day}, {local.year} at 10:30 AM" in message.body
    for text in (settings.CLINIC_NAME, settings.CLINIC_ADDRESS, settings.CLINIC_PHONE):
        assert text in message.body
    assert settings.CLINIC_NAME in message.subject
    said = f"{message.subject}\n{message.body}".lower()
    for word in CLINICAL_WORDS:
        assert not re.search(rf"\b{word}", said), word
    for text in (
        "Quennell",
        "Marsh",
        visit.patient.chart_number,
        acupuncturist.first_name,
        acupuncturist.last_name,
        *plan.diagnosis_codes,
        plan.goals,
    ):
        assert text.lower() not in said, text


def test_the_calendar_file(visit, acupuncturist, mailoutbox, django_capture_on_commit_callbacks):
    send(visit.start - timedelta(hours=20), django_capture_on_commit_callbacks)
    event = calendar_event(mailoutbox[0])
    assert event.decoded("dtstart").astimezone(UTC) == visit.start.astimezone(UTC)
    assert event.decoded("dtend").astimezone(UTC) == (visit.start + timedelta(minutes=60)).astimezone(UTC)
    assert str(event["uid"]) == f"appointment-{visit.pk}@{urlsplit(settings.SITE_URL).hostname}"
    summary = str(event["summary"])
    assert settings.CLINIC_NAME in summary
    for text in (*CLINICAL_WORDS, "quennell", acupuncturist.last_name.lower()):
        assert text not in summary.lower().replace(settings.CLINIC_NAME.lower(), ""), text
    assert str(event["location"]) == settings.CLINIC_ADDRESS
    assert acupuncturist.last_name not in str(event["description"])


def test_each_reminder_sent_is_audited(visit, acupuncturist, front_desk, django_capture_on_commit_callbacks):
    def reminder_entries():
        entries = LogEntry.objects.get_for_object(visit).filter(action=LogEntry.Action.UPDATE)
        return [e for e in entries if (e.changes_dict.get("reminder_sent_at") or ["", "None"])[1] != "None"]

    assert reminder_entries() == []
    now = visit.start - timedelta(hours=20)
    send(now, django_capture_on_commit_callbacks)
    (entry,) = reminder_entries()
    assert entry.changes_dict["reminder_sent_at"][0] == "None"
    assert entry.additional_data == {"patient_id": visit.patient_id}
    send(now, django_capture_on_commit_callbacks)  # nothing sent, nothing logged
    assert len(reminder_entries()) == 1
    visit.refresh_from_db()
    new_start = visit.start + timedelta(days=1)
    services.move_appointment(
        appointment=visit, start=new_start, minutes=60, practitioner=acupuncturist, user=front_desk
    )
    send(new_start - timedelta(hours=20), django_capture_on_commit_callbacks)
    assert len(reminder_entries()) == 2


def test_the_reminder_command_sends_both_and_says_how_many(
    plan, patient, acupuncturist, front_desk, mailoutbox, django_capture_on_commit_callbacks
):
    # The baseline questionnaire falls due today; the visit is on the next weekday, within the hours set.
    plan.start_date = timezone.localdate()
    plan.save()
    config = ScheduleSettings.load()
    config.reminder_hours = 168  # a week: the next weekday is always within it, whatever day the test runs
    config.save()
    day = timezone.localdate() + timedelta(days=1)
    while day.weekday() > 4:
        day += timedelta(days=1)
    appointment = book(patient, acupuncturist, at(day, 10), front_desk, plan=plan)
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_questionnaire_reminders", stdout=out)
    assert out.getvalue().strip() == (
        "1 questionnaire reminder(s) sent. 1 appointment reminder(s) sent. 0 unsent questionnaire draft(s) dropped."
    )
    reminders = [m for m in mailoutbox if m.attachments]
    assert len(mailoutbox) == 2 and len(reminders) == 1 and reminders[0].to == [EMAIL]
    appointment.refresh_from_db()
    assert appointment.reminder_sent_at is not None
    again = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_questionnaire_reminders", stdout=again)
    assert again.getvalue().strip() == (
        "0 questionnaire reminder(s) sent. 0 appointment reminder(s) sent. 0 unsent questionnaire draft(s) dropped."
    )
    assert len(mailoutbox) == 2


def two_hours_later(visit, practitioner, user):
    """The visit moved two hours on, as the desk moves it."""
    return services.move_appointment(
        appointment=visit, start=visit.start + timedelta(hours=2), minutes=60, practitioner=practitioner, user=user
    )


def test_a_reminded_patient_is_told_when_the_visit_moves_or_is_cancelled(
    visit, acupuncturist, front_desk, patient, mailoutbox, django_capture_on_commit_callbacks
):
    send(visit.start - timedelta(hours=20), django_capture_on_commit_callbacks)
    first = calendar_event(mailoutbox[0])
    visit.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        two_hours_later(visit, acupuncturist, front_desk)
    moved_mail = mailoutbox[1]
    assert "has moved" in moved_mail.subject and "at 12:30 PM" in moved_mail.body
    moved = calendar_event(moved_mail)
    assert str(moved["uid"]) == str(first["uid"]) and int(moved["sequence"]) > int(first["sequence"])
    send(visit.start - timedelta(hours=18), django_capture_on_commit_callbacks)  # reminded of the new time
    visit.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        services.cancel_appointment(appointment=visit, reason=CancelReason.PATIENT, user=front_desk)
    cancelled_mail = mailoutbox[-1]
    assert "is cancelled" in cancelled_mail.subject
    (attachment,) = cancelled_mail.attachments
    calendar = Calendar.from_ical(attachment.content)
    (event,) = calendar.walk("VEVENT")
    assert str(calendar["method"]) == "CANCEL" and str(event["status"]) == "CANCELLED"
    assert str(event["uid"]) == str(first["uid"])
    said = f"{cancelled_mail.subject}\n{cancelled_mail.body}\n{moved_mail.subject}\n{moved_mail.body}".lower()
    for word in CLINICAL_WORDS:
        assert not re.search(rf"\b{word}", said), word


def test_a_visit_never_reminded_is_moved_or_cancelled_without_an_email(
    visit, acupuncturist, front_desk, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        two_hours_later(visit, acupuncturist, front_desk)
        services.cancel_appointment(
            appointment=Appointment.objects.get(pk=visit.pk), reason=CancelReason.PATIENT, user=front_desk
        )
    assert mailoutbox == []
