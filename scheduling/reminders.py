"""The appointment reminder: an email with the date, time and clinic only, and an .ics file (RFC 5545).

No clinical detail goes in either: not the practitioner, not the kind of visit, not the plan. An email
can be read by anyone who sees the patient's phone.
"""

from datetime import datetime
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.utils import timezone
from icalendar import Calendar, Event


def appointment_ics(
    *, uid: str, start: datetime, end: datetime, sequence: int, clinic: dict, now: datetime, cancelled: bool = False
) -> bytes:
    """One VEVENT for a calendar app: the visit's time and the clinic's name and address. A cancellation is
    the same event (UID) with a higher sequence, STATUS:CANCELLED and METHOD:CANCEL, so the calendar drops it."""
    calendar = Calendar()
    calendar.add("prodid", f"-//{clinic['name']}//Appointments//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "CANCEL" if cancelled else "PUBLISH")
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", now)
    event.add("dtstart", start)
    event.add("dtend", end)
    # A move keeps the UID and raises the sequence, so a calendar replaces the old time.
    event.add("sequence", sequence)
    event.add("summary", f"Appointment at {clinic['name']}")
    event.add("location", clinic["address"])
    if cancelled:
        event.add("status", "CANCELLED")
    else:
        event.add("description", f"To change or cancel, call {clinic['phone']}.")
    calendar.add_component(event)
    return calendar.to_ical()


# Which email, and its subject: the reminder, a visit moved, a visit cancelled.
EMAILS = {
    "reminder": ("scheduling/email/appointment_reminder.txt", "your appointment on {day}"),
    "moved": ("scheduling/email/appointment_moved.txt", "your appointment has moved to {day}"),
    "cancelled": ("scheduling/email/appointment_cancelled.txt", "your appointment on {day} is cancelled"),
}


def appointment_email(appointment, *, clinic: dict, kind: str = "reminder") -> EmailMessage:
    """The patient's email about a visit (date, time and clinic only, the time on the location's clock), with its
    calendar file. `clinic` is the location's contact details (clinic.locations.contact_details)."""
    start = timezone.localtime(appointment.start, clinic["time_zone"])
    host = urlsplit(settings.SITE_URL).hostname or "clinic.invalid"
    ics = appointment_ics(
        uid=f"appointment-{appointment.pk}@{host}",
        start=appointment.start,
        end=appointment.end,
        sequence=appointment.version,
        clinic=clinic,
        now=timezone.now(),
        cancelled=kind == "cancelled",
    )
    template, subject = EMAILS[kind]
    with timezone.override(clinic["time_zone"]):  # the template's dates too
        body = render_to_string(template, {"start": start, "clinic": clinic})
    message = EmailMessage(
        subject=f"{clinic['name']}: " + subject.format(day=f"{start:%A} {start:%B} {start.day}"),
        body=body,
        to=[appointment.patient.email],
    )
    message.attach("appointment.ics", ics, "text/calendar")
    return message
