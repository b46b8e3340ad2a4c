from datetime import date, timedelta

import pytest
from django.urls import reverse

from intake.models import Referral
from intake.safety import may_treat
from tests.factories import IntakeFactory

CLOSE = {
    "referred_to": "emergency",
    "referred_to_detail": "St John's ED",
    "outcome": "cleared",
    "outcome_notes": "MRI clear",
}


@pytest.fixture
def referral(db):
    IntakeFactory(saddle_anaesthesia=True)
    return Referral.objects.get()


def test_acupuncturist_closes_a_referral_and_the_banner_goes(lac_client, acupuncturist, referral):
    url = reverse("intake:referral-detail", args=[referral.pk])
    response = lac_client.post(url, {**CLOSE, "referred_on": date.today().isoformat()})
    assert response.status_code == 302
    referral.refresh_from_db()
    assert referral.closed_by == acupuncturist
    assert referral.outcome == "cleared"
    assert may_treat(referral.patient).allowed
    chart = lac_client.get(reverse("pages:patient-detail", args=[referral.patient.pk])).content.decode()
    assert 'data-testid="red-flag-banner"' not in chart
    assert "Cleared to treat" in chart


def test_front_desk_sees_the_referral_but_cannot_close_it(desk_client, referral):
    url = reverse("intake:referral-detail", args=[referral.pk])
    page = desk_client.get(url)
    assert page.status_code == 200
    assert "Only an acupuncturist" in page.content.decode()
    response = desk_client.post(url, {**CLOSE, "referred_on": date.today().isoformat()})
    assert response.status_code == 403
    assert Referral.objects.open().count() == 1


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("referred_on", "", "This field is required"),
        ("referred_on", (date.today() + timedelta(days=1)).isoformat(), "cannot be in the future"),
        ("referred_on", (date.today() - timedelta(days=30)).isoformat(), "before the red flag"),
        ("referred_on", "0202-05-01", "Check the year: the referral date cannot be before 1900."),
        ("referred_to", "moon", "Select a valid choice"),
        ("outcome", "", "This field is required"),
    ],
)
def test_closing_needs_where_when_and_result(lac_client, referral, field, value, message):
    data = {**CLOSE, "referred_on": date.today().isoformat(), field: value}
    response = lac_client.post(reverse("intake:referral-detail", args=[referral.pk]), data)
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert response.context["form"]["referred_to_detail"].value() == "St John's ED"
    assert Referral.objects.open().count() == 1


def test_other_destination_needs_details(lac_client, referral):
    data = {**CLOSE, "referred_to": "other", "referred_to_detail": "", "referred_on": date.today().isoformat()}
    response = lac_client.post(reverse("intake:referral-detail", args=[referral.pk]), data)
    assert response.context["form"].errors["referred_to_detail"] == ["Say where the patient was referred."]


def test_closing_twice_is_harmless(lac_client, referral):
    url = reverse("intake:referral-detail", args=[referral.pk])
    lac_client.post(url, {**CLOSE, "referred_on": date.today().isoformat()})
    response = lac_client.post(url, {**CLOSE, "outcome": "not_to_treat", "referred_on": date.today().isoformat()})
    assert response.status_code == 302
    referral.refresh_from_db()
    assert referral.outcome == "cleared"


def test_database_refuses_an_incomplete_close(referral):
    from django.db import IntegrityError, transaction
    from django.utils import timezone

    referral.closed_at = timezone.now()
    with pytest.raises(IntegrityError), transaction.atomic():
        referral.save()


@pytest.mark.parametrize(
    ("flag", "default"),
    [("saddle_anaesthesia", "emergency"), ("bladder_dysfunction", "emergency"), ("cancer_history", "gp")],
)
def test_the_referral_form_defaults_to_where_the_red_flag_sends_the_patient(lac_client, flag, default):
    intake = IntakeFactory(**{flag: True})
    referral = Referral.objects.get(patient=intake.patient)
    form = lac_client.get(reverse("intake:referral-detail", args=[referral.pk])).context["form"]
    assert form["referred_to"].value() == default
    html = form["referred_to"].as_widget()
    assert f'<option value="{default}" selected>' in html
