from django.core import mail
from django.core.cache import cache
from django.urls import reverse

from clinic.models import PatientLink
from intake.models import Intake, Referral
from tests.intake.test_intakes import form_data


def open_link(client, desk_client, patient) -> None:
    cache.clear()
    response = desk_client.post(reverse("intake:intake-link-create", args=[patient.pk]))
    url = response.context["url"]
    path = url.split("testserver", 1)[1]
    assert client.get(path).status_code == 302


def test_front_desk_sends_the_link_by_email(desk_client, patient, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = desk_client.post(reverse("intake:intake-link-create", args=[patient.pk]))
    assert response.status_code == 200
    url = response.context["url"]
    assert response.context["emailed"]
    assert len(mail.outbox) == 1
    assert url in mail.outbox[0].body
    assert mail.outbox[0].to == [patient.email]
    assert url in response.content.decode()


def test_without_email_the_link_is_shown_to_copy_or_print(desk_client, patient):
    patient.email = ""
    patient.save()
    response = desk_client.post(reverse("intake:intake-link-create", args=[patient.pk]))
    assert not response.context["emailed"]
    assert mail.outbox == []
    body = response.content.decode()
    assert "copy, print or let the patient scan the link below" in body
    assert 'aria-label="QR code of the link"><svg' in body


def test_manager_cannot_send_links(manager_client, patient):
    assert manager_client.post(reverse("intake:intake-link-create", args=[patient.pk])).status_code == 403


def test_patient_submits_the_pre_visit_intake(client, desk_client, patient):
    open_link(client, desk_client, patient)
    data = form_data(consent_name="Ada Moreno")
    data.pop("suspected_cause")
    response = client.post(reverse("intake:patient-intake"), data)
    assert response.status_code == 200
    assert "Thank you" in response.content.decode()
    intake = Intake.objects.get()
    assert intake.source == "online"
    assert intake.reviewed_at is None
    assert PatientLink.objects.get().used_at is not None
    # The link is spent: the form cannot be submitted again.
    again = client.post(reverse("intake:patient-intake"), data)
    assert again.status_code in (200, 404)
    assert Intake.objects.count() == 1


def test_online_red_flag_opens_a_referral_and_tells_the_patient(client, desk_client, patient):
    open_link(client, desk_client, patient)
    response = client.post(reverse("intake:patient-intake"), form_data(bladder_dysfunction="True"))
    body = response.content.decode()
    assert "go to a hospital emergency department today" in body.lower()
    assert Referral.objects.get().flags == ["bladder_dysfunction"]


def test_the_patient_is_told_an_onset_before_their_birth_is_a_typo(client, desk_client, patient):
    open_link(client, desk_client, patient)
    born = patient.date_of_birth
    response = client.post(reverse("intake:patient-intake"), form_data(onset_date=born.replace(year=born.year - 1)))
    assert response.status_code == 400
    (message,) = response.context["form"].errors["onset_date"]
    assert message.startswith("Check the date: the onset date cannot be before your date of birth")
    year_0202 = client.post(reverse("intake:patient-intake"), form_data(onset_date="0202-06-01"))
    assert year_0202.context["form"].errors["onset_date"] == ["Check the year: the onset date cannot be before 1900."]
    assert not Intake.objects.exists()


def test_patient_errors_keep_their_answers(client, desk_client, patient):
    open_link(client, desk_client, patient)
    response = client.post(reverse("intake:patient-intake"), form_data(night_pain=None, pain_now="12"))
    assert response.status_code == 400  # as the questionnaire answers an invalid submission
    body = response.content.decode()
    assert "Some answers need attention" in body
    form = response.context["form"]
    assert form.errors["night_pain"] == ["Answer yes or no."]
    assert "pain_now" in form.errors
    assert form["chief_complaint"].value() == "Sciatica, left leg, 3 months"
    assert not Intake.objects.exists()


def test_staff_review_makes_it_the_intake(client, desk_client, front_desk, patient):
    open_link(client, desk_client, patient)
    client.post(reverse("intake:patient-intake"), form_data())
    intake = Intake.objects.get()
    chart = desk_client.get(reverse("pages:patient-detail", args=[patient.pk])).content.decode()
    assert "online — review needed" in chart
    desk_client.post(reverse("intake:intake-review", args=[intake.pk]))
    intake.refresh_from_db()
    assert intake.reviewed_by == front_desk


def test_a_questionnaire_session_cannot_open_the_intake_form(client, patient):
    from clinic.links import issue_link

    link, _ = issue_link(patient=patient, purpose="questionnaire")
    session = client.session
    session["patient_link"] = {"id": link.pk, "purpose": "questionnaire"}
    session.save()
    assert client.get(reverse("intake:patient-intake")).status_code == 404


def test_the_page_with_the_link_is_not_cached(desk_client, patient):
    response = desk_client.post(reverse("intake:intake-link-create", args=[patient.pk]))
    assert response.context["url"] in response.content.decode()
    assert response["Cache-Control"] == "no-store"


# --- warning signs on a half-finished intake, and words that are true (issue 14) -------------------


def test_a_red_flag_on_a_half_finished_intake_is_acted_on_and_joins_the_intake_later(
    client, desk_client, patient, settings, mailoutbox, django_capture_on_commit_callbacks
):
    from intake.models import Alert

    settings.CLINIC_ALERT_EMAILS = ["oncall@clinic.example"]
    open_link(client, desk_client, patient)
    half = form_data(saddle_anaesthesia="True", chief_complaint="", pain_now=None, consent_name="")
    with django_capture_on_commit_callbacks(execute=True):
        page = client.post(reverse("intake:patient-intake"), half)
    body = page.content.decode()
    assert "Some answers need attention" in body
    assert "The answers that need the clinic today have already been sent to it." in body
    assert 'data-testid="urgent-instructions"' in body and 'href="tel:911"' in body
    referral = Referral.objects.open().get(patient=patient)
    assert referral.flags == ["saddle_anaesthesia"] and referral.intake is None
    assert Alert.objects.get().kind == "red_flag_at_intake" and len(mailoutbox) == 1
    assert not Intake.objects.exists()
    # Completed, the intake joins the same referral and nobody is alerted twice.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("intake:patient-intake"), form_data(saddle_anaesthesia="True"))
    referral.refresh_from_db()
    assert referral.intake == Intake.objects.get() and Referral.objects.count() == 1
    assert Alert.objects.count() == 1 and len(mailoutbox) == 1


def test_thoughts_of_self_harm_show_the_crisis_line_at_once(client, desk_client, patient):
    from intake.models import Alert

    open_link(client, desk_client, patient)
    page = client.post(reverse("intake:patient-intake"), form_data(phq9_9="1"))
    body = page.content.decode()
    assert "Thank you" in body
    assert 'data-testid="crisis-resources"' in body and 'href="tel:988"' in body
    assert Alert.objects.get(patient=patient).kind == "self_harm"


def test_the_done_page_says_only_what_happens(client, desk_client, patient):
    open_link(client, desk_client, patient)
    body = client.post(reverse("intake:patient-intake"), form_data(bladder_dysfunction="True")).content.decode()
    assert "They will also contact you" not in body
    assert "We have saved your answer and alerted the clinic's clinical team. Do not wait for them" in body
    # A reload shows the same page, from what the session remembers of the submission.
    assert "Please get medical help today" in client.get(reverse("intake:patient-intake")).content.decode()


def test_the_emergency_number_is_a_setting_on_the_intake_and_its_email(
    client, desk_client, patient, settings, mailoutbox, django_capture_on_commit_callbacks
):
    settings.EMERGENCY_NUMBER = "112"
    with django_capture_on_commit_callbacks(execute=True):
        open_link(client, desk_client, patient)
    assert "call 112" in mailoutbox[0].body and "911" not in mailoutbox[0].body
    assert "&amp;" not in mailoutbox[0].body  # plain text: the clinic's name is not HTML-escaped
    body = client.post(reverse("intake:patient-intake"), form_data(bowel_incontinence="True")).content.decode()
    assert 'href="tel:112"' in body and "911" not in body
