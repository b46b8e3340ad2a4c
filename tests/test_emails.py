"""Every email the clinic sends is plain text: names with "&", "<" or an apostrophe arrive as typed.

The text templates are rendered by Django's HTML engine, which escapes by default ("&amp;", "&lt;",
"&#x27;" in a plain-text email); each one turns autoescaping off for its whole body.
"""

from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from clinic.locations import contact_details
from clinic.models import Location
from tests.factories import PatientFactory

TRICKY_CLINIC = "Smith & Jones <Back> O'Neill"
TRICKY_ADDRESS = "1 King's Road & <Mews>"
TRICKY_PATIENT = "D'Arcy & <Jo>"
ESCAPES = ("&amp;", "&lt;", "&gt;", "&#x27;", "&#39;", "&quot;")
EMAIL_TEMPLATES = sorted((Path(settings.BASE_DIR) / "templates").glob("*/email/*.txt"))


@pytest.fixture
def tricky(settings, db):
    settings.CLINIC_NAME = TRICKY_CLINIC
    location = Location.objects.get()
    location.name, location.address = TRICKY_CLINIC, TRICKY_ADDRESS
    location.save()
    return PatientFactory(given_name=TRICKY_PATIENT, email="darcy@example.com", location=location)


def _unescaped(text: str) -> None:
    assert not [escape for escape in ESCAPES if escape in text], text


def test_every_email_template_turns_autoescaping_off_for_its_whole_body():
    assert EMAIL_TEMPLATES  # the glob finds them
    for template in EMAIL_TEMPLATES:
        text = template.read_text().strip()
        assert text.startswith("{% autoescape off %}") and text.endswith("{% endautoescape %}"), template


def test_the_intake_link_email_reads_names_as_typed(
    tricky, acupuncturist, mailoutbox, django_capture_on_commit_callbacks
):
    from intake.services import send_intake_link

    with django_capture_on_commit_callbacks(execute=True):
        send_intake_link(
            patient=tricky, user=acupuncturist, build_url=lambda token: f"https://clinic.example/l/{token}/"
        )
    (email,) = mailoutbox
    assert f"Dear {TRICKY_PATIENT}," in email.body
    assert f"Before your first visit to {TRICKY_CLINIC}," in email.body
    assert email.subject.startswith(TRICKY_CLINIC)
    _unescaped(email.body + email.subject)


def test_the_questionnaire_link_email_reads_names_as_typed(tricky, mailoutbox, django_capture_on_commit_callbacks):
    from outcomes.models import Questionnaire
    from tests.factories import TreatmentPlanFactory

    plan = TreatmentPlanFactory(patient=tricky)
    questionnaire = Questionnaire.objects.create(patient=tricky, plan=plan, due_date=timezone.localdate(), week=0)
    with django_capture_on_commit_callbacks(execute=True):
        from outcomes.services import send_questionnaire_link

        send_questionnaire_link(
            questionnaire=questionnaire, build_url=lambda token: f"https://clinic.example/l/{token}/"
        )
    (email,) = mailoutbox
    assert f"Dear {TRICKY_PATIENT}," in email.body
    assert f"weekly check-in with {TRICKY_CLINIC}:" in email.body
    _unescaped(email.body + email.subject)


@pytest.mark.parametrize("kind", ["reminder", "moved", "cancelled"])
def test_each_appointment_email_reads_names_as_typed(tricky, acupuncturist, kind):
    from scheduling.models import Appointment
    from scheduling.reminders import appointment_email

    appointment = Appointment.objects.create(
        patient=tricky,
        practitioner=acupuncturist,
        start=timezone.now() + timezone.timedelta(days=1),
        minutes=60,
        booked_by=acupuncturist,
        location=tricky.location,
    )
    email = appointment_email(appointment, clinic=contact_details(tricky.location), kind=kind)
    assert TRICKY_CLINIC in email.body
    if kind != "cancelled":
        assert TRICKY_ADDRESS in email.body
    _unescaped(email.body + email.subject)


@pytest.mark.parametrize("escalation", [False, True])
def test_the_alert_email_reads_as_typed(tricky, escalation):
    from intake import alerts
    from intake.models import Alert
    from tests.factories import IntakeFactory

    IntakeFactory(patient=tricky, saddle_anaesthesia=True)
    subject, body = alerts.message(Alert.objects.get(patient=tricky), escalation=escalation)
    assert subject.startswith(TRICKY_CLINIC)
    assert "urgent alert" in body
    _unescaped(body + subject)
