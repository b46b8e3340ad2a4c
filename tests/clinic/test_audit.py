from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone

from clinic.audit import readable_changes
from clinic.models import Location
from tests.clinic.test_patients import VALID
from tests.factories import PatientFactory, SessionFactory, TreatmentPlanFactory, UserFactory


def test_viewing_a_chart_is_recorded_with_user_and_address(desk_client, front_desk, patient):
    desk_client.get(reverse("pages:patient-detail", args=[patient.pk]), REMOTE_ADDR="10.1.2.3")
    entry = LogEntry.objects.filter(action=LogEntry.Action.ACCESS).get()
    assert entry.actor == front_desk
    assert entry.remote_addr == "10.1.2.3"
    assert entry.object_pk == str(patient.pk)
    assert entry.additional_data["patient_id"] == patient.pk


def test_create_and_update_are_recorded(desk_client, front_desk):
    desk_client.post(reverse("clinic:patient-create"), VALID)
    created = LogEntry.objects.get(action=LogEntry.Action.CREATE)
    assert created.actor == front_desk
    patient_pk = int(created.object_pk)
    form = desk_client.get(reverse("clinic:patient-update", args=[patient_pk])).context["form"]
    data = {name: form[name].value() or "" for name in form.fields if name != "confirm_not_duplicate"}
    data["phone"] = "(217) 555-4444"
    data["is_active"] = "on"
    desk_client.post(reverse("clinic:patient-update", args=[patient_pk]), data)
    update = LogEntry.objects.get(action=LogEntry.Action.UPDATE)
    assert update.changes_dict["phone"] == ["(217) 555-0100", "(217) 555-4444"]
    assert update.actor == front_desk


def test_delete_is_recorded(db, patient):
    pk = patient.pk
    patient.delete()
    assert LogEntry.objects.filter(action=LogEntry.Action.DELETE, object_pk=str(pk)).exists()


def test_manager_filters_the_trail_by_patient_and_action(manager_client, desk_client, db):
    first, second = PatientFactory(), PatientFactory()
    desk_client.get(reverse("pages:patient-detail", args=[first.pk]))
    desk_client.get(reverse("pages:patient-detail", args=[second.pk]))
    response = manager_client.get(reverse("clinic:audit-log"), {"patient": first.pk, "action": LogEntry.Action.ACCESS})
    entries = list(response.context["page"])
    assert [e.object_pk for e in entries] == [str(first.pk)]


def test_manager_filters_by_user(manager_client, desk_client, front_desk, manager, patient):
    desk_client.get(reverse("pages:patient-detail", args=[patient.pk]))
    manager_client.get(reverse("pages:patient-detail", args=[patient.pk]))
    response = manager_client.get(
        reverse("clinic:audit-log"), {"actor": front_desk.pk, "action": LogEntry.Action.ACCESS}
    )
    assert {e.actor for e in response.context["page"]} == {front_desk}


def test_bad_filter_values_do_not_break_the_page(manager_client, db):
    response = manager_client.get(reverse("clinic:audit-log"), {"since": "yesterday", "actor": "abc", "patient": "x"})
    assert response.status_code == 200


@pytest.mark.parametrize("client_name", ["desk_client", "lac_client"])
def test_only_the_manager_reads_the_trail(request, client_name):
    response = request.getfixturevalue(client_name).get(reverse("clinic:audit-log"))
    assert response.status_code == 403
    assert "auditlog.view_logentry" in response.content.decode()


def test_audit_page_query_count_is_bounded(manager_client, desk_client, django_assert_max_num_queries, db):
    for patient in PatientFactory.create_batch(10):
        desk_client.get(reverse("pages:patient-detail", args=[patient.pk]))
    # Includes loading the manager's two-factor device, and the locations they see (one read per page).
    with django_assert_max_num_queries(12):
        manager_client.get(reverse("clinic:audit-log"))


@pytest.mark.parametrize("value", ["-1e5000", "1e5000", "-1e1000000", "1.5", "0", "-1", "9223372036854775808"])
def test_a_patient_id_that_is_no_record_id_gets_a_message_beside_the_field(manager_client, value):
    # Read as a decimal, "-1e5000" raised a ValueError (500) and "-1e1000000" spent seconds building an int.
    response = manager_client.get(reverse("clinic:audit-log"), {"patient": value})
    assert response.status_code == 200
    assert response.context["filter"].form.errors["patient"]
    assert 'id="error_1_id_patient"' in response.content.decode()
    assert f'value="{value}"' in response.content.decode()


# --- times on the clinic's clock, named; staff by name (issue 20) ----------------------------

WHEN = datetime(2026, 12, 1, 20, 5, 3, tzinfo=UTC)  # 14:05:03 in Chicago, 21:05:03 in Berlin


def _entry(patient, actor, when=WHEN) -> LogEntry:
    return LogEntry.objects.create(
        content_type=ContentType.objects.get_for_model(patient),
        object_pk=str(patient.pk),
        object_repr=str(patient),
        action=LogEntry.Action.ACCESS,
        actor=actor,
        timestamp=when,
        additional_data={"patient_id": patient.pk},
    )


@pytest.mark.parametrize(
    ("zone", "shown"),
    [("America/Chicago", "Dec 1, 2026 14:05:03 CST"), ("Europe/Berlin", "Dec 1, 2026 21:05:03 CET")],
)
def test_the_trail_shows_times_on_the_clinics_clock_named(manager_client, front_desk, patient, zone, shown):
    Location.objects.update(time_zone=zone)
    _entry(patient, front_desk)
    html = manager_client.get(reverse("clinic:audit-log"), {"actor": front_desk.pk}).content.decode()
    assert f"<th>When ({zone})</th>" in html
    assert f'<td class="text-nowrap">{shown}</td>' in html
    assert "2026-12-01 20:05" not in html


def test_the_trails_date_filter_reads_days_on_the_clinics_clock(manager_client, front_desk, patient):
    Location.objects.update(time_zone="Pacific/Auckland")  # UTC+13 in December: 20:05 UTC is the next day there
    _entry(patient, front_desk)
    response = manager_client.get(reverse("clinic:audit-log"), {"actor": front_desk.pk, "since": "2026-12-02"})
    assert len(response.context["page"]) == 1
    response = manager_client.get(reverse("clinic:audit-log"), {"actor": front_desk.pk, "until": "2026-12-01"})
    assert len(response.context["page"]) == 0


def test_the_trail_names_staff_with_the_username_only_where_the_name_is_shared(manager_client, front_desk, patient):
    nameless = UserFactory(username="locum", first_name="", last_name="")
    _entry(patient, front_desk)
    _entry(patient, nameless)
    html = manager_client.get(reverse("clinic:audit-log"), {"patient": patient.pk}).content.decode()
    assert "<td>Maria Lopez</td>" in html and "<td>locum</td>" in html
    UserFactory(username="mlopez2", first_name="Maria", last_name="Lopez")
    html = manager_client.get(reverse("clinic:audit-log"), {"patient": patient.pk}).content.decode()
    assert "<td>Maria Lopez (desk)</td>" in html
    # The user filter names everyone, and tells the two apart.
    assert ">Maria Lopez (desk)</option>" in html and ">Maria Lopez (mlopez2)</option>" in html


def test_a_changed_time_reads_on_the_clinics_clock(manager_client, acupuncturist):
    Location.objects.update(time_zone="America/Chicago")
    session = SessionFactory(plan=TreatmentPlanFactory(practitioner=acupuncturist), signed=True)
    entry = LogEntry.objects.filter(action=LogEntry.Action.UPDATE, object_pk=str(session.pk)).latest("id")
    local = timezone.localtime(session.signed_at, ZoneInfo("America/Chicago"))
    with timezone.override(ZoneInfo("America/Chicago")):
        changes = {label: after for label, _before, after in readable_changes(entry)}
    assert changes["Signed at"] == f"{local:%b} {local.day}, {local.year} {local:%H:%M:%S} {local.tzname()}"
    html = manager_client.get(reverse("clinic:audit-log"), {"patient": session.patient_id}).content.decode()
    assert changes["Signed at"] in html


def test_a_sessions_name_gives_its_time_on_the_clinics_clock(acupuncturist):
    started = datetime(2026, 12, 1, 15, 30, tzinfo=UTC)
    session = SessionFactory(plan=TreatmentPlanFactory(practitioner=acupuncturist), started_at=started, points=[])
    session.refresh_from_db()
    with timezone.override(ZoneInfo("America/Chicago")):
        assert str(session).startswith("Session 2026-12-01 09:30 for ")


def test_the_admins_audit_entries_read_on_the_clinics_clock_by_name(admin_client, front_desk, patient):
    Location.objects.update(time_zone="America/Chicago")
    entry = _entry(patient, front_desk)
    html = admin_client.get(reverse("admin:auditlog_logentry_changelist")).content.decode()
    assert "Dec 1, 2026 14:05:03 CST" in html
    assert f'{reverse("admin:auth_user_change", args=[front_desk.pk])}">Maria Lopez</a>' in html
    detail = admin_client.get(reverse("admin:auditlog_logentry_change", args=[entry.pk])).content.decode()
    assert "Dec 1, 2026 14:05:03 CST" in detail and "Maria Lopez" in detail


def test_the_admins_entry_reads_its_changes_as_the_audit_log_page_does(admin_client, acupuncturist):
    Location.objects.update(time_zone="America/Chicago")
    session = SessionFactory(plan=TreatmentPlanFactory(practitioner=acupuncturist), signed=True)
    entry = LogEntry.objects.filter(action=LogEntry.Action.UPDATE, object_pk=str(session.pk)).latest("id")
    local = timezone.localtime(session.signed_at, ZoneInfo("America/Chicago"))
    html = admin_client.get(reverse("admin:auditlog_logentry_change", args=[entry.pk])).content.decode()
    assert f"<th>Signed at</th><td>—</td><td>{local:%b} {local.day}, {local.year} {local:%H:%M:%S} " in html
