"""Scheduling and the reminder command: due rows appear once, each link is emailed once."""

from datetime import datetime, time, timedelta

import pytest
from django.core.management import call_command
from django.db import IntegrityError
from django.urls import reverse
from django.utils import timezone

from outcomes.models import Questionnaire
from outcomes.services import schedule_due, send_reminders
from tests.factories import SessionFactory, TreatmentPlanFactory, questionnaire_data
from treatments.models import TreatmentPlan


def at(day):
    return timezone.make_aware(datetime.combine(day, time(10)))


def started(plan, day, *, treated: bool = True):
    """The plan starts on `day`, with its first session that day unless `treated` is False."""
    plan.start_date = day
    plan.save()
    if treated:
        SessionFactory(plan=plan, started_at=at(day))
    return plan


@pytest.fixture
def plan(acupuncturist):
    plan = TreatmentPlanFactory(practitioner=acupuncturist)
    plan.patient.email = "patient@example.org"
    plan.patient.save()
    return plan


def test_schedule_creates_baseline_and_weekly_rows_once(plan):
    today = timezone.localdate()
    started(plan, today - timedelta(days=15))
    assert schedule_due(today=today) == 3
    assert schedule_due(today=today) == 0
    rows = list(Questionnaire.objects.order_by("due_date").values_list("due_date", "week", "kind"))
    assert rows == [
        (plan.start_date, 0, "baseline"),
        (plan.start_date + timedelta(days=7), 1, "weekly"),
        (plan.start_date + timedelta(days=14), 2, "weekly"),
    ]


def test_the_baseline_falls_due_the_day_the_plan_starts_before_any_session(plan):
    today = timezone.localdate()
    started(plan, today, treated=False)
    assert not plan.sessions.exists()
    assert schedule_due(today=today) == 1
    baseline = Questionnaire.objects.get()
    assert (baseline.due_date, baseline.week, baseline.kind, baseline.plan) == (today, 0, "baseline", plan)


def test_nothing_falls_due_before_the_plan_starts(plan):
    started(plan, timezone.localdate() + timedelta(days=3), treated=False)
    assert schedule_due(today=timezone.localdate()) == 0


def test_a_plan_scheduled_from_its_first_session_keeps_its_weeks(plan):
    """Plans whose baseline was scheduled at the first session, before it moved to the start day (their week 0
    is kept by treatments migration 0009, as set here)."""
    today = timezone.localdate()
    started(plan, today - timedelta(days=17), treated=False)
    SessionFactory(plan=plan, started_at=at(today - timedelta(days=15)))
    Questionnaire.objects.create(patient=plan.patient, plan=plan, due_date=today - timedelta(days=15), week=0)
    TreatmentPlan.objects.filter(pk=plan.pk).update(questionnaires_from=today - timedelta(days=15))
    schedule_due(today=today)
    due = list(Questionnaire.objects.order_by("due_date").values_list("due_date", "week"))
    assert due == [(today - timedelta(days=15), 0), (today - timedelta(days=8), 1), (today - timedelta(days=1), 2)]


def test_a_paper_form_for_an_unscheduled_day_does_not_shift_the_weeks(plan, desk_client):
    today = timezone.localdate()
    started(plan, today - timedelta(days=16), treated=False)
    assert schedule_due(today=today) == 1  # the baseline only: no session yet
    SessionFactory(plan=plan, started_at=at(today - timedelta(days=12)))
    # A form handed in for the day of the first session, which had no questionnaire of its own.
    url = reverse("outcomes:questionnaire-create", args=[plan.patient.pk])
    data = questionnaire_data(pgic=None, due_date=(today - timedelta(days=12)).isoformat())  # week 0: no PGIC
    assert desk_client.post(url, data).status_code == 302
    schedule_due(today=today)
    due = list(Questionnaire.objects.order_by("due_date").values_list("due_date", "week"))
    start = plan.start_date
    assert due == [
        (start, 0),
        (start + timedelta(days=4), 0),
        (start + timedelta(days=7), 1),
        (start + timedelta(days=14), 2),
    ]


def test_a_plan_that_ended_without_a_session_has_no_questionnaires(plan):
    started(plan, timezone.localdate() - timedelta(weeks=13), treated=False)
    plan.status = "discontinued"
    plan.save()
    assert schedule_due(today=timezone.localdate()) == 0


def test_an_untreated_active_plan_has_only_its_baseline_due(plan):
    started(plan, timezone.localdate() - timedelta(weeks=13), treated=False)
    assert schedule_due(today=timezone.localdate()) == 1
    assert Questionnaire.objects.get().kind == "baseline"


def test_weekly_stops_when_the_plan_is_completed(plan):
    today = timezone.localdate()
    started(plan, today - timedelta(weeks=13))
    SessionFactory(plan=plan, started_at=at(today - timedelta(weeks=11)))
    plan.status = "completed"
    plan.save()
    schedule_due(today=today)
    assert list(Questionnaire.objects.order_by("due_date").values_list("week", flat=True)) == [0, 1, 2, 12]


def test_one_questionnaire_per_due_date_is_a_database_rule(plan):
    day = timezone.localdate()
    Questionnaire.objects.create(patient=plan.patient, plan=plan, due_date=day, week=0)
    with pytest.raises(IntegrityError):
        Questionnaire.objects.create(patient=plan.patient, plan=plan, due_date=day, week=0)


def test_reminders_are_sent_once(plan, mailoutbox, django_capture_on_commit_callbacks):
    today = timezone.localdate()
    started(plan, today - timedelta(days=8))
    with django_capture_on_commit_callbacks(execute=True):
        first = send_reminders(today=today, build_url=lambda token: f"https://clinic.example/l/{token}/")
    with django_capture_on_commit_callbacks(execute=True):
        second = send_reminders(today=today, build_url=lambda token: f"https://clinic.example/l/{token}/")
    # Week 1 (yesterday) is emailed; the baseline fell due 8 days ago, past the reminder window,
    # and is left to the front desk's overdue list.
    assert (first, second) == (1, 0)
    assert len(mailoutbox) == 1
    assert all("https://clinic.example/l/" in message.body for message in mailoutbox)
    assert mailoutbox[0].to == ["patient@example.org"]


def test_no_email_address_no_email_but_the_row_is_due(acupuncturist, mailoutbox):
    plan = started(TreatmentPlanFactory(practitioner=acupuncturist), timezone.localdate())
    plan.patient.email = ""
    plan.patient.save()
    assert send_reminders(today=timezone.localdate(), build_url=str) == 0
    assert Questionnaire.objects.pending().count() == 1


def test_the_command_is_idempotent(plan, mailoutbox, capsys):
    started(plan, timezone.localdate() - timedelta(days=1))
    call_command("send_questionnaire_reminders")
    call_command("send_questionnaire_reminders")
    out = capsys.readouterr().out
    assert "1 questionnaire reminder(s) sent." in out and "0 questionnaire reminder(s) sent." in out
    assert Questionnaire.objects.filter(reminded_at__isnull=False).count() == 1


def test_the_daily_run_drops_the_unsent_answers_no_link_can_reach_and_audits_it(plan, capsys):
    from auditlog.models import LogEntry

    from clinic.links import issue_link
    from clinic.models import PatientLink

    today = timezone.localdate()
    expired, renewed, open_, sent = (
        Questionnaire.objects.create(
            patient=plan.patient, plan=plan, due_date=today - timedelta(days=days), week=week, draft={"pgic": 3}
        )
        for days, week in ((21, 1), (14, 2), (7, 3), (0, 4))
    )
    for questionnaire in (expired, renewed, open_):
        issue_link(patient=plan.patient, purpose="questionnaire", subject=questionnaire)
    PatientLink.objects.filter(subject_id=expired.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    # A new link for the same questionnaire (the first revoked): the patient carries on where they left off.
    issue_link(patient=plan.patient, purpose="questionnaire", subject=renewed)
    Questionnaire.objects.filter(pk=sent.pk).update(submitted_at=timezone.now(), draft={})
    call_command("send_questionnaire_reminders")
    assert "1 unsent questionnaire draft(s) dropped." in capsys.readouterr().out
    ours = [expired.pk, renewed.pk, open_.pk, sent.pk]
    drafts = dict(Questionnaire.objects.filter(pk__in=ours).values_list("pk", "draft"))
    assert drafts == {expired.pk: {}, renewed.pk: {"pgic": 3}, open_.pk: {"pgic": 3}, sent.pk: {}}
    entry = LogEntry.objects.get(object_repr__startswith="Answers saved so far")
    assert entry.action == LogEntry.Action.UPDATE
    assert entry.object_repr == (
        "Answers saved so far (never sent) dropped from 1 questionnaire no link can reach any more"
    )
    assert entry.additional_data == {"questionnaire_ids": [expired.pk], "patient_ids": [plan.patient_id]}
    # Nothing left to drop: no more entries.
    call_command("send_questionnaire_reminders")
    assert "0 unsent questionnaire draft(s) dropped." in capsys.readouterr().out
    assert LogEntry.objects.filter(object_repr__startswith="Answers saved so far").count() == 1


def test_overdue_means_more_than_two_days(plan):
    today = timezone.localdate()
    for days in (1, 2, 3):
        Questionnaire.objects.create(patient=plan.patient, plan=plan, due_date=today - timedelta(days=days), week=days)
    assert list(Questionnaire.objects.overdue(today).values_list("week", flat=True)) == [3]


def test_dashboard_lists_overdue_with_resend(desk_client, plan, django_assert_max_num_queries):
    today = timezone.localdate()
    for days in range(3, 20):
        Questionnaire.objects.create(patient=plan.patient, plan=plan, due_date=today - timedelta(days=days), week=days)
    with django_assert_max_num_queries(15):
        html = desk_client.get("/").content.decode()
    assert "Resend" in html and "17 overdue in all" in html
