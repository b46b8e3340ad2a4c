"""Alerts that reach a person (issue 14): sent at once after commit, acknowledged once, escalated once."""

import threading
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection, connections, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from intake import alerts
from intake.models import Alert, AlertKind, AlertSeverity, Referral
from intake.services import acknowledge_alert, open_referral, raise_alert, raise_self_harm_alert, record_intake
from tests.conftest import _client_for
from tests.factories import IntakeFactory, PatientFactory, TreatmentPlanFactory, UserFactory

pytestmark = pytest.mark.django_db
ON_CALL = ["oncall@clinic.example", "second@clinic.example"]


@pytest.fixture(autouse=True)
def on_call(settings):
    settings.CLINIC_ALERT_EMAILS = ON_CALL
    settings.SITE_URL = "https://clinic.example"
    settings.ALERT_ESCALATE_MINUTES = 60


def opened(alert: Alert, minutes_ago: int) -> Alert:
    Alert.objects.filter(pk=alert.pk).update(opened_at=timezone.now() - timedelta(minutes=minutes_ago))
    alert.refresh_from_db()
    return alert


# --- what opens an alert ---------------------------------------------------------------------------


def test_a_red_flag_at_intake_alerts_once(acupuncturist, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        intake = IntakeFactory(cancer_history=True)
    alert = Alert.objects.get()
    assert (alert.kind, alert.severity) == (AlertKind.RED_FLAG_AT_INTAKE, AlertSeverity.URGENT)
    assert alert.referral == Referral.objects.get() and alert.notified_to == ON_CALL
    # Once someone has taken it, saving the intake again (a phone number corrected, say) does not alert again.
    acknowledge_alert(alert=alert, user=acupuncturist)
    with django_capture_on_commit_callbacks(execute=True):
        record_intake(intake=intake, consent_modalities=["needling"], consent_name="Ada")
    assert Alert.objects.count() == 1 and len(mailoutbox) == 1


def test_a_cauda_equina_sign_at_intake_is_an_emergency(django_capture_on_commit_callbacks):
    IntakeFactory(saddle_anaesthesia=True)
    assert Alert.objects.get().severity == AlertSeverity.EMERGENCY


def test_a_foot_drop_found_on_the_exam_opens_a_referral_but_no_alert():
    """The clinician who found it is the person who must act: nobody else is paged."""
    patient = PatientFactory()
    open_referral(patient=patient, flags=["motor_weakness"], source="exam")
    assert Referral.objects.open().exists() and not Alert.objects.exists()


def test_item_9_on_the_intake_alerts_and_an_edit_that_keeps_it_does_not_alert_again(acupuncturist):
    intake = IntakeFactory(phq9_9=1)
    acknowledge_alert(alert=Alert.objects.get(), user=acupuncturist, action_taken="Called; GP today.")
    record_intake(intake=intake, consent_modalities=[], consent_name="")
    assert Alert.objects.filter(kind=AlertKind.SELF_HARM).count() == 1
    intake.phq9_9 = 2  # a higher answer is new: alerted again
    record_intake(intake=intake, consent_modalities=[], consent_name="")
    assert Alert.objects.open().get(kind=AlertKind.SELF_HARM).item9 == 2


def test_a_report_that_adds_to_an_open_alert_sends_it_again(mailoutbox, django_capture_on_commit_callbacks):
    patient = PatientFactory()
    with django_capture_on_commit_callbacks(execute=True):
        open_referral(patient=patient, flags=["night_pain"], source="questionnaire")
    with django_capture_on_commit_callbacks(execute=True):
        open_referral(patient=patient, flags=["bowel_incontinence"], source="questionnaire")  # now an emergency
    alert = Alert.objects.get()
    assert alert.severity == AlertSeverity.EMERGENCY and len(mailoutbox) == 2
    with django_capture_on_commit_callbacks(execute=True):
        open_referral(patient=patient, flags=["bowel_incontinence"], source="questionnaire")  # nothing new
    assert Alert.objects.count() == 1 and len(mailoutbox) == 2


def test_closing_the_referral_acknowledges_its_alert_and_a_later_sign_alerts_anew(
    acupuncturist, mailoutbox, django_capture_on_commit_callbacks
):
    from intake.services import close_referral

    patient = PatientFactory()
    with django_capture_on_commit_callbacks(execute=True):
        first = open_referral(patient=patient, flags=["bladder_dysfunction"], source="questionnaire")
    close_referral(
        referral=first,
        user=acupuncturist,
        referred_to="emergency",
        referred_to_detail="St John's ED",
        referred_on=timezone.localdate(),
        outcome="cleared",
        outcome_notes="MRI clear.",
    )
    old = Alert.objects.get()
    assert not old.is_open and old.acknowledged_by == acupuncturist
    assert old.action_taken == "Referral closed: Emergency department, Cleared to treat."
    with django_capture_on_commit_callbacks(execute=True):
        second = open_referral(patient=patient, flags=["saddle_anaesthesia"], source="questionnaire")
    new = Alert.objects.open().get()
    assert new != old and new.referral == second and len(mailoutbox) == 2


def test_once_acknowledged_a_new_report_alerts_again(
    lac_client, acupuncturist, mailoutbox, django_capture_on_commit_callbacks
):
    patient = PatientFactory()
    with django_capture_on_commit_callbacks(execute=True):
        first = raise_self_harm_alert(patient=patient, item9=1)
    acknowledge_alert(alert=first, user=acupuncturist, action_taken="Called; GP today.")
    with django_capture_on_commit_callbacks(execute=True):
        second = raise_self_harm_alert(patient=patient, item9=1)
    assert second != first and len(mailoutbox) == 2


# --- sent after commit, to the on-call addresses and the practitioner ------------------------------


def test_nothing_is_sent_before_the_transaction_commits(mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        raise_self_harm_alert(patient=PatientFactory(), item9=2)
    assert mailoutbox == [] and len(callbacks) == 1
    callbacks[0]()
    assert len(mailoutbox) == 1


def test_the_message_goes_to_on_call_and_the_practitioner_and_says_nothing_clinical(
    acupuncturist, mailoutbox, django_capture_on_commit_callbacks
):
    plan = TreatmentPlanFactory(practitioner=acupuncturist)
    with django_capture_on_commit_callbacks(execute=True):
        alert = raise_self_harm_alert(patient=plan.patient, item9=3, practitioner=acupuncturist)
    (message,) = mailoutbox
    assert message.to == [*ON_CALL, acupuncturist.email]
    assert message.subject == "Riverside Acupuncture & Back Pain Clinic: urgent alert"
    assert message.body.startswith("An urgent alert needs you.")
    assert f"https://clinic.example/alerts/{alert.pk}/" in message.body
    for detail in (plan.patient.family_name, plan.patient.chart_number, "PHQ", "self-harm", "Nearly every day"):
        assert detail not in message.body and detail not in message.subject
    alert.refresh_from_db()
    assert alert.notified_at is not None and alert.notified_to == [*ON_CALL, acupuncturist.email]


def test_an_inactive_practitioner_is_not_sent_it(acupuncturist, mailoutbox, django_capture_on_commit_callbacks):
    acupuncturist.is_active = False
    acupuncturist.save()
    with django_capture_on_commit_callbacks(execute=True):
        raise_self_harm_alert(patient=PatientFactory(), item9=1, practitioner=acupuncturist)
    assert mailoutbox[0].to == ON_CALL


sent_by_pager = []


def pager(*, to, subject, body):
    sent_by_pager.append((to, subject, body))


def test_the_channel_is_a_setting(settings, mailoutbox, django_capture_on_commit_callbacks):
    settings.ALERT_CHANNEL = "tests.intake.test_alerts.pager"
    sent_by_pager.clear()
    with django_capture_on_commit_callbacks(execute=True):
        raise_self_harm_alert(patient=PatientFactory(), item9=1)
    assert mailoutbox == [] and len(sent_by_pager) == 1 and sent_by_pager[0][0] == ON_CALL


def broken(*, to, subject, body):
    raise ConnectionRefusedError("mail server down")


def test_a_channel_that_fails_leaves_the_alert_unsent_and_the_save_standing(
    settings, mailoutbox, django_capture_on_commit_callbacks, caplog
):
    settings.ALERT_CHANNEL = "tests.intake.test_alerts.broken"
    with django_capture_on_commit_callbacks(execute=True):
        alert = raise_self_harm_alert(patient=PatientFactory(), item9=1)
    alert.refresh_from_db()
    assert alert.notified_at is None
    assert "could not be sent" in caplog.text
    # The next run of the command, with the mail server back, sends it.
    settings.ALERT_CHANNEL = "intake.alerts.email_channel"
    opened(alert, 5)
    assert alerts.escalate(now=timezone.now()) == (1, 0)
    assert len(mailoutbox) == 1 and alerts.escalate(now=timezone.now()) == (0, 0)


def test_with_no_one_to_send_to_the_alert_waits_on_the_dashboard(settings, caplog):
    settings.CLINIC_ALERT_EMAILS = []
    alert = raise_self_harm_alert(patient=PatientFactory(), item9=1)
    assert alerts.notify(alert.pk) is False
    assert "set CLINIC_ALERT_EMAILS" in caplog.text
    alert.refresh_from_db()
    assert alert.notified_at is None


# --- escalation ----------------------------------------------------------------------------------


@pytest.fixture
def managers(roles):
    from clinic.roles import MANAGER

    return [
        UserFactory(username="boss", email="boss@clinic.example", role=MANAGER),
        UserFactory(username="deputy", email="deputy@clinic.example", role=MANAGER),
        UserFactory(username="gone", email="gone@clinic.example", role=MANAGER, is_active=False),
    ]


def test_an_unacknowledged_alert_escalates_to_the_managers_once(managers, mailoutbox, capsys):
    alert = opened(raise_self_harm_alert(patient=PatientFactory(), item9=1), 61)
    Alert.objects.filter(pk=alert.pk).update(notified_at=alert.opened_at)  # its first message went out
    call_command("escalate_alerts")
    call_command("escalate_alerts")
    out = capsys.readouterr().out
    assert "1 escalated to the managers" in out and "0 escalated to the managers" in out
    (message,) = mailoutbox
    assert message.to == ["boss@clinic.example", "deputy@clinic.example"]
    assert "not been acknowledged within 60 minutes" in message.body
    alert.refresh_from_db()
    assert alert.escalated_at is not None and alert.escalated_to == message.to


def test_an_alert_is_not_escalated_before_its_time_or_once_acknowledged(managers, acupuncturist, mailoutbox):
    young = opened(raise_self_harm_alert(patient=PatientFactory(), item9=1), 59)
    old = opened(raise_self_harm_alert(patient=PatientFactory(), item9=1), 90)
    Alert.objects.update(notified_at=timezone.now())
    acknowledge_alert(alert=old, user=acupuncturist, action_taken="Called the patient.")
    assert alerts.escalate(now=timezone.now()) == (0, 0)
    assert mailoutbox == []
    young.refresh_from_db()
    assert young.escalated_at is None


def test_the_escalation_delay_is_a_setting(managers, settings, mailoutbox):
    settings.ALERT_ESCALATE_MINUTES = 15
    opened(raise_self_harm_alert(patient=PatientFactory(), item9=1), 16)
    Alert.objects.update(notified_at=timezone.now())
    assert alerts.escalate(now=timezone.now()) == (0, 1)


# --- acknowledging -------------------------------------------------------------------------------


def red_flag_alert(patient=None) -> Alert:
    referral = open_referral(patient=patient or PatientFactory(), flags=["fever_infection"], source="questionnaire")
    return referral.alerts.get()


def test_acknowledging_from_the_dashboard_records_who_and_when(lac_client, acupuncturist):
    alert = red_flag_alert()
    dashboard = lac_client.get(reverse("pages:dashboard")).content.decode()
    assert reverse("intake:alert-acknowledge", args=[alert.pk]) in dashboard
    page = lac_client.post(reverse("intake:alert-acknowledge", args=[alert.pk]))
    assert page.status_code == 302 and page["Location"] == reverse("pages:dashboard")
    alert.refresh_from_db()
    assert alert.acknowledged_by == acupuncturist and alert.acknowledged_at is not None
    assert 'data-testid="open-alert"' not in lac_client.get(reverse("pages:dashboard")).content.decode()
    # The referral stays open until its outcome is recorded: acknowledging is not clearing.
    assert alert.referral.is_open


def test_acknowledging_twice_records_the_first(lac_client, acupuncturist, roles):
    from clinic.roles import ACUPUNCTURIST

    colleague = UserFactory(username="lac2", first_name="Sam", last_name="Ortiz", role=ACUPUNCTURIST)
    alert = red_flag_alert()
    lac_client.post(reverse("intake:alert-acknowledge", args=[alert.pk]))
    first = Alert.objects.get().acknowledged_at
    page = _client_for(colleague).post(reverse("intake:alert-acknowledge", args=[alert.pk]), follow=True)
    alert.refresh_from_db()
    assert (alert.acknowledged_by, alert.acknowledged_at) == (acupuncturist, first)
    assert "Wei Chen had already acknowledged this alert" in [str(m) for m in page.context["messages"]][0]


def test_a_self_harm_alert_is_acknowledged_with_the_action_taken(lac_client, acupuncturist):
    alert = raise_self_harm_alert(patient=PatientFactory(), item9=2)
    # One click from the dashboard is not enough: it asks what was done.
    page = lac_client.post(reverse("intake:alert-acknowledge", args=[alert.pk]))
    assert page["Location"] == reverse("intake:alert-detail", args=[alert.pk])
    url = reverse("intake:alert-detail", args=[alert.pk])
    refused = lac_client.post(url, {"action_taken": "   "})
    assert refused.status_code == 200
    assert refused.context["form"].errors["action_taken"] == [
        "Record what you did: who you contacted or referred the patient to."
    ]
    assert lac_client.post(url, {"action_taken": "Called; referred to PCP today; 988 given."}).status_code == 302
    alert.refresh_from_db()
    assert alert.acknowledged_by == acupuncturist and alert.action_taken.startswith("Called")


def test_the_alert_page_shows_who_was_told(lac_client, acupuncturist, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        alert = raise_self_harm_alert(patient=PatientFactory(), item9=1, practitioner=acupuncturist)
    html = lac_client.get(reverse("intake:alert-detail", args=[alert.pk])).content.decode()
    assert "oncall@clinic.example, second@clinic.example, lac@clinic.example" in html
    assert "“Several days”" in html


def test_the_manager_reads_alerts_but_does_not_acknowledge_them(manager_client):
    alert = red_flag_alert()
    page = manager_client.get(reverse("intake:alert-detail", args=[alert.pk]))
    assert page.status_code == 200 and page.context["form"] is None
    assert manager_client.post(reverse("intake:alert-acknowledge", args=[alert.pk])).status_code == 403
    assert 'data-testid="alerts-panel"' in manager_client.get(reverse("pages:dashboard")).content.decode()


def test_the_front_desk_sees_no_alerts(desk_client):
    alert = red_flag_alert()
    assert desk_client.get(reverse("intake:alert-detail", args=[alert.pk])).status_code == 403
    assert 'data-testid="alerts-panel"' not in desk_client.get(reverse("pages:dashboard")).content.decode()


def test_an_alert_for_a_patient_the_user_may_not_see_is_a_404(roles):
    from django.contrib.auth.models import Permission

    reader = UserFactory(username="reader")
    reader.user_permissions.add(*Permission.objects.filter(codename__in=["view_alert", "change_alert"]))
    client = _client_for(reader)
    alert = red_flag_alert()
    assert client.get(reverse("intake:alert-detail", args=[alert.pk])).status_code == 404
    assert client.post(reverse("intake:alert-acknowledge", args=[alert.pk])).status_code == 404
    assert client.get(reverse("intake:alert-detail", args=[alert.pk + 1000])).status_code == 404
    alert.refresh_from_db()
    assert alert.is_open


# --- the dashboard ---------------------------------------------------------------------------------


def test_open_alerts_come_first_emergencies_first_with_their_age(lac_client, django_assert_max_num_queries):
    urgent = opened(red_flag_alert(PatientFactory(family_name="Older")), 180)
    emergency = opened(
        open_referral(
            patient=PatientFactory(family_name="Newer"), flags=["saddle_anaesthesia"], source="questionnaire"
        ).alerts.get(),
        5,
    )
    with django_assert_max_num_queries(15):
        page = lac_client.get(reverse("pages:dashboard"))
    assert page.context["alerts"] == [emergency, urgent]
    html = page.content.decode()
    assert html.index("Newer") < html.index("Older")
    assert "3\xa0hours" in html and "5\xa0minutes" in html


def test_the_patient_chart_shows_open_alerts(lac_client):
    alert = red_flag_alert()
    html = lac_client.get(reverse("pages:patient-detail", args=[alert.patient.pk])).content.decode()
    assert 'data-testid="patient-alert"' in html and "Warning sign reported between visits" in html


def test_a_self_harm_alert_needs_its_answer_in_the_database(db):
    from django.db import IntegrityError

    with pytest.raises(IntegrityError):
        Alert.objects.create(patient=PatientFactory(), kind=AlertKind.SELF_HARM, severity=AlertSeverity.URGENT)


def test_raise_alert_adds_to_the_open_one_of_its_kind():
    patient = PatientFactory()
    first = raise_alert(patient=patient, kind=AlertKind.SELF_HARM, severity=AlertSeverity.URGENT, item9=1)
    again = raise_alert(patient=patient, kind=AlertKind.SELF_HARM, severity=AlertSeverity.URGENT, item9=3)
    assert again == first and Alert.objects.get().item9 == 3


def test_an_anonymous_visitor_is_sent_to_sign_in():
    alert = raise_self_harm_alert(patient=PatientFactory(), item9=1)
    page = Client().get(reverse("intake:alert-detail", args=[alert.pk]))
    assert page.status_code == 302 and page["Location"].startswith(reverse("clinic:login"))


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite lets one writer at a time")
@pytest.mark.django_db(transaction=True)
def test_two_reports_at_the_same_moment_open_one_alert():
    """Two answers in flight at once (a tap sent by the script, and "Next"): one alert, one message."""
    patient = PatientFactory()
    both_inside, errors = threading.Barrier(2, timeout=10), []

    def report(item9: int):
        try:
            with transaction.atomic():
                both_inside.wait()  # each transaction has begun; neither sees the other's alert
                raise_self_harm_alert(patient=patient, item9=item9)
        except Exception as error:  # pragma: no cover - the test reports it
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=report, args=(n,)) for n in (1, 3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(15)
    assert not errors
    alert = Alert.objects.get(patient=patient)
    assert alert.item9 == 3


# --- a group of clinics -----------------------------------------------------------------------------


def test_a_locations_alert_reaches_its_own_on_call_and_managers(manager, mailoutbox, roles):
    from clinic.models import Location, StaffProfile
    from clinic.roles import MANAGER

    home = Location.objects.get()
    branch = Location.objects.create(name="Westfield", alert_emails="west-oncall@clinic.example, lead@clinic.example")
    StaffProfile.objects.create(user=manager).locations.set([home])  # the home location's manager
    theirs = UserFactory(username="westboss", email="westboss@clinic.example", role=MANAGER)
    StaffProfile.objects.create(user=theirs).locations.set([branch])
    group = UserFactory(username="groupboss", email="group@clinic.example", role=MANAGER)  # works nowhere: all

    alert = red_flag_alert(PatientFactory(location=branch))
    assert alerts.recipients(alert) == ["west-oncall@clinic.example", "lead@clinic.example"]
    assert alerts.message(alert)[0] == "Riverside Acupuncture & Back Pain Clinic — Westfield: urgent alert"
    assert alerts.manager_recipients(alert) == ["westboss@clinic.example", "group@clinic.example"]
    # The home location sets no addresses of its own: the clinic's, and its manager with the group's.
    at_home = red_flag_alert(PatientFactory(location=home))
    assert alerts.recipients(at_home) == ON_CALL
    assert alerts.manager_recipients(at_home) == [manager.email, "group@clinic.example"]
    assert group.pk


def test_a_location_refuses_an_alert_address_that_is_not_one(db):
    from django.core.exceptions import ValidationError

    from clinic.models import Location

    with pytest.raises(ValidationError, match="not an email address"):
        Location(name="Lakeside", alert_emails="oncall@clinic.example; pager").full_clean()
