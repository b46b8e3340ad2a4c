"""Locations: each clinic's staff see their own patients, through one `visible_to(user)` (clinic.locations).

A clinic with one location sees no location anywhere; a group's staff see the patients of the locations they
work at, switch to every location only with the permission, and a filter naming a location they cannot see is
a 404, never silently ignored.
"""

from datetime import time, timedelta

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from clinic.locations import NO_LOCATION_MESSAGE, contact_details, scope_of
from clinic.models import Location, Patient, StaffProfile
from intake.models import Alert, Referral
from scheduling import services as schedule
from scheduling.models import Appointment, AppointmentSlot, OpeningHours
from tests.conftest import _client_for
from tests.factories import IntakeFactory, PatientFactory, SessionFactory, TreatmentPlanFactory, intake_defaults
from tests.scheduling.conftest import at, book, next_weekday
from treatments.models import Session, TreatmentPlan


@pytest.fixture
def home(db):
    """The location the data migration made: every patient's, until a second one exists."""
    return Location.objects.get()


@pytest.fixture
def branch(home):
    return Location.objects.create(name="Riverside", address="9 River Rd, Springfield, IL 62704", phone="217-555-0300")


def works_at(user, *locations):
    profile, _ = StaffProfile.objects.get_or_create(user=user)
    profile.locations.set(locations)
    return user


def names(response) -> set[str]:
    return {row["family_name"] for row in response.context["page"]}


# --- one location: nothing changes ---------------------------------------------------------------


def test_a_clinic_with_one_location_never_names_it(desk_client, front_desk, home):
    patient = PatientFactory()
    assert patient.location == home  # the default: the clinic's only location
    page = desk_client.get(reverse("clinic:patient-create")).content.decode()
    assert 'name="location"' not in page and "location-switch" not in page
    assert scope_of(front_desk).sees_all  # no location of their own is needed either
    assert desk_client.get(patient.get_absolute_url()).status_code == 200


# --- several locations ---------------------------------------------------------------------------


@pytest.fixture
def group(home, branch, front_desk, acupuncturist, manager):
    """Two locations: the desk and the acupuncturist work at home, the manager at neither (the group's)."""
    works_at(front_desk, home)
    works_at(acupuncturist, home)
    ours = PatientFactory(family_name="Homer", location=home)
    theirs = PatientFactory(family_name="Rivers", location=branch)
    return ours, theirs


def test_staff_list_and_search_only_their_locations_patients(desk_client, group):
    assert names(desk_client.get(reverse("clinic:patient-list"))) == {"Homer"}
    assert names(desk_client.get(reverse("clinic:patient-list"), {"q": "rivers"})) == set()
    assert names(desk_client.get(reverse("clinic:patient-list"), {"q": "homer"})) == {"Homer"}


def test_another_locations_patient_is_not_found_by_every_path(desk_client, lac_client, acupuncturist, group):
    _, theirs = group
    plan = TreatmentPlanFactory(patient=theirs, practitioner=acupuncturist)
    session = SessionFactory(plan=plan)
    assert plan.location_id == theirs.location_id == session.location_id
    for client, url in [
        (desk_client, theirs.get_absolute_url()),
        (desk_client, reverse("clinic:patient-update", args=[theirs.pk])),
        (lac_client, reverse("treatments:plan-detail", args=[plan.pk])),
        (lac_client, reverse("treatments:session-detail", args=[session.pk])),
    ]:
        assert client.get(url).status_code == 404, url


def test_the_dashboard_counts_only_their_locations_warning_signs(lac_client, group):
    ours, theirs = group
    for patient in (ours, theirs):
        IntakeFactory(patient=patient, **intake_defaults(saddle_anaesthesia=True))
    assert Referral.objects.open().count() == 2 and Alert.objects.open().count() == 2
    context = lac_client.get(reverse("pages:dashboard")).context
    assert [r.patient for r in context["open_referrals"]] == [ours]
    assert [a.patient for a in context["alerts"]] == [ours]


def test_the_group_manager_sees_every_location_and_a_manager_of_one_can_switch(manager_client, manager, group, home):
    assert scope_of(manager).sees_all  # works nowhere in particular: the whole group
    works_at(manager, home)
    response = manager_client.get(reverse("pages:dashboard"))
    assert response.context["location_scope"].label == home.name
    assert 'data-testid="location-switch"' in response.content.decode()
    manager_client.post(reverse("clinic:location-scope"), {"scope": "all", "next": "/"})
    assert manager_client.get(reverse("pages:dashboard")).context["location_scope"].sees_all
    manager_client.post(reverse("clinic:location-scope"), {"scope": "mine"})
    assert not manager_client.get(reverse("pages:dashboard")).context["location_scope"].sees_all


def test_switching_to_every_location_needs_the_permission(desk_client, group):
    response = desk_client.post(reverse("clinic:location-scope"), {"scope": "all"})
    assert response.status_code == 403
    assert "clinic.view_all_locations" in response.content.decode()
    assert names(desk_client.get(reverse("clinic:patient-list"))) == {"Homer"}


def test_the_switch_never_sends_anyone_off_the_site(manager_client, group):
    response = manager_client.post(reverse("clinic:location-scope"), {"scope": "all", "next": "https://evil.example/"})
    assert response.url == reverse("pages:dashboard")


def test_a_user_with_no_location_is_told_not_shown_an_empty_clinic(roles, group):
    from clinic.roles import FRONT_DESK
    from tests.factories import UserFactory

    newcomer = UserFactory(username="new", role=FRONT_DESK)
    client = _client_for(newcomer)
    response = client.get(reverse("clinic:patient-list"))
    assert response.status_code == 200 and names(response) == set()
    assert NO_LOCATION_MESSAGE in response.content.decode()


def test_a_filter_naming_a_location_the_user_cannot_see_is_a_404(desk_client, group, branch, home):
    assert desk_client.get(reverse("pages:day-sheet"), {"location": branch.pk}).status_code == 404
    assert desk_client.get(reverse("pages:day-sheet"), {"location": "x"}).status_code == 404
    assert desk_client.get(reverse("pages:day-sheet"), {"location": home.pk}).status_code == 200


def test_the_home_location_offered_is_among_the_users_and_a_forged_one_is_refused(desk_client, group, branch, home):
    page = desk_client.get(reverse("clinic:patient-create")).content.decode()
    assert f'value="{home.pk}"' in page and f'value="{branch.pk}"' not in page
    data = {
        "given_name": "Lena",
        "family_name": "Park",
        "date_of_birth": "1980-02-03",
        "sex": "female",
        "preferred_contact": "phone",
        "location": branch.pk,
    }
    response = desk_client.post(reverse("clinic:patient-create"), data)
    assert response.status_code == 200 and "location" in response.context["form"].errors
    assert "Lena" in response.content.decode()  # nothing typed is lost
    desk_client.post(reverse("clinic:patient-create"), {**data, "location": home.pk})
    assert Patient.objects.get(given_name="Lena").location == home


def test_a_patient_who_moves_keeps_their_history(lac_client, acupuncturist, home, branch, manager):
    works_at(acupuncturist, branch)
    patient = PatientFactory(location=home)
    plan = TreatmentPlanFactory(patient=patient, practitioner=acupuncturist)
    SessionFactory(plan=plan)
    assert lac_client.get(patient.get_absolute_url()).status_code == 404  # not yet theirs
    patient.location = branch
    patient.save()
    chart = lac_client.get(patient.get_absolute_url())
    assert chart.status_code == 200
    assert lac_client.get(reverse("treatments:plan-detail", args=[plan.pk])).status_code == 200
    # The course stays where it was given: the report compares locations by it.
    assert TreatmentPlan.objects.get(pk=plan.pk).location == home
    assert Session.objects.get(plan=plan).location == home


# --- the schedule at each location ----------------------------------------------------------------


def test_each_location_has_its_own_beds(acupuncturist, front_desk, home, branch):
    from tests.factories import UserFactory

    second = UserFactory(username="lac2", role="Acupuncturist")
    home.beds = branch.beds = 1
    home.save()
    branch.save()
    day = next_weekday(1)
    ours, theirs, third = PatientFactory(location=home), PatientFactory(location=branch), PatientFactory(location=home)
    book(ours, acupuncturist, at(day, 10), front_desk)
    book(theirs, second, at(day, 10), front_desk)  # the other location's one bed
    assert set(AppointmentSlot.objects.values_list("location", flat=True)) == {home.pk, branch.pk}
    third_lac = UserFactory(username="lac3", role="Acupuncturist")
    with pytest.raises(schedule.BookingRefused, match="All 1 treatment beds are taken at 10:00"):
        book(third, third_lac, at(day, 10), front_desk)


def test_each_location_has_its_own_opening_hours(acupuncturist, front_desk, home, branch):
    OpeningHours.objects.filter(location=home).delete()
    OpeningHours.objects.create(location=home, weekday=5, opens=time(9), closes=time(13))
    OpeningHours.objects.create(location=branch, weekday=0, opens=time(8), closes=time(12))  # Mondays only
    saturday = next_weekday(5)
    patient = PatientFactory(location=branch)
    with pytest.raises(schedule.BookingRefused, match="outside opening hours at Riverside"):
        book(patient, acupuncturist, at(saturday, 10), front_desk)
    booked = book(patient, acupuncturist, at(saturday, 10), front_desk, location=home)
    assert booked.location == home


def test_a_visit_is_at_its_plans_location_and_the_day_sheet_filters_by_it(
    desk_client, front_desk, acupuncturist, group, branch
):
    _, theirs = group
    day = next_weekday(2)
    plan = TreatmentPlanFactory(patient=theirs, practitioner=acupuncturist)
    visit = book(theirs, acupuncturist, at(day, 9), front_desk, plan=plan)
    assert visit.location == branch
    sheet = desk_client.get(reverse("pages:day-sheet"), {"day": day.isoformat(), "practitioner": "all"})
    assert all(v["patient_id"] != theirs.pk for c in sheet.context["columns"] for v in c["visits"])
    assert desk_client.get(reverse("scheduling:appointment-detail", args=[visit.pk])).status_code == 404


# --- what the patient and the payer read ---------------------------------------------------------


def test_the_superbill_and_the_reminder_carry_the_locations_details(
    lac_client, acupuncturist, branch, mailoutbox, django_capture_on_commit_callbacks
):
    works_at(acupuncturist, branch)
    branch.time_zone = "America/New_York"  # an hour ahead of the clinic's Chicago
    branch.save()
    patient = PatientFactory(location=branch, email="p@example.com")
    plan = TreatmentPlanFactory(patient=patient, practitioner=acupuncturist)
    session = SessionFactory(plan=plan, signed_at=timezone.now(), signed_by=acupuncturist)
    superbill = lac_client.get(reverse("treatments:superbill", args=[session.pk]))
    assert "9 River Rd" in superbill.content.decode()
    details = contact_details(branch)
    assert details["name"].endswith("Riverside") and details["phone"] == "217-555-0300"

    start = timezone.now().replace(minute=0, second=0, microsecond=0) + timedelta(hours=5)
    Appointment.objects.create(
        patient=patient, practitioner=acupuncturist, start=start, minutes=60, booked_by=acupuncturist
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert schedule.send_appointment_reminders() == 1
    body = mailoutbox[0].body
    assert "9 River Rd" in body and "217-555-0300" in body
    local = timezone.localtime(start, details["time_zone"])
    assert f"at {local:%-I}:{local:%M} {local:%p}" in body  # the time on the location's clock


def test_a_location_needs_a_real_time_zone(db):
    location = Location(name="Lakeside", time_zone="Mars/Olympus")
    with pytest.raises(ValidationError, match="not a time zone"):
        location.full_clean()


def test_a_patients_link_email_and_pages_name_their_own_location(
    client, desk_client, front_desk, home, branch, django_capture_on_commit_callbacks
):
    from django.core import mail

    works_at(front_desk, home, branch)
    patient = PatientFactory(location=branch, email="p@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        response = desk_client.post(reverse("intake:intake-link-create", args=[patient.pk]))
    assert "Riverside" in mail.outbox[0].subject and "217-555-0300" in mail.outbox[0].body
    client.get(response.context["url"].split("testserver", 1)[1])
    page = client.get(reverse("intake:patient-intake")).content.decode()
    assert "— Riverside" in page


def test_a_location_without_its_own_phone_gives_the_clinics(settings, home):
    settings.CLINIC_PHONE = "217-555-0999"  # changed after the migration made the location: it still shows
    assert contact_details(home)["phone"] == "217-555-0999"


def test_an_empty_list_says_why_truthfully(desk_client, roles, group):
    from clinic.roles import FRONT_DESK
    from tests.factories import UserFactory

    nowhere = _client_for(UserFactory(username="new", role=FRONT_DESK))
    assert (
        "No patients shown: your account has no location yet."
        in nowhere.get(reverse("clinic:patient-list")).content.decode()
    )
    missing = desk_client.get(reverse("clinic:patient-list"), {"q": "rivers"}).content.decode()
    assert "No patient matches “rivers” at " in missing  # the other location's patient is not "no patient"


def test_the_session_keeps_the_locations_read_for_a_minute(desk_client, front_desk, group, home, branch):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from clinic.locations import ROWS_KEY

    desk_client.get(reverse("pages:dashboard"))  # reads them, and the session keeps them
    with CaptureQueriesContext(connection) as queries:
        assert names(desk_client.get(reverse("clinic:patient-list"))) == {"Homer"}
    assert not any('FROM "clinic_location"' in q["sql"] for q in queries.captured_queries)
    works_at(front_desk, home, branch)  # the manager adds a location to the desk's profile
    session = desk_client.session
    session[ROWS_KEY] = {**session[ROWS_KEY], "at": session[ROWS_KEY]["at"] - 61}  # a minute later
    session.save()
    assert names(desk_client.get(reverse("clinic:patient-list"))) == {"Homer", "Rivers"}


# --- found in review: no other location's patient through a side door ---------------------------


def test_a_possible_duplicate_at_another_location_is_counted_not_shown(desk_client, group):
    _, theirs = group
    data = {
        "given_name": theirs.given_name,
        "family_name": theirs.family_name,
        "date_of_birth": theirs.date_of_birth.isoformat(),
        "sex": "female",
        "preferred_contact": "phone",
    }
    page = desk_client.post(reverse("clinic:patient-create"), data).content.decode()
    assert "Possible duplicate" in page and "1 patient at another location" in page
    assert theirs.chart_number not in page and theirs.phone not in page


def test_a_visiting_patients_session_is_not_logged_where_their_record_is_out_of_reach(
    lac_client, desk_client, acupuncturist, front_desk, group, home
):
    _, theirs = group
    plan = TreatmentPlanFactory(patient=theirs, practitioner=acupuncturist)
    visit = Appointment.objects.create(
        patient=theirs,
        practitioner=acupuncturist,
        plan=plan,
        location=home,
        start=timezone.now(),
        minutes=60,
        booked_by=front_desk,
        status="arrived",
    )
    assert lac_client.get(reverse("scheduling:appointment-detail", args=[visit.pk])).status_code == 200  # the desk's
    page = lac_client.get(reverse("scheduling:appointment-session", args=[visit.pk]))
    assert page.status_code == 409 and "kept at another location" in page.content.decode()
    assert desk_client.post(reverse("scheduling:appointment-complete", args=[visit.pk])).status_code == 409


def test_a_moved_patient_is_booked_where_they_are_looked_after_now(acupuncturist, front_desk, home, branch):
    patient = PatientFactory(location=home)
    plan = TreatmentPlanFactory(patient=patient, practitioner=acupuncturist)
    patient.location = branch
    patient.save()
    visit = book(patient, acupuncturist, at(next_weekday(1), 10), front_desk, plan=plan)
    assert visit.location == branch and plan.location == home  # the course stays where it began


def test_a_one_location_clinic_gets_no_location_column_or_field(manager_client, admin_client, home):
    patient = PatientFactory()
    header = manager_client.get(reverse("outcomes:report-csv")).content.decode().splitlines()[0]
    assert "location" not in header
    page = admin_client.get(reverse("admin:clinic_patient_change", args=[patient.pk])).content.decode()
    assert 'name="location"' not in page
    assert contact_details(home)["name"] == settings.CLINIC_NAME
