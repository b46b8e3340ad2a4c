"""Warning signs first, saved alone (issue 14): a "yes" is kept and acted on whatever else the form holds.

Online the six cauda equina questions are step 1, posted by themselves (and, with JavaScript, the moment
"yes" is tapped); on paper they are saved even when the rest of the form is refused.
"""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from clinic.links import issue_link
from intake.models import Alert, Referral
from outcomes.models import Questionnaire
from tests.factories import questionnaire_data, warning_sign_data
from tests.outcomes.test_questionnaires import answer_steps

FORM = reverse("outcomes:patient-form")
WARNING_SIGNS = reverse("outcomes:patient-warning-signs")
ON_CALL = "oncall@clinic.example"


@pytest.fixture(autouse=True)
def on_call(settings):
    settings.CLINIC_ALERT_EMAILS = [ON_CALL]
    settings.SITE_URL = "https://clinic.example"


def open_link(client: Client, questionnaire: Questionnaire) -> None:
    _, token = issue_link(patient=questionnaire.patient, purpose="questionnaire", subject=questionnaire)
    assert client.get(reverse("clinic:link-open", args=[token]))["Location"] == FORM


def test_the_form_opens_on_the_warning_signs_alone(client, questionnaire):
    open_link(client, questionnaire)
    page = client.get(FORM)
    html = page.content.decode()
    assert page.templates[0].name == "outcomes/patient_warning_signs.html"
    assert "Step 1 of 4: warning signs" in html
    assert 'name="saddle_anaesthesia"' in html and 'name="leg_pain_now"' not in html
    assert f'action="{WARNING_SIGNS}"' in html
    # The urgent advice is in the page, hidden, for the script to show the moment "yes" is tapped.
    assert 'data-reveal-box data-reveal-for="saddle_anaesthesia' in html


def test_a_lone_yes_with_every_other_answer_missing_is_saved_and_acted_on(
    client, questionnaire, acupuncturist, lac_client, mailoutbox, django_capture_on_commit_callbacks
):
    open_link(client, questionnaire)
    with django_capture_on_commit_callbacks(execute=True):
        page = client.post(WARNING_SIGNS, {"bladder_dysfunction": "True"})  # five questions unanswered
    html = page.content.decode()
    # The patient sees the urgent instructions at once, with numbers to tap.
    assert page.status_code == 200
    assert "Go to a hospital emergency department today" in html
    assert 'href="tel:911">Call 911</a>' in html and 'href="tel:5550102400"' in html
    assert "We have saved your answer and alerted the clinic's clinical team" in html
    # The answer is saved on the questionnaire, which stays open for the rest.
    questionnaire.refresh_from_db()
    assert questionnaire.bladder_dysfunction is True and questionnaire.saddle_anaesthesia is None
    assert not questionnaire.is_submitted
    # A referral opens (treatment stops) and an emergency alert goes out, once, to on-call and the practitioner.
    referral = Referral.objects.open().get(patient=questionnaire.patient)
    assert referral.flags == ["bladder_dysfunction"] and referral.is_emergency
    alert = Alert.objects.get(patient=questionnaire.patient)
    assert (alert.kind, alert.severity, alert.referral) == ("red_flag_between_visits", "emergency", referral)
    assert len(mailoutbox) == 1
    assert set(mailoutbox[0].to) == {ON_CALL, acupuncturist.email}
    assert f"https://clinic.example/alerts/{alert.pk}/" in mailoutbox[0].body
    # The dashboard lists it first.
    dashboard = lac_client.get(reverse("pages:dashboard")).content.decode()
    assert dashboard.index('data-testid="open-alert"') < dashboard.index("Open red flags")
    assert questionnaire.patient.family_name in dashboard.split('data-testid="open-alert"')[1].split("</tr>")[0]


def test_the_alert_email_carries_no_clinical_detail(
    client, questionnaire, mailoutbox, django_capture_on_commit_callbacks
):
    open_link(client, questionnaire)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(WARNING_SIGNS, warning_sign_data(saddle_anaesthesia="True"))
    message = mailoutbox[0]
    text = f"{message.subject}\n{message.body}".lower()
    patient = questionnaire.patient
    for detail in (patient.family_name, patient.given_name, patient.chart_number, "saddle", "cauda", "bladder"):
        assert detail.lower() not in text
    assert "an urgent alert needs you" in text


def test_a_yes_tapped_with_javascript_is_saved_before_the_patient_moves_on(client, questionnaire):
    open_link(client, questionnaire)
    sent = client.post(WARNING_SIGNS, {"motor_weakness": "True"}, HTTP_X_REQUESTED_WITH="fetch")
    assert sent.status_code == 204
    assert Referral.objects.open().filter(patient=questionnaire.patient, flags=["motor_weakness"]).exists()
    # The page then closes: the sign is on record, and the link still works for the rest.
    later = Client()
    _, token = issue_link(patient=questionnaire.patient, purpose="questionnaire", subject=questionnaire)
    later.get(reverse("clinic:link-open", args=[token]))
    page = later.get(FORM)
    html = page.content.decode()
    # Back at step 1, the advice on top, the yes kept, the five unanswered questions still to answer.
    assert page.templates[0].name == "outcomes/patient_warning_signs.html"
    assert 'data-testid="urgent-reminder"' in html
    assert page.context["form"]["motor_weakness"].value() is True
    assert page.context["form"]["saddle_anaesthesia"].value() is None


@pytest.mark.parametrize("value", ["maybe", "1", "yes", "<b>"])
def test_an_answer_that_is_not_yes_or_no_is_refused_beside_it_and_nothing_else_is_lost(client, questionnaire, value):
    open_link(client, questionnaire)
    page = client.post(WARNING_SIGNS, warning_sign_data(saddle_anaesthesia=value, bowel_incontinence="True"))
    # The valid yes is acted on; the refused answer is asked again beside its question.
    assert Referral.objects.open().get(patient=questionnaire.patient).flags == ["bowel_incontinence"]
    questionnaire.refresh_from_db()
    assert questionnaire.saddle_anaesthesia is None and questionnaire.bowel_incontinence is True
    assert questionnaire.bladder_dysfunction is False
    assert page.status_code == 200 and "Please get medical help today" in page.content.decode()
    again = client.get(f"{FORM}?step=1")
    assert again.status_code == 200 and again.context["form"]["bowel_incontinence"].value() is True


def test_a_refused_answer_and_no_yes_shows_the_step_again_with_the_rest_kept(client, questionnaire):
    open_link(client, questionnaire)
    page = client.post(WARNING_SIGNS, warning_sign_data(sexual_dysfunction="perhaps"))
    assert page.status_code == 400
    assert page.context["form"].errors["sexual_dysfunction"] == [
        "That answer is not one of the choices. Please choose again."
    ]
    assert 'id="id_sexual_dysfunction_error"' in page.content.decode()
    assert page.context["form"]["motor_weakness"].value() == "False"
    assert not Referral.objects.exists()


def test_all_no_moves_on_to_step_two(client, questionnaire):
    open_link(client, questionnaire)
    moved = client.post(WARNING_SIGNS, warning_sign_data())
    assert (moved.status_code, moved["Location"]) == (302, FORM)
    page = client.get(FORM)
    assert page.templates[0].name == "outcomes/patient_form.html"
    assert 'name="leg_pain_now"' in page.content.decode()
    assert not Referral.objects.exists() and not Alert.objects.exists()


def test_step_two_posted_before_step_one_goes_back_to_step_one(client, questionnaire):
    open_link(client, questionnaire)
    page = client.post(FORM, questionnaire_data())
    assert page.status_code == 302 and page["Location"] == FORM
    questionnaire.refresh_from_db()
    assert not questionnaire.is_submitted


def test_a_yes_is_never_taken_back_by_a_later_no(client, questionnaire):
    open_link(client, questionnaire)
    client.post(WARNING_SIGNS, warning_sign_data(bilateral_sciatica="True"))
    page = client.post(WARNING_SIGNS, warning_sign_data())
    questionnaire.refresh_from_db()
    assert questionnaire.bilateral_sciatica is True
    assert "Please get medical help today" in page.content.decode()
    assert Referral.objects.open().get().flags == ["bilateral_sciatica"]


def test_finishing_after_a_yes_keeps_the_yes_and_the_advice(
    client, questionnaire, mailoutbox, django_capture_on_commit_callbacks
):
    open_link(client, questionnaire)
    with django_capture_on_commit_callbacks(execute=True):
        urgent = client.post(WARNING_SIGNS, {"saddle_anaesthesia": "True"})
        assert "Some warning-sign questions still need an answer" in urgent.content.decode()
        assert client.post(FORM, questionnaire_data()).status_code == 302  # not before step 1 is finished
        client.post(WARNING_SIGNS, warning_sign_data())  # the other five: no (the yes stays)
        done = client.post(FORM, questionnaire_data())
    html = done.content.decode()
    assert "Thank you" in html and "Please get medical help today" in html
    questionnaire.refresh_from_db()
    assert questionnaire.is_submitted and questionnaire.saddle_anaesthesia is True and questionnaire.odi_score == 40
    assert Alert.objects.count() == 1 and len(mailoutbox) == 1  # one report, one alert, one message


def test_a_new_sign_while_the_alert_is_open_sends_it_again_and_a_repeated_one_does_not(
    plan, questionnaire, mailoutbox, django_capture_on_commit_callbacks
):
    from outcomes.services import record_warning_signs

    with django_capture_on_commit_callbacks(execute=True):
        record_warning_signs(questionnaire=questionnaire, answers={"saddle_anaesthesia": True})
    second = Questionnaire.objects.create(
        patient=plan.patient, plan=plan, due_date=questionnaire.due_date - timedelta(days=7), week=0
    )
    with django_capture_on_commit_callbacks(execute=True):
        record_warning_signs(questionnaire=second, answers={"saddle_anaesthesia": True})  # the same sign again
    assert Alert.objects.count() == 1 and len(mailoutbox) == 1
    with django_capture_on_commit_callbacks(execute=True):
        record_warning_signs(questionnaire=second, answers={"motor_weakness": True})  # a new one
    assert Alert.objects.count() == 1 and len(mailoutbox) == 2
    assert Referral.objects.open().get().flags == ["saddle_anaesthesia", "motor_weakness"]


# --- the done page says only what happens ----------------------------------------------------------


@pytest.mark.parametrize(
    ("email", "promise"),
    [
        ("ada@example.org", "When your next check-in is due, we will email you its link."),
        ("", "When your next check-in is due, the clinic will give you its link."),
    ],
)
def test_the_done_page_promises_only_what_happens(client, questionnaire, email, promise):
    questionnaire.patient.email = email
    questionnaire.patient.save()
    open_link(client, questionnaire)
    client.post(WARNING_SIGNS, warning_sign_data())
    html = client.post(FORM, questionnaire_data()).content.decode()
    assert promise in html
    assert "Please get medical help today" not in html and "crisis" not in html.lower()


def test_the_patient_is_told_who_reads_the_answers(client, questionnaire):
    open_link(client, questionnaire)
    step1 = client.get(FORM).content.decode()
    client.post(WARNING_SIGNS, warning_sign_data())
    step2 = client.get(FORM).content.decode()
    for html in (step1, step2):
        assert "Your answers are read by the clinical team at Riverside" in html
        assert "only to your practitioner" not in html


# --- PHQ-9 item 9 ----------------------------------------------------------------------------------


@pytest.fixture
def week4(plan):
    return Questionnaire.objects.create(
        patient=plan.patient, plan=plan, due_date=timezone.localdate(), week=4, includes_phq9=True
    )


def test_item_9_above_zero_shows_crisis_resources_at_once_and_alerts(
    client, week4, acupuncturist, mailoutbox, django_capture_on_commit_callbacks
):
    week4.patient.family_name = "Quennell-Marsh"  # distinctive, so it cannot occur by chance in the email text
    week4.patient.save()
    open_link(client, week4)
    client.post(WARNING_SIGNS, warning_sign_data())
    answer_steps(client, "pain", "odi")
    form = client.get(FORM).content.decode()
    assert 'data-reveal-for="phq9_9" data-reveal-values="1 2 3"' in form  # shown by the script when tapped
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(FORM, questionnaire_data(phq9=(1, 1, 1, 1, 0, 0, 0, 0, 2)))
    html = done.content.decode()
    assert 'data-testid="crisis-resources"' in html
    assert 'href="tel:988">Call 988: the 988 Suicide &amp; Crisis Lifeline</a>' in html
    assert 'href="tel:911"' in html
    assert "We have alerted the clinic's clinical team to this answer" in html
    alert = Alert.objects.get(patient=week4.patient)
    assert (alert.kind, alert.item9, alert.severity, alert.practitioner) == ("self_harm", 2, "urgent", acupuncturist)
    assert len(mailoutbox) == 1
    body = mailoutbox[0].body.lower()
    assert "phq" not in body and "harm" not in body and week4.patient.family_name.lower() not in body


def test_item_9_on_a_form_that_needs_correcting_alerts_now_and_shows_the_crisis_line(client, week4):
    open_link(client, week4)
    client.post(WARNING_SIGNS, warning_sign_data())
    data = questionnaire_data(odi=(2, None, None, 2, 2, 2, 2, 2, 2, 2), phq9=(0, 0, 0, 0, 0, 0, 0, 0, 3))
    page = client.post(FORM, data)
    assert page.status_code == 400
    assert 'data-testid="crisis-resources"' in page.content.decode()
    assert Alert.objects.get(patient=week4.patient).item9 == 3
    week4.refresh_from_db()
    assert not week4.is_submitted and week4.phq9_9 is None  # the PHQ-9 is kept whole or not at all


def test_the_crisis_line_and_emergency_number_are_settings(client, week4, settings):
    settings.CRISIS_LINE, settings.CRISIS_LINE_NAME, settings.EMERGENCY_NUMBER = "116 123", "Samaritans", "999"
    open_link(client, week4)
    client.post(WARNING_SIGNS, warning_sign_data())
    html = client.post(FORM, questionnaire_data(phq9=(0,) * 8 + (1,))).content.decode()
    assert 'href="tel:116123">Call 116 123: Samaritans</a>' in html and 'href="tel:999"' in html
    assert "988" not in html and "911" not in html


# --- paper -----------------------------------------------------------------------------------------


def test_a_paper_yes_with_two_odi_sections_blank_is_saved_and_acted_on(
    desk_client, plan, acupuncturist, mailoutbox, django_capture_on_commit_callbacks
):
    url = reverse("outcomes:questionnaire-create", args=[plan.patient.pk])
    due = timezone.localdate().isoformat()
    data = questionnaire_data(odi=(2, None, None, 2, 2, 2, 2, 2, 2, 2), due_date=due, saddle_anaesthesia="True")
    with django_capture_on_commit_callbacks(execute=True):
        page = desk_client.post(url, data)
    # The form is refused beside the blank sections, with everything typed kept ...
    assert page.status_code == 200
    assert set(page.context["form"].errors) == {"odi_personal_care", "odi_lifting"}
    assert page.context["form"]["leg_pain_now"].value() == "5"
    # ... but the warning sign is saved on the questionnaire due that day and acted on, and staff are told.
    questionnaire = Questionnaire.objects.get(patient=plan.patient, due_date=due)
    assert questionnaire.saddle_anaesthesia is True and not questionnaire.is_submitted
    assert Referral.objects.open().get(patient=plan.patient).flags == ["saddle_anaesthesia"]
    assert Alert.objects.get(patient=plan.patient).kind == "red_flag_between_visits"
    assert len(mailoutbox) == 1 and acupuncturist.email in mailoutbox[0].to
    messages = [str(m) for m in page.context["messages"]]
    assert any("urgent referral is open" in m and "saved by itself" in m for m in messages)
    # Corrected, the rest joins it: no second alert.
    data |= {"odi_personal_care": "2", "odi_lifting": "2"}
    with django_capture_on_commit_callbacks(execute=True):
        assert desk_client.post(url, data).status_code == 302
    questionnaire.refresh_from_db()
    assert questionnaire.is_submitted and questionnaire.saddle_anaesthesia is True and questionnaire.odi_score == 40
    assert Alert.objects.count() == 1 and len(mailoutbox) == 1


def test_a_paper_yes_with_a_bad_due_date_still_opens_the_referral(desk_client, plan):
    url = reverse("outcomes:questionnaire-create", args=[plan.patient.pk])
    page = desk_client.post(url, questionnaire_data(due_date="0202-01-01", motor_weakness="True"))
    assert page.context["form"].errors["due_date"]
    assert Referral.objects.open().get(patient=plan.patient).flags == ["motor_weakness"]
    assert not Questionnaire.objects.filter(due_date="0202-01-01").exists()


def test_a_paper_item_9_on_a_refused_form_alerts(desk_client, plan):
    url = reverse("outcomes:questionnaire-create", args=[plan.patient.pk])
    data = questionnaire_data(due_date=timezone.localdate().isoformat(), phq9=(0, 0, 0, 0, 0, 0, 0, 0, 1))
    data["leg_pain_now"] = "12"
    page = desk_client.post(url, data)
    assert page.context["form"].errors["leg_pain_now"]
    assert Alert.objects.get(patient=plan.patient).item9 == 1
    # The front desk typed the answer but is not shown what it means clinically.
    messages = [str(m) for m in page.context["messages"]]
    assert messages == [
        "An answer on the paper form needs a clinician today: the clinical team has been alerted. It was saved "
        "by itself; correct what is marked below to save the rest of the questionnaire."
    ]


def test_a_paper_item_9_for_a_date_already_entered_still_alerts(desk_client, plan):
    url = reverse("outcomes:questionnaire-create", args=[plan.patient.pk])
    due = timezone.localdate().isoformat()
    assert desk_client.post(url, questionnaire_data(due_date=due, phq9=(0,) * 9)).status_code == 302
    page = desk_client.post(url, questionnaire_data(due_date=due, phq9=(0,) * 8 + (3,)))
    assert page.context["form"].errors["due_date"] == ["A questionnaire for this due date has already been entered."]
    assert Alert.objects.get(patient=plan.patient).item9 == 3
    assert any("the clinical team has been alerted" in str(m) for m in page.context["messages"])
