"""Every kind of staff page that shows patient data writes a read entry; every write is logged."""

import pytest
from auditlog.models import LogEntry
from django.urls import reverse
from django.utils import timezone

from intake.models import ClinicalAssessment
from outcomes.models import Questionnaire
from tests.conftest import _client_for
from tests.factories import IntakeFactory, SessionFactory, TreatmentPlanFactory, session_form_data


@pytest.fixture
def records(acupuncturist):
    plan = TreatmentPlanFactory(practitioner=acupuncturist, patient=IntakeFactory().patient)
    session = SessionFactory(plan=plan, signed=True)
    questionnaire = Questionnaire.objects.create(
        patient=plan.patient,
        plan=plan,
        due_date=timezone.localdate(),
        week=0,
        odi_score=30,
        submitted_at=timezone.now(),
    )
    return {"plan": plan, "session": session, "questionnaire": questionnaire, "intake": plan.patient.intakes.get()}


READS = [
    (
        "patient chart",
        lambda r: reverse("pages:patient-detail", args=[r["plan"].patient.pk]),
        lambda r: r["plan"].patient,
    ),
    ("intake", lambda r: reverse("intake:intake-detail", args=[r["intake"].pk]), lambda r: r["intake"]),
    ("plan", lambda r: reverse("treatments:plan-detail", args=[r["plan"].pk]), lambda r: r["plan"]),
    ("session", lambda r: reverse("treatments:session-detail", args=[r["session"].pk]), lambda r: r["session"]),
    ("superbill", lambda r: reverse("treatments:superbill", args=[r["session"].pk]), lambda r: r["session"]),
    ("superbill PDF", lambda r: reverse("treatments:superbill-pdf", args=[r["session"].pk]), lambda r: r["session"]),
    (
        "questionnaire",
        lambda r: reverse("outcomes:questionnaire-detail", args=[r["questionnaire"].pk]),
        lambda r: r["questionnaire"],
    ),
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


ADMIN_READS = [
    ("patient", lambda r: r["plan"].patient),
    ("session", lambda r: r["session"]),  # signed: the admin's read-only page
    ("questionnaire", lambda r: r["questionnaire"]),
]


@pytest.mark.parametrize("page", ["change", "history"])
@pytest.mark.parametrize(("kind", "record_for"), ADMIN_READS, ids=[kind for kind, _ in ADMIN_READS])
def test_opening_a_record_in_the_admin_is_recorded(kind, record_for, page, records, admin_client, admin_user):
    record = record_for(records)
    url = reverse(f"admin:{record._meta.app_label}_{record._meta.model_name}_{page}", args=[record.pk])
    before = access_entries(record).count()
    assert admin_client.get(url, REMOTE_ADDR="10.1.2.3").status_code == 200
    entries = access_entries(record)
    assert entries.count() == before + 1
    entry = entries.latest("timestamp")
    assert (entry.actor, entry.remote_addr) == (admin_user, "10.1.2.3")
    assert entry.additional_data["patient_id"] == records["plan"].patient_id


def test_a_manager_reading_a_note_in_the_admin_is_recorded(records, manager):
    manager.is_staff = True
    manager.save(update_fields=["is_staff"])
    session = records["session"]
    page = _client_for(manager).get(reverse("admin:treatments_session_change", args=[session.pk]))
    assert page.status_code == 200
    assert access_entries(session).get().actor == manager


def test_a_missing_record_in_the_admin_records_nothing(admin_client, db):
    response = admin_client.get(reverse("admin:clinic_patient_change", args=[9999]))
    assert response.status_code == 302  # the admin's answer: back to the index with a message
    assert not LogEntry.objects.filter(action=LogEntry.Action.ACCESS).exists()


def test_saving_in_the_admin_is_an_update_not_a_read(admin_client, records):
    patient = records["plan"].patient
    url = reverse("admin:clinic_patient_change", args=[patient.pk])
    form = admin_client.get(url).context["adminform"].form
    data = {name: form[name].value() for name in form.fields}
    data = {name: value for name, value in data.items() if value is not None}
    data["phone"] = "(217) 555-4444"
    reads = access_entries(patient).count()
    assert admin_client.post(url, data).status_code == 302
    assert access_entries(patient).count() == reads
    assert LogEntry.objects.get_for_object(patient).filter(action=LogEntry.Action.UPDATE).exists()


def test_logging_a_session_records_the_session_and_its_points(lac_client, records, acupuncturist):
    plan = records["plan"]
    lac_client.post(reverse("treatments:session-create", args=[plan.pk]), session_form_data(points=["BL23", "GB30"]))
    session = plan.sessions.latest("created_at")
    entries = LogEntry.objects.get_for_object(session)
    created = entries.get(action=LogEntry.Action.CREATE, actor=acupuncturist)
    assert created.changes_dict["pain_before"][1] == "6"
    assert created.additional_data["patient_id"] == plan.patient_id
    assert not entries.filter(action=LogEntry.Action.UPDATE).exists()
    # Each point has its own entry, by the same clinician, from the same request, for the same patient.
    points = LogEntry.objects.filter(content_type__model="sessionpoint", action=LogEntry.Action.CREATE)
    assert sorted(points.values_list("object_repr", flat=True)) == ["BL23 B", "GB30 B"]
    assert {(e.actor, e.cid, e.additional_data["patient_id"]) for e in points} == {
        (acupuncturist, created.cid, plan.patient_id)
    }


def test_changing_a_plan_records_old_and_new_values(lac_client, records):
    from tests.treatments.test_plans import plan_data

    plan = records["plan"]
    data = plan_data(planned_sessions="12", status="active", version=str(plan.version))
    assert lac_client.post(reverse("treatments:plan-update", args=[plan.pk]), data).status_code == 302
    entry = LogEntry.objects.get_for_object(plan).filter(action=LogEntry.Action.UPDATE).latest("timestamp")
    assert entry.changes_dict["planned_sessions"] == ["10", "12"]


# --- pages that list patients write one entry naming them (issue 15) -----------------------------------


def listed_entry() -> LogEntry:
    return LogEntry.objects.filter(action=LogEntry.Action.ACCESS, additional_data__listed__isnull=False).latest("id")


@pytest.mark.parametrize(
    ("page", "url", "params", "htmx"),
    [
        ("Patient list, page 1", "clinic:patient-list", {}, False),
        ("Patient search “Moreno”, page 1", "clinic:patient-list", {"q": "Moreno"}, False),
        ("Patient search “Moreno”, page 1", "clinic:patient-list", {"q": "Moreno"}, True),
    ],
)
def test_the_patient_list_and_search_record_who_was_listed(desk_client, front_desk, patient, page, url, params, htmx):
    # Named, not Faker's: a random surname can be "Moreno" too and match the search.
    other = IntakeFactory(patient__given_name="Grace", patient__family_name="Hopper").patient
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    desk_client.get(reverse(url), params, **headers)
    entry = listed_entry()
    listed = {patient.pk} if params else {patient.pk, other.pk}
    assert entry.additional_data == {"listed": page, "patient_ids": sorted(listed)}
    assert entry.actor == front_desk
    assert entry.object_repr == f"{page}: {len(listed)} patients listed"


def test_a_search_that_lists_no_one_records_nothing(desk_client, patient):
    desk_client.get(reverse("clinic:patient-list"), {"q": "Nobodyofthatname"})
    assert not LogEntry.objects.filter(additional_data__listed__isnull=False).exists()


def test_the_dashboard_records_the_patients_it_shows(lac_client, acupuncturist, records):
    lac_client.get(reverse("pages:dashboard"))
    entry = listed_entry()
    assert entry.additional_data["listed"] == "Dashboard"
    assert records["plan"].patient.pk in entry.additional_data["patient_ids"]  # its recent session


@pytest.mark.parametrize("model", ["clinic/patient", "treatments/session", "outcomes/questionnaire", "intake/alert"])
def test_the_admin_lists_record_the_patients_they_show(admin_client, admin_user, records, model):
    from intake.services import raise_self_harm_alert

    raise_self_harm_alert(patient=records["plan"].patient, item9=1)
    admin_client.get(f"/admin/{model}/")
    entry = listed_entry()
    assert entry.actor == admin_user and entry.additional_data["patient_ids"] == [records["plan"].patient.pk]
    assert entry.additional_data["listed"].startswith("Admin list of ")
