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
    assert "copy or print" in response.content.decode()


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
    assert "go to an emergency department now" in body.lower()
    assert Referral.objects.get().flags == ["bladder_dysfunction"]


def test_patient_errors_keep_their_answers(client, desk_client, patient):
    open_link(client, desk_client, patient)
    response = client.post(reverse("intake:patient-intake"), form_data(night_pain=None, pain_now="12"))
    assert response.status_code == 200
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
    chart = desk_client.get(reverse("patient-detail", args=[patient.pk])).content.decode()
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
