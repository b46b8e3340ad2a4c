"""The patient's own record (right of access): everything held, for whom, logged as a disclosure."""

from datetime import date, timedelta

import pytest
from auditlog.models import LogEntry
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from clinic.models import Location, StaffProfile
from outcomes.models import Questionnaire
from records.forms import Relationship
from records.patient_record import patient_record
from tests.documents import pdf_text
from tests.factories import IntakeFactory, PatientFactory, SessionFactory, TreatmentPlanFactory
from treatments.services import add_addendum, record_payment

FOR_THE_PATIENT = {"recipient": "Ana  Bergström", "relationship": Relationship.PATIENT}


@pytest.fixture
def treated(acupuncturist):
    patient = PatientFactory(given_name="Ana", family_name="Bergström", date_of_birth=date(1971, 4, 9))
    IntakeFactory(patient=patient, chief_complaint="Left leg pain after lifting boxes")
    plan = TreatmentPlanFactory(patient=patient, practitioner=acupuncturist, goals="Walk 30 minutes without pain")
    session = SessionFactory(plan=plan, points=["BL23", "GB30"], objective="SLR positive at 50 degrees", signed=True)
    add_addendum(session=session, user=acupuncturist, text="Patient phoned: pain eased the next day.")
    record_payment(session=session, amount=85, method="card", paid_on=timezone.localdate(), user=acupuncturist)
    Questionnaire.objects.create(
        patient=patient,
        plan=plan,
        due_date=timezone.localdate() - timedelta(days=3),
        week=0,
        odi_score=42,
        leg_pain_now=7,
        submitted_at=timezone.now(),
    )
    return patient


def test_the_record_holds_everything_the_clinic_keeps(lac_client, treated):
    response = lac_client.post(reverse("records:patient-record", args=[treated.pk]), FOR_THE_PATIENT)
    assert response["Content-Disposition"].startswith('attachment; filename="record-')
    text = pdf_text(response)
    assert f"Health record of Ana Bergström (chart {treated.chart_number})" in text
    assert "for Ana Bergström (the patient)" in text
    for held in (
        "Date of birth: Apr 9, 1971",
        "Chief complaint: Left leg pain after lifting boxes",  # the intake
        "Pain location: Low back, Buttock, Thigh",  # choices kept as codes, printed by their labels
        "Goals: Walk 30 minutes without pain",  # the plan
        "O - objective: SLR positive at 50 degrees",  # the session note (the dash drawn as a hyphen)
        "Point: BL23",
        "Point: GB30",
        "Patient phoned: pain eased the next day.",  # an addendum to the signed note
        "Amount: 85",  # a payment
        "ODI (%): 42",
    ):
        assert held in text, held
    for section in (
        "Intakes (1)",
        "Consents (4)",
        "Sessions (1)",
        "Points needled (2)",
        "Questionnaires (1)",
        "Progress reports (0)",
    ):
        assert section in text, section


def test_a_patient_with_nothing_yet_gets_a_short_true_record(lac_client, db):
    patient = PatientFactory()
    text = pdf_text(lac_client.post(reverse("records:patient-record", args=[patient.pk]), FOR_THE_PATIENT))
    assert "Sessions (0) None on record." in text and "Intakes (0) None on record." in text


def test_who_receives_it_is_asked_and_kept_with_the_disclosure(lac_client, acupuncturist, treated):
    url = reverse("records:patient-record", args=[treated.pk])
    page = lac_client.post(url, {"recipient": "   ", "relationship": Relationship.REPRESENTATIVE})
    assert page.status_code == 200 and page["Content-Type"].startswith("text/html")
    assert "This field is required" in page.content.decode()
    assert 'value="their personal representative" selected' in page.content.decode()  # the choice is kept
    assert not LogEntry.objects.filter(object_repr__startswith="Patient's record").exists()
    lac_client.post(url, {"recipient": "Jo Bergström", "relationship": Relationship.REPRESENTATIVE})
    entry = LogEntry.objects.get(object_repr__startswith="Patient's record")
    assert entry.action == LogEntry.Action.ACCESS and entry.actor == acupuncturist
    assert entry.additional_data["patient_id"] == treated.pk
    assert entry.additional_data["disclosed_to"] == "Jo Bergström (their personal representative)"


def test_a_get_only_asks_and_writes_nothing(lac_client, treated):
    page = lac_client.get(reverse("records:patient-record", args=[treated.pk]))
    assert page.status_code == 200 and "Given to (name)" in page.content.decode()
    assert not LogEntry.objects.filter(object_repr__startswith="Patient's record").exists()


def test_the_front_desk_and_other_locations_cannot_produce_it(desk_client, lac_client, acupuncturist, treated):
    url = reverse("records:patient-record", args=[treated.pk])
    assert desk_client.post(url, FOR_THE_PATIENT).status_code == 403
    chart = desk_client.get(treated.get_absolute_url()).content.decode()
    assert url not in chart
    branch = Location.objects.create(name="Riverside")
    StaffProfile.objects.get_or_create(user=acupuncturist)[0].locations.set(
        [Location.objects.exclude(pk=branch.pk).get()]
    )
    treated.location = branch
    treated.save()
    assert lac_client.post(url, FOR_THE_PATIENT).status_code == 404


def test_the_queries_do_not_grow_with_the_record(acupuncturist, db):
    def count(sessions: int) -> int:
        patient = PatientFactory()
        IntakeFactory(patient=patient)
        plan = TreatmentPlanFactory(patient=patient, practitioner=acupuncturist)
        for day in range(sessions):
            SessionFactory(plan=plan, started_at=timezone.now() - timedelta(days=day + 1))
        with CaptureQueriesContext(connection) as captured:
            patient_record(patient, recipient="the patient")
        return len(captured.captured_queries)

    assert count(1) == count(12) <= 25


def test_the_record_page_also_gives_the_fhir_bundle_to_the_person_named(lac_client, treated):
    page = lac_client.get(reverse("records:patient-record", args=[treated.pk])).content.decode()
    fhir = reverse("records:patient-fhir", args=[treated.pk])
    assert f'formaction="{fhir}"' in page
    refused = lac_client.get(fhir, {"recipient": "", "relationship": Relationship.PATIENT})
    assert refused.status_code == 400 and "This field is required" in refused.content.decode()
    assert not LogEntry.objects.filter(additional_data__document="FHIR record export (Bundle)").exists()
    response = lac_client.get(fhir, FOR_THE_PATIENT)
    assert response.status_code == 200 and response["Content-Type"] == "application/fhir+json"
    entry = LogEntry.objects.get(additional_data__document="FHIR record export (Bundle)")
    assert entry.additional_data["disclosed_to"] == "Ana Bergström (the patient)"


def test_the_bulk_export_is_in_the_managers_menu_only(manager_client, lac_client):
    bulk = reverse("records:fhir-bulk")
    assert bulk in manager_client.get(reverse("pages:dashboard")).content.decode()
    assert bulk not in lac_client.get(reverse("pages:dashboard")).content.decode()
