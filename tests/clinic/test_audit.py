import pytest
from auditlog.models import LogEntry
from django.urls import reverse

from tests.clinic.test_patients import VALID
from tests.factories import PatientFactory


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
