"""Every admin page a superuser may open renders: its widgets' templates exist only for Django's
template language, while the app's forms render theirs through Jinja2 (clinic.renderers)."""

import pytest
from django.contrib import admin
from django.urls import reverse

from tests.factories import SessionFactory

MODELS = sorted(admin.site._registry, key=lambda model: model._meta.label)


@pytest.mark.parametrize("model", MODELS, ids=[model._meta.label for model in MODELS])
def test_admin_list_add_and_change_pages_render(admin_client, model):
    SessionFactory()  # a patient, intake, plan, session and points to list and open
    info = model._meta.app_label, model._meta.model_name
    for page in ("changelist", "add"):
        response = admin_client.get(reverse("admin:{}_{}_{}".format(*info, page)))
        assert response.status_code in (200, 403), page  # 403: the admin refuses to add this model
    first = model._default_manager.order_by("pk").first()
    if first is not None:
        response = admin_client.get(reverse("admin:{}_{}_change".format(*info), args=[first.pk]))
        assert response.status_code == 200


# --- no back door: clinical records are read-only in the admin, superusers included (issue 14) ------

CLINICAL_MODELS = [
    "intake.Intake",
    "intake.ClinicalAssessment",
    "intake.Referral",
    "intake.Alert",
    "treatments.TreatmentPlan",
    "treatments.Session",
    "outcomes.Questionnaire",
    # An admin save would write no slot rows, so it could double-book: bookings go through the schedule.
    "scheduling.Appointment",
    "scheduling.Series",
]
# The admins that may write: reference data, configuration and accounts, none of them a clinical record.
WRITABLE = {
    "auth.Group",
    "auth.User",
    "auditlog.LogEntry",
    "axes.AccessAttempt",
    "axes.AccessFailureLog",
    "axes.AccessLog",
    "clinic.Patient",
    # A group's locations: names, addresses, clocks and beds; the manager sets them up.
    "clinic.Location",
    "otp_totp.TOTPDevice",
    # Backup codes: a superuser's, like the TOTP devices; managers reset them from the staff sign-in page.
    "otp_static.StaticDevice",
    "treatments.Fee",
    "treatments.Point",
    "treatments.Protocol",
}


def test_every_admin_is_either_a_clinical_record_or_known_to_be_writable():
    registered = {model._meta.label for model in admin.site._registry}
    assert registered == set(CLINICAL_MODELS) | WRITABLE, "decide whether a new admin may write"


@pytest.fixture
def clinical_records(acupuncturist):
    from intake.services import raise_self_harm_alert
    from tests.factories import IntakeFactory, TreatmentPlanFactory

    intake = IntakeFactory(saddle_anaesthesia=True)
    raise_self_harm_alert(patient=intake.patient, item9=1)
    from intake.models import ClinicalAssessment

    ClinicalAssessment.objects.create(intake=intake, assessed_by=acupuncturist)
    plan = TreatmentPlanFactory(practitioner=acupuncturist)
    from outcomes.models import Questionnaire

    Questionnaire.objects.create(patient=plan.patient, plan=plan, due_date=plan.start_date, week=0)
    from datetime import time

    from scheduling.rules import Phase
    from scheduling.services import book_course
    from tests.scheduling.conftest import next_weekday

    book_course(
        plan=plan,
        practitioner=acupuncturist,
        phases=[Phase((0,), 1)],
        first_day=next_weekday(0),
        at=time(10),
        minutes=60,
        user=acupuncturist,
    )
    return SessionFactory(plan=plan)


@pytest.mark.parametrize("label", CLINICAL_MODELS)
def test_a_superuser_can_neither_add_nor_change_nor_delete_a_clinical_record(admin_client, clinical_records, label):
    from django.apps import apps

    model = apps.get_model(label)
    info = model._meta.app_label, model._meta.model_name
    add = reverse("admin:{}_{}_add".format(*info))
    assert admin_client.get(add).status_code == 403
    assert admin_client.post(add, {}).status_code == 403
    record = model.objects.order_by("pk").first()
    change = reverse("admin:{}_{}_change".format(*info), args=[record.pk])
    page = admin_client.get(change)
    assert page.status_code == 200 and not page.context["has_change_permission"]
    assert 'name="_save"' not in page.content.decode()
    assert admin_client.post(change, {}).status_code == 403
    assert (
        admin_client.post(reverse("admin:{}_{}_delete".format(*info), args=[record.pk]), {"post": "yes"}).status_code
        == 403
    )
    assert model.objects.filter(pk=record.pk).exists()


def test_the_admin_cannot_add_a_session_for_a_patient_with_an_open_referral(admin_client, clinical_records):
    """The path the probe took: a superuser's "Add session", bypassing the red-flag stop. It is gone."""
    from intake.models import Referral
    from treatments.models import Session

    referral = Referral.objects.open().get()
    data = {
        "plan": clinical_records.plan.pk,
        "patient": referral.patient.pk,
        "practitioner": clinical_records.practitioner.pk,
        "started_at_0": "2026-11-30",
        "started_at_1": "10:00",
        "contact_minutes": "30",
        "pain_before": "5",
    }
    before = Session.objects.count()
    assert admin_client.post(reverse("admin:treatments_session_add"), data).status_code == 403
    assert Session.objects.count() == before


# --- every admin page reads a bounded number of queries, whatever the data (issue 15) ---------------


def admin_queries(client, model) -> dict[str, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    info = model._meta.app_label, model._meta.model_name
    first = model._default_manager.order_by("pk").first()
    urls = {"list": reverse("admin:{}_{}_changelist".format(*info)), "add": reverse("admin:{}_{}_add".format(*info))}
    if first is not None:
        urls["change"] = reverse("admin:{}_{}_change".format(*info), args=[first.pk])
    counts = {}
    for page, url in urls.items():
        client.get(url)  # warm per-process caches
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code in (200, 403), url
        counts[page] = len(queries)
    return counts


def test_admin_pages_stay_within_a_query_budget_on_ten_times_the_data(admin_client, acupuncturist):
    from tests.test_query_counts import build_clinic

    build_clinic(2, acupuncturist)
    small = {model._meta.label: admin_queries(admin_client, model) for model in MODELS}
    build_clinic(20, acupuncturist)
    large = {model._meta.label: admin_queries(admin_client, model) for model in MODELS}
    grew = {
        f"{label} {page}": (small[label][page], large[label][page])
        for label in small
        for page in small[label]
        if large[label][page] > small[label][page] + 1
    }
    assert not grew, f"admin pages whose queries grow with the data (small, large): {grew}"
    over = {f"{label} {page}": n for label in large for page, n in large[label].items() if n > 25}
    assert not over, f"admin pages over 25 queries: {over}"


def test_the_questionnaire_admin_never_shows_the_answers_not_yet_sent(admin_client, acupuncturist):
    from outcomes.models import Questionnaire
    from tests.factories import TreatmentPlanFactory

    plan = TreatmentPlanFactory(practitioner=acupuncturist)
    questionnaire = Questionnaire.objects.create(
        patient=plan.patient, plan=plan, due_date=plan.start_date, week=4, draft={"phq9_9": 2, "back_pain_now": 9}
    )
    page = admin_client.get(reverse("admin:outcomes_questionnaire_change", args=[questionnaire.pk]))
    html = page.content.decode()
    assert page.status_code == 200 and "field-due_date" in html and "field-week" in html  # the record is shown
    assert "field-draft" not in html and "answers saved so far" not in html.lower()
    assert "&quot;back_pain_now&quot;: 9" not in html and '"back_pain_now": 9' not in html
