"""The referral letter of an open red-flag referral: what it says, who may print it, and the audit trail."""

from datetime import UTC, date, datetime

import pytest
from auditlog.models import LogEntry
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from clinic.models import Location, StaffProfile
from intake.letters import referral_letter
from intake.models import Referral
from intake.services import close_referral
from tests.documents import pdf_text
from tests.factories import IntakeFactory, PatientFactory


@pytest.fixture
def emergency(db):
    patient = PatientFactory(given_name="Ana", family_name="Bergström", date_of_birth=date(1971, 4, 9))
    IntakeFactory(patient=patient, saddle_anaesthesia=True, bladder_dysfunction=True)
    return Referral.objects.get(patient=patient)


@pytest.fixture
def serious(db):
    IntakeFactory(cancer_history=True, weight_loss=True)
    return Referral.objects.get()


def test_the_emergency_letter_sends_the_patient_to_the_emergency_department_today(desk_client, emergency, settings):
    text = pdf_text(desk_client.get(reverse("intake:referral-letter", args=[emergency.pk])))
    assert "URGENT REFERRAL: possible cauda equina syndrome" in text
    assert "To the emergency department physician" in text
    # Latin-1 draws the patient's name as it is spelled.
    assert "Ana Bergström" in text and "Apr 9, 1971" in text and emergency.patient.chart_number in text
    assert "Saddle anaesthesia" in text and "New bladder dysfunction" in text
    assert "Go to a hospital emergency department today. Do not wait for your next appointment." in text
    assert f"If you cannot get there safely, call {settings.EMERGENCY_NUMBER}." in text
    assert "No acupuncture has been given since these signs were recorded" in text
    assert "from the intake red-flag screen" in text
    assert settings.CLINIC_NAME in text and settings.CLINIC_PHONE in text


def test_serious_pathology_sends_the_patient_to_their_physician_with_safety_netting(desk_client, serious):
    text = pdf_text(desk_client.get(reverse("intake:referral-letter", args=[serious.pk])))
    assert "REFERRAL FOR MEDICAL ASSESSMENT: red flags for serious pathology" in text
    assert "To the patient's physician" in text and "emergency department physician" not in text
    assert "History of cancer" in text and "Unexplained weight loss" in text
    assert "See your physician promptly" in text
    assert "numbness between the legs" in text  # what would make it an emergency, in the patient's words
    assert "Go to a hospital emergency department today. Do not wait" not in text


def test_the_letter_names_the_patients_location_in_a_group(desk_client, front_desk, emergency):
    branch = Location.objects.create(name="Riverside", address="9 River Rd, Springfield", phone="217-555-0300")
    emergency.patient.location = branch
    emergency.patient.save()
    StaffProfile.objects.get_or_create(user=front_desk)[0].locations.set([branch])
    text = pdf_text(desk_client.get(reverse("intake:referral-letter", args=[emergency.pk])))
    assert "Riverside" in text and "9 River Rd, Springfield" in text and "217-555-0300" in text


def test_the_letter_says_when_and_from_where_the_signs_came_in_the_locations_time(emergency):
    location = emergency.patient.location
    location.time_zone = "America/Los_Angeles"  # the clinic's settings say Chicago
    location.save()
    emergency.opened_at = datetime(2026, 11, 30, 15, 5, tzinfo=UTC)
    emergency.reported_between_visits_at = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
    emergency.source = "questionnaire"
    letter = referral_letter(emergency, today=date(2026, 12, 1))
    assert letter.recorded_at.strftime("%Y-%m-%d %H:%M") == "2026-11-30 07:05"
    assert letter.recorded_from == "Weekly questionnaire"
    assert letter.reported_between_visits_at.strftime("%b %d %H:%M") == "Nov 30 18:00"
    assert letter.printed_on == date(2026, 12, 1)


def test_printing_is_audited_as_a_disclosure_of_that_patient(desk_client, front_desk, emergency):
    desk_client.get(reverse("intake:referral-letter", args=[emergency.pk]))
    entry = LogEntry.objects.filter(action=LogEntry.Action.ACCESS, object_repr__startswith="Referral letter").get()
    assert entry.actor == front_desk
    assert entry.object_id == emergency.pk
    assert entry.additional_data["patient_id"] == emergency.patient_id
    assert entry.additional_data["disclosed_to"].startswith("the patient")


def test_a_closed_referral_prints_no_letter_and_says_why(lac_client, acupuncturist, emergency):
    close_referral(
        referral=emergency,
        user=acupuncturist,
        referred_to="emergency",
        referred_to_detail="",
        referred_on=timezone.localdate(),
        outcome="cleared",
        outcome_notes="",
    )
    response = lac_client.get(reverse("intake:referral-letter", args=[emergency.pk]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("intake:referral-detail", args=[emergency.pk])
    assert "a letter is printed for an open referral only" in response.content.decode()
    assert not LogEntry.objects.filter(object_repr__startswith="Referral letter").exists()


def test_the_referral_page_offers_the_letter_while_the_referral_is_open(desk_client, emergency):
    page = desk_client.get(reverse("intake:referral-detail", args=[emergency.pk])).content.decode()
    assert reverse("intake:referral-letter", args=[emergency.pk]) in page


def test_printing_needs_its_permission(desk_client, front_desk, emergency):
    front_desk.groups.get().permissions.remove(Permission.objects.get(codename="print_referral_letter"))
    front_desk.refresh_from_db()
    page = desk_client.get(reverse("intake:referral-detail", args=[emergency.pk])).content.decode()
    assert reverse("intake:referral-letter", args=[emergency.pk]) not in page
    assert desk_client.get(reverse("intake:referral-letter", args=[emergency.pk])).status_code == 403


def test_another_locations_referral_is_not_found(desk_client, front_desk, emergency):
    home = Location.objects.get()
    branch = Location.objects.create(name="Riverside")
    StaffProfile.objects.get_or_create(user=front_desk)[0].locations.set([home])
    emergency.patient.location = branch
    emergency.patient.save()
    assert desk_client.get(reverse("intake:referral-letter", args=[emergency.pk])).status_code == 404
    assert desk_client.get(reverse("intake:referral-letter", args=[424242])).status_code == 404
