"""Data migrations keep what was there: each is run forward from the state before it, on real rows."""

from datetime import date, datetime, time, timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

pytestmark = pytest.mark.django_db(transaction=True)


def migrate(target):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(target)
    return executor.loader.project_state(target).apps


def latest():
    executor = MigrationExecutor(connection)
    migrate(executor.loader.graph.leaf_nodes())


@pytest.fixture
def people():
    from django.contrib.auth.models import User

    from tests.factories import PatientFactory

    return PatientFactory(), User.objects.create(username="lac", email="lac@clinic.example")


def test_self_harm_alerts_become_alerts(people):
    patient, clinician = people
    apps = migrate([("intake", "0003_referral_is_emergency_reported_between_visits")])
    SelfHarmAlert = apps.get_model("intake", "SelfHarmAlert")
    raised = timezone.now() - timedelta(days=3)
    open_one = SelfHarmAlert.objects.create(patient_id=patient.pk, item9=2)
    SelfHarmAlert.objects.create(patient_id=patient.pk, item9=3)  # a second open one, from a later intake
    done = SelfHarmAlert.objects.create(
        patient_id=patient.pk,
        item9=1,
        acknowledged_at=timezone.now(),
        acknowledged_by_id=clinician.pk,
        action_taken="GP",
    )
    SelfHarmAlert.objects.filter(pk=open_one.pk).update(raised_at=raised)
    latest()
    from intake.models import Alert

    alerts = list(Alert.objects.order_by("pk"))
    # The two open ones are one open alert, with the higher answer.
    assert [(a.kind, a.severity, a.item9, a.is_open) for a in alerts] == [
        ("self_harm", "urgent", 3, True),
        ("self_harm", "urgent", 1, False),
    ]
    assert alerts[0].opened_at == raised and alerts[0].notified_at is None  # never sent: the next run sends it
    assert (alerts[1].acknowledged_by_id, alerts[1].action_taken) == (clinician.pk, "GP")
    assert done.pk  # (the old row's id is not kept: alerts number afresh)


def test_red_flags_still_open_get_their_alerts(people):
    patient, clinician = people
    from tests.factories import PatientFactory

    other, third = PatientFactory(), PatientFactory()
    apps = migrate([("intake", "0003_referral_is_emergency_reported_between_visits")])
    Referral = apps.get_model("intake", "Referral")
    reported = timezone.now() - timedelta(hours=5)
    Referral.objects.create(
        patient_id=patient.pk,
        source="questionnaire",
        flags=["saddle_anaesthesia"],
        reason="x",
        is_emergency=True,
        reported_between_visits_at=reported,
    )
    Referral.objects.create(patient_id=other.pk, source="intake", flags=["cancer_history"], reason="y")
    Referral.objects.create(patient_id=third.pk, source="exam", flags=["motor_weakness"], reason="z")
    latest()
    from intake.models import Alert

    alerts = {a.patient_id: a for a in Alert.objects.all()}
    assert set(alerts) == {patient.pk, other.pk}  # the exam's own finding needed no alert
    assert (alerts[patient.pk].kind, alerts[patient.pk].severity) == ("red_flag_between_visits", "emergency")
    assert alerts[patient.pk].opened_at == reported and alerts[patient.pk].notified_at is None
    assert (alerts[other.pk].kind, alerts[other.pk].severity) == ("red_flag_at_intake", "urgent")


def test_plans_get_their_new_derived_columns_from_the_rows_already_there(people):
    patient, clinician = people
    apps = migrate([("treatments", "0008_session_reinsertions")])
    Plan = apps.get_model("treatments", "TreatmentPlan")
    Session = apps.get_model("treatments", "Session")
    Questionnaire = apps.get_model("outcomes", "Response")  # its name until outcomes migration 0004
    start = date(2026, 3, 2)
    plan = Plan.objects.create(
        patient_id=patient.pk, practitioner_id=clinician.pk, tcm_pattern="other", start_date=start, goals="x"
    )
    first = timezone.make_aware(datetime.combine(start, time(9)))
    Session.objects.create(
        plan_id=plan.pk,
        patient_id=patient.pk,
        practitioner_id=clinician.pk,
        started_at=first,
        contact_minutes=30,
        pain_before=5,
    )
    for week, odi, sent in ((0, 44, first + timedelta(hours=3)), (4, 41, None), (6, 40, None)):
        due = start + timedelta(weeks=week)
        Questionnaire.objects.create(
            patient_id=patient.pk,
            plan_id=plan.pk,
            due_date=due,
            week=week,
            odi_score=odi,
            submitted_at=sent or timezone.make_aware(datetime.combine(due, time(8))),
            source="online",
        )
    legacy = Plan.objects.create(
        patient_id=patient.pk, practitioner_id=clinician.pk, tcm_pattern="other", start_date=start, goals="x"
    )
    Questionnaire.objects.create(patient_id=patient.pk, plan_id=legacy.pk, due_date=start + timedelta(days=2), week=0)
    latest()
    from outcomes.services import schedule_due
    from outcomes.summary import refresh_outcomes
    from treatments.models import OUTCOME_FIELDS, TreatmentPlan

    # A plan scheduled from its first session (the old rule) keeps that week 0; one never scheduled has none yet.
    assert TreatmentPlan.objects.get(pk=legacy.pk).questionnaires_from == start + timedelta(days=2)
    assert TreatmentPlan.objects.get(pk=plan.pk).questionnaires_from == start
    schedule_due(today=start + timedelta(days=10), plans=TreatmentPlan.objects.filter(pk=legacy.pk))
    assert not has_row_on(legacy, start)  # no second baseline on its start day

    migrated = TreatmentPlan.objects.get(pk=plan.pk)
    assert (migrated.week4_odi, migrated.latest_odi, migrated.latest_odi_week) == (41, 40, 6)
    assert migrated.no_improvement is True
    assert migrated.baseline_before_treatment is False  # answered three hours after the first needles
    # The migration's frozen copy of the rules gives what the live rules give.
    relief = {"first_relief_days", "tuina_first_session"}
    fields = sorted(OUTCOME_FIELDS - {"baseline_odi"} - relief)
    before = TreatmentPlan.objects.values_list(*fields).get(pk=plan.pk)
    # Time to first relief (treatments migration 0012) has no copy of its rule: every plan is marked out of
    # date, and the live rule fills it in before anything reads it.
    assert migrated.outcome_stale is True and (migrated.first_relief_days, migrated.tuina_first_session) == (None, None)
    refresh_outcomes([plan.pk])
    assert TreatmentPlan.objects.values_list(*fields).get(pk=plan.pk) == before
    refreshed = TreatmentPlan.objects.get(pk=plan.pk)
    assert not refreshed.outcome_stale and (refreshed.first_relief_days, refreshed.tuina_first_session) == (None, False)


RENAME = ("outcomes", "0003_questionnaire_links_name_their_subject")  # the state before Response became Questionnaire


def test_questionnaires_keep_their_rows_links_audit_trail_and_permissions_when_renamed(people):
    patient, clinician = people
    apps = migrate([RENAME])
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    old_type = ContentType.objects.get(app_label="outcomes", model="response")
    # Taken back, the step gives the permissions their old names (made by post_migrate, with the database).
    old_permissions = Permission.objects.filter(content_type=old_type)
    assert set(old_permissions.values_list("codename", flat=True)) == {
        "add_response",
        "change_response",
        "delete_response",
        "view_response",
        "view_report",
    }
    readers = Group.objects.create(name="Readers")
    readers.permissions.add(old_permissions.get(codename="view_response"), old_permissions.get(codename="view_report"))
    apps.get_model("auth", "User").objects.get(pk=clinician.pk).groups.add(readers)
    row = apps.get_model("outcomes", "Response").objects.create(
        patient_id=patient.pk, due_date=date(2026, 3, 2), week=0, odi_score=30, submitted_at=timezone.now()
    )
    link = apps.get_model("clinic", "PatientLink").objects.create(
        patient_id=patient.pk,
        purpose="questionnaire",
        subject_type_id=old_type.pk,
        subject_id=row.pk,
        token_hash="0" * 64,
        expires_at=timezone.now() + timedelta(days=7),
    )
    from auditlog.models import LogEntry

    entry = LogEntry.objects.create(
        content_type_id=old_type.pk, object_pk=str(row.pk), object_id=row.pk, object_repr="x", action=0
    )

    latest()
    from django.contrib.auth.models import Group, Permission, User
    from django.contrib.contenttypes.models import ContentType

    from clinic.models import PatientLink
    from outcomes.models import Questionnaire

    ContentType.objects.clear_cache()
    questionnaire = Questionnaire.objects.get(pk=row.pk)
    assert (questionnaire.patient, questionnaire.odi_score) == (patient, 30)
    assert ContentType.objects.get_for_model(Questionnaire).pk == old_type.pk  # the same row, renamed
    assert not ContentType.objects.filter(app_label="outcomes", model="response").exists()
    assert PatientLink.objects.get(pk=link.pk).subject == questionnaire
    assert list(LogEntry.objects.get_for_object(questionnaire)) == [entry]
    renamed = Permission.objects.filter(content_type_id=old_type.pk)
    assert set(renamed.values_list("codename", "name")) == {
        ("add_questionnaire", "Can add questionnaire"),
        ("change_questionnaire", "Can change questionnaire"),
        ("delete_questionnaire", "Can delete questionnaire"),
        ("view_questionnaire", "Can view questionnaire"),
        ("view_report", "Can view the clinic outcomes report"),
    }
    assert set(Group.objects.get(name="Readers").permissions.values_list("codename", flat=True)) == {
        "view_questionnaire",
        "view_report",
    }
    assert User.objects.get(pk=clinician.pk).has_perm("outcomes.view_questionnaire")


def test_a_permission_already_made_under_the_new_name_takes_over_the_old_ones_holders(people):
    _patient, clinician = people
    apps = migrate([RENAME])
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    old_type = ContentType.objects.get(app_label="outcomes", model="response")
    # As if post_migrate had made the new permission before the rename ran: both names exist.
    new = Permission.objects.create(content_type=old_type, codename="add_questionnaire", name="Can add questionnaire")
    desk = apps.get_model("auth", "Group").objects.create(name="Desk")
    desk.permissions.add(Permission.objects.get(content_type=old_type, codename="add_response"))
    apps.get_model("auth", "User").objects.get(pk=clinician.pk).user_permissions.add(
        Permission.objects.get(content_type=old_type, codename="add_response"), new
    )

    latest()
    from django.contrib.auth.models import Group, Permission, User

    assert list(Permission.objects.filter(codename="add_questionnaire").values_list("pk", flat=True)) == [new.pk]
    assert not Permission.objects.filter(codename__endswith="_response").exists()
    assert list(Group.objects.get(name="Desk").permissions.values_list("codename", flat=True)) == ["add_questionnaire"]
    assert list(User.objects.get(pk=clinician.pk).user_permissions.values_list("pk", flat=True)) == [new.pk]


def has_row_on(plan, day):
    from outcomes.models import Questionnaire

    return Questionnaire.objects.filter(plan_id=plan.pk, due_date=day).exists()


BEFORE_LOCATIONS = [
    ("clinic", "0006_patient_search_keys"),
    ("treatments", "0012_plan_first_relief"),
    ("scheduling", "0002_default_settings"),
]


def test_one_location_is_made_from_the_clinic_and_given_to_every_row_and_it_goes_back(people, settings):
    patient, clinician = people
    apps = migrate(BEFORE_LOCATIONS)
    StaffProfile = apps.get_model("clinic", "StaffProfile")
    Plan = apps.get_model("treatments", "TreatmentPlan")
    Session = apps.get_model("treatments", "Session")
    Appointment = apps.get_model("scheduling", "Appointment")
    AppointmentSlot = apps.get_model("scheduling", "AppointmentSlot")
    ScheduleSettings = apps.get_model("scheduling", "ScheduleSettings")
    StaffProfile.objects.create(user_id=clinician.pk)
    ScheduleSettings.objects.update_or_create(pk=1, defaults={"beds": 6})
    Hours = apps.get_model("scheduling", "OpeningHours")
    Hours.objects.all().delete()
    Hours.objects.create(weekday=0, opens=time(7), closes=time(15))
    plan = Plan.objects.create(
        patient_id=patient.pk, practitioner_id=clinician.pk, tcm_pattern="other", start_date=date(2026, 3, 2), goals="x"
    )
    start = timezone.make_aware(datetime(2026, 3, 2, 9))
    Session.objects.create(
        plan_id=plan.pk,
        patient_id=patient.pk,
        practitioner_id=clinician.pk,
        started_at=start,
        contact_minutes=30,
        pain_before=5,
    )
    common = {"patient_id": patient.pk, "practitioner_id": clinician.pk, "minutes": 15, "booked_by_id": clinician.pk}
    with_plan = Appointment.objects.create(start=start, plan_id=plan.pk, **common)
    Appointment.objects.create(start=start + timedelta(days=1), **common)
    AppointmentSlot.objects.create(
        appointment_id=with_plan.pk, practitioner_id=clinician.pk, slot=start, lane=1, place=1
    )
    latest()
    from clinic.models import Location, Patient
    from clinic.models import StaffProfile as Profile
    from scheduling.models import Appointment as Visit
    from scheduling.models import AppointmentSlot as Slot
    from scheduling.models import OpeningHours
    from treatments.models import Session as Note
    from treatments.models import TreatmentPlan

    location = Location.objects.get()
    assert (location.name, location.address, location.phone, location.beds) == (settings.CLINIC_NAME, "", "", 6)
    # With no address or phone of its own, the clinic's settings are printed, as before: a change of them shows.
    from clinic.locations import contact_details

    details = contact_details(location)
    assert (details["name"], details["address"]) == (settings.CLINIC_NAME, settings.CLINIC_ADDRESS)
    assert Patient.objects.get(pk=patient.pk).location == location
    assert list(Profile.objects.get(user=clinician).locations.all()) == [location]
    for model in (TreatmentPlan, Note, Visit, Slot, OpeningHours):
        assert set(model.objects.values_list("location", flat=True)) == {location.pk}, model
    # The clinic's hours, now the location's.
    assert list(OpeningHours.objects.values_list("weekday", "opens", "closes")) == [(0, time(7), time(15))]

    apps = migrate(BEFORE_LOCATIONS)  # reversible: the one clinic again, its beds on the settings row
    assert apps.get_model("scheduling", "ScheduleSettings").objects.get(pk=1).beds == 6
    assert apps.get_model("treatments", "Session").objects.count() == 1
    latest()


def test_the_locations_are_not_undone_while_two_share_a_bed_at_the_same_time(people):
    from django.db.migrations.exceptions import IrreversibleError

    from clinic.models import Location
    from scheduling.models import Appointment, AppointmentSlot

    patient, clinician = people
    start = timezone.now().replace(minute=0, second=0, microsecond=0) + timedelta(days=2)
    for location in (patient.location, Location.objects.create(name="Eastside")):  # bed 1 at each, at 9:00
        visit = Appointment.objects.create(
            patient=patient, practitioner=clinician, booked_by=clinician, location=location, start=start, minutes=15
        )
        AppointmentSlot.objects.create(
            appointment=visit, practitioner=clinician, location=location, slot=start, lane=location.pk, place=1
        )
    shared = r"same bed is booked at two or more locations at once in 1 quarter hour \("
    with pytest.raises(IrreversibleError, match=shared):
        migrate([("scheduling", "0003_locations")])
    latest()
    assert AppointmentSlot.objects.filter(slot=start, place=1).count() == 2  # nothing lost
