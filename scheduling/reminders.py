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


def appointment_ics(*, uid: str, start: datetime, end: datetime, sequence: int, clinic: dict, now: datetime) -> bytes:
    """One VEVENT for a calendar app: the visit's time and the clinic's name and address."""
    calendar = Calendar()
    calendar.add("prodid", f"-//{clinic['name']}//Appointments//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", now)
    event.add("dtstart", start)
    event.add("dtend", end)
    # A move keeps the UID and raises the sequence, so a calendar replaces the old time.
    event.add("sequence", sequence)
    event.add("summary", f"Appointment at {clinic['name']}")
    event.add("location", clinic["address"])
    event.add("description", f"To change or cancel, call {clinic['phone']}.")
    calendar.add_component(event)
    return calendar.to_ical()


def reminder_email(appointment, *, clinic: dict) -> EmailMessage:
    start = timezone.localtime(appointment.start)
    now = timezone.now()
    host = urlsplit(settings.SITE_URL).hostname or "clinic.invalid"
    ics = appointment_ics(
        uid=f"appointment-{appointment.pk}@{host}",
        start=appointment.start,
        end=appointment.end,
        sequence=appointment.version,
        clinic=clinic,
        now=now,
    )
    body = render_to_string("scheduling/email/appointment_reminder.txt", {"start": start, "clinic": clinic})
    message = EmailMessage(
        subject=f"{clinic['name']}: your appointment on {start:%A} {start:%B} {start.day}",
        body=body,
        to=[appointment.patient.email],
    )
    message.attach("appointment.ics", ics, "text/calendar")
    return message
