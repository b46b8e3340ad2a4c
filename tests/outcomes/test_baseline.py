"""The baseline before the first needle (issue 14): due the day the plan starts, handed over at the first
visit, and flagged on the chart and in the report when it was taken after treatment began."""

from datetime import datetime, time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from outcomes.models import ODI_FIELDS, Questionnaire
from outcomes.services import submit_questionnaire
from tests.factories import SessionFactory, TreatmentPlanFactory, questionnaire_data


def at(day, hour):
    return timezone.make_aware(datetime.combine(day, time(hour)))


@pytest.fixture
def plan(acupuncturist):
    """A plan that starts today, with no session yet: the patient is at the front desk for the first visit."""
    plan = TreatmentPlanFactory(practitioner=acupuncturist, start_date=timezone.localdate())
    plan.patient.email = ""
    plan.patient.save()
    return plan


def test_the_chart_shows_the_baseline_due_today_before_any_session_or_reminder_run(desk_client, plan):
    assert not Questionnaire.objects.exists() and not plan.sessions.exists()
    page = desk_client.get(reverse("pages:patient-detail", args=[plan.patient.pk]))
    html = page.content.decode()
    assert "baseline: hand it over before the first session" in html
    link = reverse("outcomes:questionnaire-link-create", args=[plan.patient.pk, timezone.localdate().isoformat()])
    assert f'action="{link}"' in html
    assert f"?due={timezone.localdate():%Y-%m-%d}" in html  # or typed in from paper


def test_the_front_desk_hands_over_the_baseline_link_at_check_in(desk_client, plan):
    today = timezone.localdate()
    page = desk_client.post(reverse("outcomes:questionnaire-link-create", args=[plan.patient.pk, today.isoformat()]))
    assert page.status_code == 200 and "<svg" in page.content.decode()  # the QR code to scan
    baseline = Questionnaire.objects.get()
    assert (baseline.due_date, baseline.week, baseline.kind, baseline.plan) == (today, 0, "baseline", plan)


@pytest.mark.parametrize("due", ["tomorrow", "yesterday", "2026-02-30", "not-a-date"])
def test_a_link_for_a_day_nothing_is_due_is_a_404(desk_client, plan, due):
    day = {"tomorrow": timedelta(days=1), "yesterday": timedelta(days=-1)}.get(due)
    due = (timezone.localdate() + day).isoformat() if day else due
    page = desk_client.post(reverse("outcomes:questionnaire-link-create", args=[plan.patient.pk, due]))
    assert page.status_code == 404
    assert not Questionnaire.objects.exists()


def test_a_baseline_answered_before_the_first_session_is_said_so(lac_client, plan):
    today = timezone.localdate()
    baseline = Questionnaire.objects.create(patient=plan.patient, plan=plan, due_date=today, week=0, kind="baseline")
    submit_questionnaire(questionnaire=baseline, answers=dict.fromkeys(ODI_FIELDS, 2), source="online")
    SessionFactory(plan=plan, started_at=timezone.now() + timedelta(minutes=5))
    plan.refresh_from_db()
    assert plan.baseline_before_treatment is True
    html = lac_client.get(reverse("pages:patient-detail", args=[plan.patient.pk])).content.decode()
    assert "(week 0, due" in html and "before the first session)" in html
    assert "taken after treatment started" not in html


def test_a_baseline_answered_after_the_first_session_is_flagged(lac_client, plan):
    today = timezone.localdate()
    SessionFactory(plan=plan, started_at=timezone.now() - timedelta(hours=2))
    baseline = Questionnaire.objects.create(patient=plan.patient, plan=plan, due_date=today, week=0, kind="baseline")
    submit_questionnaire(questionnaire=baseline, answers=dict.fromkeys(ODI_FIELDS, 2), source="online")
    plan.refresh_from_db()
    assert plan.baseline_before_treatment is False
    html = lac_client.get(reverse("pages:patient-detail", args=[plan.patient.pk])).content.decode()
    assert "taken after treatment started" in html


def test_a_paper_baseline_typed_in_after_the_session_counts_from_the_day_it_was_filled_in(desk_client, plan):
    """The front desk types the check-in form while the patient is on the table: the same day is before."""
    # An hour ago, but never before today's midnight (just after it, an hour ago is yesterday's session).
    SessionFactory(plan=plan, started_at=max(timezone.now() - timedelta(hours=1), at(timezone.localdate(), 0)))
    url = reverse("outcomes:questionnaire-create", args=[plan.patient.pk])
    data = questionnaire_data(odi=(2,) * 10, pgic=None, due_date=timezone.localdate().isoformat())
    assert desk_client.post(url, data).status_code == 302
    baseline = Questionnaire.objects.get()
    assert (baseline.source, baseline.answered_on) == ("staff", timezone.localdate())
    plan.refresh_from_db()
    assert plan.baseline_before_treatment is True
    # Filled in the day after the first session: after treatment started.
    yesterday = timezone.localdate() - timedelta(days=1)
    plan.start_date = yesterday
    plan.save()
    other = TreatmentPlanFactory(practitioner=plan.practitioner, start_date=yesterday)
    SessionFactory(plan=other, started_at=at(yesterday, 10))
    url = reverse("outcomes:questionnaire-create", args=[other.patient.pk])
    data = questionnaire_data(odi=(2,) * 10, pgic=None, due_date=yesterday.isoformat())
    assert desk_client.post(url, data).status_code == 302
    other.refresh_from_db()
    assert other.baseline_before_treatment is False


@pytest.mark.parametrize(
    ("answered_on", "message"),
    [("2099-01-01", "A form cannot have been filled in in the future."), ("", "This field is required.")],
)
def test_the_day_a_paper_form_was_filled_in_is_checked_beside_the_field(desk_client, plan, answered_on, message):
    url = reverse("outcomes:questionnaire-create", args=[plan.patient.pk])
    data = questionnaire_data(due_date=timezone.localdate().isoformat(), answered_on=answered_on)
    page = desk_client.post(url, data)
    assert page.context["form"].errors["answered_on"] == [message]
    assert not Questionnaire.objects.filter(submitted_at__isnull=False).exists()
