"""Every kind of staff page that shows patient data writes a read entry; every write is logged."""

import pytest
from auditlog.models import LogEntry
from django.urls import reverse
from django.utils import timezone

from intake.models import ClinicalAssessment
from outcomes.models import Response
from tests.factories import IntakeFactory, SessionFactory, TreatmentPlanFactory, session_form_data


@pytest.fixture
def records(acupuncturist):
    plan = TreatmentPlanFactory(practitioner=acupuncturist, patient=IntakeFactory().patient)
    session = SessionFactory(plan=plan, signed=True)
    response = Response.objects.create(
        patient=plan.patient,
        plan=plan,
        due_date=timezone.localdate(),
        week=0,
        odi_score=30,
        submitted_at=timezone.now(),
    )
    return {"plan": plan, "session": session, "response": response, "intake": plan.patient.intakes.get()}


READS = [
    ("patient chart", lambda r: reverse("patient-detail", args=[r["plan"].patient.pk]), lambda r: r["plan"].patient),
    ("intake", lambda r: reverse("intake:intake-detail", args=[r["intake"].pk]), lambda r: r["intake"]),
    ("plan", lambda r: reverse("treatments:plan-detail", args=[r["plan"].pk]), lambda r: r["plan"]),
    ("session", lambda r: reverse("treatments:session-detail", args=[r["session"].pk]), lambda r: r["session"]),
    ("superbill", lambda r: reverse("treatments:superbill", args=[r["session"].pk]), lambda r: r["session"]),
    ("superbill PDF", lambda r: reverse("treatments:superbill-pdf", args=[r["session"].pk]), lambda r: r["session"]),
    ("questionnaire", lambda r: reverse("outcomes:response-detail", args=[r["response"].pk]), lambda r: r["response"]),
]


@pytest.mark.parametrize(("kind", "url_for", "record_for"), READS, ids=[kind for kind, *_ in READS])
def test_reading_a_page_of_patient_data_is_recorded(kind, url_for, record_for, records, lac_client, acupuncturist):
    assert lac_client.get(url_for(records), REMOTE_ADDR="10.1.2.3").status_code == 200
    entry = (
        LogEntry.objects.get_for_object(record_for(records)).filter(action=LogEntry.Action.ACCESS).latest("timestamp")
    )
    assert (entry.actor, entry.remote_addr) == (acupuncturist, "10.1.2.3")


def access_entries(record):
    return LogEntry.objects.get_for_object(record).filter(action=LogEntry.Action.ACCESS)


EDITS = [
    ("intake", lambda r: reverse("intake:intake-update", args=[r["intake"].pk]), lambda r: r["intake"]),
    ("plan", lambda r: reverse("treatments:plan-update", args=[r["plan"].pk]), lambda r: r["plan"]),
    ("session", lambda r: reverse("treatments:session-update", args=[r["open"].pk]), lambda r: r["open"]),
    ("assessment", lambda r: reverse("intake:assessment-update", args=[r["intake"].pk]), lambda r: r["assessment"]),
    ("first assessment", lambda r: reverse("intake:assessment-update", args=[r["intake"].pk]), lambda r: r["intake"]),
]


@pytest.mark.parametrize(("kind", "url_for", "record_for"), EDITS, ids=[kind for kind, *_ in EDITS])
def test_opening_an_edit_page_is_recorded(
    kind, url_for, record_for, records, lac_client, acupuncturist, django_assert_max_num_queries
):
    records["open"] = SessionFactory(plan=records["plan"])  # a signed one cannot be edited
    if kind == "assessment":
        records["assessment"] = ClinicalAssessment.objects.create(intake=records["intake"], assessed_by=acupuncturist)
    url = url_for(records)
    lac_client.get(url)  # warms the content-type cache the audit log uses
    before = access_entries(record_for(records)).count()
    with django_assert_max_num_queries(15):
        assert lac_client.get(url, REMOTE_ADDR="10.1.2.3").status_code == 200
    entries = access_entries(record_for(records))
    assert entries.count() == before + 1
    entry = entries.latest("timestamp")
    assert (entry.actor, entry.remote_addr) == (acupuncturist, "10.1.2.3")
    assert entry.additional_data["patient_id"] == records["plan"].patient_id


def test_logging_a_session_records_the_session_and_its_points(lac_client, records, acupuncturist):
    plan = records["plan"]
    lac_client.post(reverse("treatments:session-create", args=[plan.pk]), session_form_data(points=["BL23", "GB30"]))
    session = plan.sessions.latest("created_at")
    entries = LogEntry.objects.get_for_object(session)
    created = entries.get(action=LogEntry.Action.CREATE, actor=acupuncturist)
    assert created.changes_dict["points"] == [[], ["BL23 B", "GB30 B"]]
    assert created.changes_dict["pain_before"][1] == "6"
    assert created.additional_data["patient_id"] == plan.patient_id
    assert not entries.filter(action=LogEntry.Action.UPDATE).exists()


def test_changing_a_plan_records_old_and_new_values(lac_client, records):
    from tests.treatments.test_plans import plan_data

    plan = records["plan"]
    data = plan_data(planned_sessions="12", status="active", version=str(plan.version))
    assert lac_client.post(reverse("treatments:plan-update", args=[plan.pk]), data).status_code == 302
    entry = LogEntry.objects.get_for_object(plan).filter(action=LogEntry.Action.UPDATE).latest("timestamp")
    assert entry.changes_dict["planned_sessions"] == ["10", "12"]
