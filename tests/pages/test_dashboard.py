import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from intake.models import ReferralDestination, ReferralOutcome, ReferralSource
from intake.services import close_referral, open_referral
from outcomes.models import Questionnaire
from tests.factories import IntakeFactory, PatientFactory, SessionFactory, TreatmentPlanFactory, UserFactory


def test_dashboard_shows_its_panels(desk_client):
    body = desk_client.get(reverse("pages:dashboard")).content.decode()
    for panel in ("Open red flags", "Overdue questionnaires", "Recent sessions", "Plan reviews due"):
        assert panel in body


def test_dashboard_query_count_does_not_grow(lac_client, django_assert_max_num_queries, db):
    PatientFactory.create_batch(3)
    with django_assert_max_num_queries(15):
        lac_client.get(reverse("pages:dashboard"))
    PatientFactory.create_batch(30)
    with django_assert_max_num_queries(15):
        lac_client.get(reverse("pages:dashboard"))


def test_chart_query_count_is_bounded(desk_client, patient, django_assert_max_num_queries):
    with django_assert_max_num_queries(16):
        desk_client.get(reverse("pages:patient-detail", args=[patient.pk]))


@pytest.mark.skipif(connection.vendor != "postgresql", reason="server-side cursors exist on PostgreSQL only")
def test_chart_reads_the_patients_plans_in_one_round_trip(lac_client, acupuncturist):
    # A server-side cursor (DECLARE, FETCH, CLOSE) is for the daily run over every plan, not one patient's few.
    plan = TreatmentPlanFactory(practitioner=acupuncturist)
    SessionFactory(plan=plan)
    with CaptureQueriesContext(connection) as captured:
        response = lac_client.get(reverse("pages:patient-detail", args=[plan.patient_id]))
    assert response.status_code == 200
    assert any("treatments_treatmentplan" in q["sql"] for q in captured.captured_queries)
    assert not [q["sql"] for q in captured.captured_queries if "DECLARE" in q["sql"]]


def test_recent_sessions_name_the_patient_and_the_practitioner(lac_client, acupuncturist):
    session = SessionFactory(plan=TreatmentPlanFactory(practitioner=acupuncturist))
    nameless = UserFactory(first_name="", last_name="", username="locum")
    SessionFactory(plan=TreatmentPlanFactory(practitioner=nameless))
    html = lac_client.get(reverse("pages:dashboard")).content.decode()
    patient = session.patient
    assert (
        f'href="{reverse("pages:patient-detail", args=[patient.pk])}">{patient.family_name}, {patient.given_name}'
        in html
    )
    assert "Wei Chen" in html and "locum" in html  # a practitioner without a name shows the username
    assert f'href="{reverse("treatments:session-detail", args=[session.pk])}"><span' in html  # unsigned


def test_plan_reviews_due_say_which_review(lac_client, acupuncturist):
    at_four = TreatmentPlanFactory(practitioner=acupuncturist, planned_sessions=10)
    at_end = TreatmentPlanFactory(practitioner=acupuncturist, planned_sessions=4, review_at_4=timezone.now())
    not_yet = TreatmentPlanFactory(practitioner=acupuncturist, planned_sessions=10)
    for plan, count in ((at_four, 4), (at_end, 4), (not_yet, 3)):
        for day in range(count):
            SessionFactory(plan=plan, started_at=timezone.now() - timedelta(days=10 - day))
    html = lac_client.get(reverse("pages:dashboard")).content.decode()
    assert f'{reverse("treatments:plan-detail", args=[at_four.pk])}">Session 4 review</a>' in html
    assert f'{reverse("treatments:plan-detail", args=[at_end.pk])}">End-of-course review</a>' in html
    assert reverse("treatments:plan-detail", args=[not_yet.pk]) not in html


def test_each_resend_button_posts_its_own_questionnaire_with_one_csrf_token(desk_client, acupuncturist):
    plan = TreatmentPlanFactory(practitioner=acupuncturist)
    today = timezone.localdate()
    rows = [
        Questionnaire.objects.create(patient=plan.patient, plan=plan, due_date=today - timedelta(days=d), week=d)
        for d in (3, 10)
    ]
    html = desk_client.get(reverse("pages:dashboard")).content.decode()
    assert html.count('id="resend-link"') == 1 and html.count("csrfmiddlewaretoken") == 2  # + the sign-out form
    for row in rows:
        url = reverse("outcomes:questionnaire-link-create", args=[row.patient_id, row.due_date.isoformat()])
        assert re.search(rf'form="resend-link" formaction="{url}" name="email" value="1"', html)
    sent = desk_client.post(
        reverse("outcomes:questionnaire-link-create", args=[rows[1].patient_id, rows[1].due_date.isoformat()]),
        {"email": "1"},
    )
    assert sent.status_code == 200 and sent.context["questionnaire"] == rows[1]


def test_who_may_see_overdue_questionnaires_but_not_send_links_gets_no_resend_button(acupuncturist):
    plan = TreatmentPlanFactory(practitioner=acupuncturist)
    Questionnaire.objects.create(
        patient=plan.patient, plan=plan, due_date=timezone.localdate() - timedelta(days=5), week=1
    )
    reader = UserFactory()
    reader.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_patient", "view_patientlink"], content_type__app_label="clinic")
    )
    client = Client()
    client.force_login(reader)
    html = client.get(reverse("pages:dashboard")).content.decode()
    assert f"{plan.patient.family_name}, {plan.patient.given_name}" in html
    assert "resend-link" not in html and "Resend" not in html


def test_the_chart_reads_the_latest_intake_and_counts_the_others(lac_client, patient):
    IntakeFactory(patient=patient, chief_complaint="First episode: lifting injury")
    IntakeFactory(patient=patient, chief_complaint="Second episode: sciatica after a long drive")
    html = lac_client.get(reverse("pages:patient-detail", args=[patient.pk])).content.decode()
    assert "Second episode" in html and "First episode" not in html
    assert "2 intakes on file; this is the latest" in html


def test_the_chart_shows_an_open_referral_banner_and_the_closed_ones(lac_client, acupuncturist, patient):
    IntakeFactory(patient=patient)
    old = open_referral(patient=patient, flags=["fever"], source=ReferralSource.INTAKE)
    close_referral(
        referral=old,
        user=acupuncturist,
        referred_to=ReferralDestination.values[0],
        referred_to_detail="GP",
        referred_on=timezone.localdate(),
        outcome=ReferralOutcome.CLEARED,
        outcome_notes="Bloods normal.",
    )
    open_referral(patient=patient, flags=["saddle_anaesthesia"], source=ReferralSource.QUESTIONNAIRE)
    html = lac_client.get(reverse("pages:patient-detail", args=[patient.pk])).content.decode()
    assert html.count('data-testid="red-flag-banner"') == 1
    assert "possible cauda equina" in html
    assert "Cleared to treat" in html  # the closed referral, in the intake section


# --- the red-flag panel's order: nothing urgent falls off a full panel --------------------


def open_routine_referrals(count):
    """`count` patients with an open, non-emergency referral from their intake, each older than the next."""
    from intake.models import Referral

    referrals = [
        open_referral(patient=PatientFactory(), flags=["cancer_history"], source=ReferralSource.INTAKE)
        for _ in range(count)
    ]
    for age, referral in enumerate(reversed(referrals), start=1):
        Referral.objects.filter(pk=referral.pk).update(opened_at=timezone.now() - timedelta(days=age))
    return referrals


def test_a_warning_sign_reported_between_visits_tops_a_full_panel(lac_client):
    open_routine_referrals(16)
    patient = PatientFactory(family_name="Newcase")
    reported = open_referral(patient=patient, flags=["saddle_anaesthesia"], source=ReferralSource.QUESTIONNAIRE)
    context = lac_client.get(reverse("pages:dashboard")).context
    # Its alert tops the alerts (every referral here alerted), and the referral tops the red-flag panel.
    assert (context["alerts"][0].referral, context["alerts"][0].kind) == (reported, "red_flag_between_visits")
    assert context["alert_count"] == 17
    assert context["open_referrals"][0] == reported
    assert context["open_referral_count"] == 17


def test_a_cauda_equina_referral_from_the_intake_comes_before_routine_ones_on_a_full_panel(lac_client):
    open_routine_referrals(16)
    emergency = open_referral(patient=PatientFactory(), flags=["bladder_dysfunction"], source=ReferralSource.INTAKE)
    context = lac_client.get(reverse("pages:dashboard")).context
    assert context["open_referrals"][0] == emergency
    assert (context["alerts"][0].referral, context["alerts"][0].severity) == (emergency, "emergency")


def test_a_warning_sign_added_to_an_open_intake_referral_still_tops_the_dashboard(lac_client, patient):
    open_routine_referrals(16)
    from_intake = open_referral(patient=patient, flags=["cancer_history"], source=ReferralSource.INTAKE)
    merged = open_referral(patient=patient, flags=["bladder_dysfunction"], source=ReferralSource.QUESTIONNAIRE)
    assert merged == from_intake
    assert merged.is_emergency
    html = lac_client.get(reverse("pages:dashboard")).content.decode()
    first_alert = html.split('data-testid="open-alert"')[1].split("</tr>")[0]
    assert patient.family_name in first_alert
    assert "warning sign reported between visits" in first_alert.lower()
    assert "new bladder dysfunction" in first_alert.lower()
    assert html.index('data-testid="alerts-panel"') < html.index("Open red flags")


def test_a_repeated_warning_sign_is_reported_again(patient):
    first = open_referral(patient=patient, flags=["saddle_anaesthesia"], source=ReferralSource.QUESTIONNAIRE)
    reported_at = first.reported_between_visits_at
    again = open_referral(patient=patient, flags=["saddle_anaesthesia"], source=ReferralSource.QUESTIONNAIRE)
    again.refresh_from_db()
    assert again.reported_between_visits_at > reported_at


def test_a_referral_knows_it_is_an_emergency_from_its_flags(patient):
    referral = open_referral(patient=patient, flags=["fever"], source=ReferralSource.INTAKE)
    assert not referral.is_emergency
    open_referral(patient=patient, flags=["motor_weakness"], source=ReferralSource.EXAM)
    referral.refresh_from_db()
    assert referral.is_emergency
    assert referral.reported_between_visits_at is None  # the exam is a visit


# --- a panel hidden by permission says so, never that there is nothing (issue 20) ----------

NOT_SHOWN = "which your role does not show"


@pytest.fixture
def treated(acupuncturist):
    """A patient with a plan, a logged session and three overdue questionnaires."""
    plan = TreatmentPlanFactory(practitioner=acupuncturist)
    SessionFactory(plan=plan)
    today = timezone.localdate()
    for week in (1, 2, 3):
        Questionnaire.objects.create(
            patient=plan.patient, plan=plan, due_date=today - timedelta(days=30 - week), week=week
        )
    return plan


def _panel(html: str, panel_id: str) -> str:
    """The body of the dashboard panel labelled by `panel_id`."""
    start = html.index(f'id="{panel_id}"')
    return html[start : html.index("</section>", start)]


@pytest.mark.parametrize(
    ("role_client", "hidden"),
    [
        ("front_desk", {"panel-sessions", "panel-reviews"}),
        ("acupuncturist", set()),
        ("manager", set()),
    ],
    indirect=["role_client"],
)
def test_each_dashboard_panel_shows_its_rows_or_says_it_is_not_shown(role_client, hidden, treated):
    html = role_client.get(reverse("pages:dashboard")).content.decode()
    name = f"{treated.patient.family_name}, {treated.patient.given_name}"
    for panel_id in ("panel-overdue", "panel-sessions"):
        panel = _panel(html, panel_id)
        if panel_id in hidden:
            assert NOT_SHOWN in panel and name not in panel
        else:
            assert name in panel and NOT_SHOWN not in panel
    assert "No overdue questionnaires" not in html and "No sessions logged yet" not in html
    reviews = _panel(html, "panel-reviews")
    assert (NOT_SHOWN in reviews) == ("panel-reviews" in hidden)
    if "panel-reviews" in hidden:
        assert "No plan reviews due" not in reviews


def test_the_managers_dashboard_lists_overdue_questionnaires_without_resending(manager_client, treated):
    html = manager_client.get(reverse("pages:dashboard")).content.decode()
    panel = _panel(html, "panel-overdue")
    assert panel.count(f"{treated.patient.family_name}, {treated.patient.given_name}") == 3
    assert "Resend" not in panel


def test_a_user_who_may_read_no_questionnaire_is_told_so_on_the_dashboard(treated):
    reader = UserFactory()
    reader.user_permissions.add(Permission.objects.get(codename="view_patient", content_type__app_label="clinic"))
    client = Client()
    client.force_login(reader)
    panel = _panel(client.get(reverse("pages:dashboard")).content.decode(), "panel-overdue")
    assert NOT_SHOWN in panel and "No overdue questionnaires" not in panel


@pytest.mark.parametrize(
    ("role_client", "shown"),
    [("front_desk", False), ("acupuncturist", True), ("manager", True)],
    indirect=["role_client"],
)
def test_the_chart_of_a_treated_patient_says_what_the_role_may_not_read(role_client, shown, treated):
    html = role_client.get(reverse("pages:patient-detail", args=[treated.patient.pk])).content.decode()
    assert "No treatment plan yet" not in html and "No sessions logged yet" not in html
    for section in ("plan-title", "sessions-title", "outcomes-title"):
        start = html.index(f'id="{section}"')
        body = html[start : html.index("</section>", start)]
        assert (NOT_SHOWN in body) is not shown, section
    if shown:
        assert treated.get_tcm_pattern_display() in html
        assert 'data-testid="not-shown"' not in html
    else:
        assert html.count('data-testid="not-shown"') == 3
