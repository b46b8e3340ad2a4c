import importlib
import time

import pytest
from django.test import Client

from clinic.roles import ACUPUNCTURIST, FRONT_DESK, MANAGER, sync_roles
from tests.factories import PatientFactory, StaffProfileFactory, UserFactory

ROLES = {"front_desk": FRONT_DESK, "acupuncturist": ACUPUNCTURIST, "manager": MANAGER}


@pytest.fixture
def roles(db):
    sync_roles()


@pytest.fixture
def front_desk(roles):
    return UserFactory(username="desk", first_name="Maria", last_name="Lopez", role=FRONT_DESK)


@pytest.fixture
def acupuncturist(roles):
    profile = StaffProfileFactory(
        user=UserFactory(username="lac", first_name="Wei", last_name="Chen", role=ACUPUNCTURIST)
    )
    return profile.user


@pytest.fixture
def manager(roles):
    return UserFactory(username="boss", first_name="Dana", last_name="Whitfield", role=MANAGER)


def _client_for(user) -> Client:
    """A signed-in client; a user who must use two-factor sign-in has passed it too."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from clinic.signin import RENEWED_KEY
    from clinic.twofactor import NO_DEVICE_KEY, requires_second_factor

    client = Client()
    client.force_login(user, backend="clinic.backends.ClinicModelBackend")  # the backend a real sign-in uses
    session = client.session
    if requires_second_factor(user):
        device, _ = TOTPDevice.objects.get_or_create(user=user, name="test", defaults={"confirmed": True})
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    else:
        session[NO_DEVICE_KEY] = True  # as after the first page of a session (tests/clinic/test_security.py)
    session[RENEWED_KEY] = int(time.time())  # just renewed, as after any page
    session.save()
    return client


@pytest.fixture
def desk_client(front_desk):
    return _client_for(front_desk)


@pytest.fixture
def lac_client(acupuncturist):
    return _client_for(acupuncturist)


@pytest.fixture
def manager_client(manager):
    return _client_for(manager)


@pytest.fixture
def admin_client(admin_user):
    """pytest-django's superuser client, past the second factor a superuser must use (as a manager must)."""
    return _client_for(admin_user)


@pytest.fixture
def role_client(request, front_desk, acupuncturist, manager):
    """A client signed in as the role named by indirect parametrisation (or anonymous)."""
    users = {"front_desk": front_desk, "acupuncturist": acupuncturist, "manager": manager}
    role = request.param
    return Client() if role in {"anonymous", "patient"} else _client_for(users[role])


@pytest.fixture
def patient(db):
    return PatientFactory(given_name="Ada", family_name="Moreno", phone="(217) 555-0199")


@pytest.fixture(autouse=True)
def empty_cache():
    """Rate-limit counters live in the cache; each test starts with none spent."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def catalogue(request):
    """Put back the point catalogue, protocols and fees that a transactional test's flush removed.

    They come from a data migration; transactional tests (live server, backups) empty every table.
    """
    marker = request.node.get_closest_marker("django_db")
    names = request.fixturenames
    if not ("live_server" in names or "transactional_db" in names or (marker and marker.kwargs.get("transaction"))):
        return
    request.getfixturevalue("transactional_db")
    from django.apps import apps

    from treatments.models import Point

    if not Point.objects.exists():
        importlib.import_module("treatments.migrations.0002_load_catalogue").load(apps, None)


@pytest.fixture
def objects(db, acupuncturist):
    """One of each record a page may show, for the access table (tests/test_access.py) and its kin."""
    from datetime import date
    from types import SimpleNamespace

    from django.utils import timezone

    from intake.models import Alert, Referral
    from outcomes.models import Questionnaire
    from records.services import issue_progress_report
    from scheduling.models import Appointment
    from tests.factories import IntakeFactory, SessionFactory, TreatmentPlanFactory

    intake = IntakeFactory(saddle_anaesthesia=True, phq9_9=1)
    plan = TreatmentPlanFactory(practitioner=acupuncturist)
    return SimpleNamespace(
        appointment=Appointment.objects.create(
            patient=plan.patient,
            practitioner=acupuncturist,
            plan=plan,
            start=timezone.now(),  # today: the session form opens from it
            minutes=60,
            booked_by=acupuncturist,
        ),
        patient=intake.patient,
        intake=intake,
        referral=Referral.objects.get(patient=intake.patient),
        alert=Alert.objects.get(patient=intake.patient, kind="self_harm"),
        plan=plan,
        session=SessionFactory(plan=plan),
        signed_session=SessionFactory(plan=plan, signed=True),
        questionnaire=Questionnaire.objects.create(patient=plan.patient, plan=plan, due_date=date(2026, 10, 1), week=0),
        progress_report=issue_progress_report(
            plan=plan, user=acupuncturist, assessment="Steady progress against the goals.", recipient="payer"
        ),
    )


@pytest.fixture
def rich_objects(objects, acupuncturist, front_desk):
    """`objects` and more of what the pages show, so a page walked by the accessibility and HTML-validity
    tests (tests/every_page.py) renders its fuller markup: answered and overdue questionnaires (the chart's
    scores, the dashboard's overdue panel), the red-flag patient under treatment with signed and unsigned
    notes and a visit checked in today (the pink red-flag rows), a cancelled and a missed visit."""
    from datetime import date, timedelta

    from django.utils import timezone

    from clinic.fields import Source
    from outcomes.models import ODI_FIELDS, Questionnaire
    from outcomes.services import submit_questionnaire
    from scheduling.models import Appointment, CancelReason, Status
    from tests.factories import SessionFactory, TreatmentPlanFactory

    plan = objects.plan
    for week, odi in ((1, 3), (2, 2)):
        questionnaire = Questionnaire.objects.create(
            patient=plan.patient, plan=plan, due_date=date(2026, 10, 1) + timedelta(weeks=week), week=week
        )
        answers = dict.fromkeys(ODI_FIELDS, odi) | {"back_pain_now": 5 - week, "back_pain_worst": 7, "pgic": 3}
        answers |= {"leg_pain_now": 4, "leg_pain_worst": 6, "analgesic_days": 2, "work_days_off": 0}
        submit_questionnaire(questionnaire=questionnaire, answers=answers, source=Source.ONLINE)
    Questionnaire.objects.create(patient=plan.patient, plan=plan, due_date=date(2026, 10, 29), week=4)  # overdue

    # The red-flag patient (an open referral, a self-harm alert) under treatment too.
    flagged_plan = TreatmentPlanFactory(patient=objects.patient, practitioner=acupuncturist)
    SessionFactory(plan=flagged_plan, signed=True)
    SessionFactory(plan=flagged_plan, started_at=timezone.now() - timedelta(hours=3))
    now = timezone.now()
    visits = {
        Status.ARRIVED: (objects.patient, now - timedelta(minutes=10)),
        Status.NO_SHOW: (plan.patient, now - timedelta(days=2)),
        Status.CANCELLED: (plan.patient, now + timedelta(days=3)),
        Status.BOOKED: (objects.patient, now + timedelta(days=1)),
    }
    for status, (patient, start) in visits.items():
        extra = {}
        if status == Status.CANCELLED:
            extra = {"cancel_reason": CancelReason.PATIENT, "cancelled_at": now, "cancelled_by": front_desk}
        elif status == Status.ARRIVED:
            extra = {"arrived_at": start}
        Appointment.objects.create(
            patient=patient,
            practitioner=acupuncturist,
            start=start,
            minutes=45,
            status=status,
            booked_by=front_desk,
            **extra,
        )
    return objects
