"""The clinic outcomes report on a small data set worked out by hand."""

import threading
import time as time_module
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from auditlog.models import LogEntry
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from outcomes.models import Questionnaire
from outcomes.report import clinic_outcomes
from outcomes.scoring import odi_meaningful
from outcomes.summary import refresh_outcomes, refresh_stale_outcomes
from tests.factories import SessionFactory, TreatmentPlanFactory, UserFactory
from treatments.models import TreatmentPlan
from treatments.services import sessions_changed


def noon(day: date):
    return timezone.make_aware(datetime.combine(day, time(12)))


def build_plan(practitioner, start: date, session_days, questionnaires):
    """questionnaires: (week, odi, analgesic days, work days off); the plan's summary refreshed, as a submit does."""
    plan = TreatmentPlanFactory(practitioner=practitioner, start_date=start)
    for day in session_days:
        SessionFactory(plan=plan, started_at=noon(start + timedelta(days=day)), points=[])
    for week, odi, analgesic, work in questionnaires:
        due = start + timedelta(weeks=week)
        Questionnaire.objects.create(
            patient=plan.patient,
            plan=plan,
            due_date=due,
            week=week,
            odi_score=odi,
            analgesic_days=analgesic,
            work_days_off=work,
            submitted_at=noon(due),
        )
    refresh_outcomes([plan.pk])
    return plan


@pytest.fixture
def clinic(acupuncturist):
    other = UserFactory(username="lac2", role="Acupuncturist")
    # 1: 40 → 20 at week 8 (−50 %); 28 at week 1 is a 12-point drop before session 4 (day 10).
    build_plan(acupuncturist, date(2026, 1, 5), [1, 3, 8, 10], [(0, 40, 6, 2), (1, 28, 4, 1), (8, 20, 2, 0)])
    # 2: 50 → 48 at week 9 (−4 %); 48 at week 1, before session 4 (day 8): a 2-point drop, not meaningful.
    build_plan(acupuncturist, date(2026, 2, 2), [1, 3, 5, 8], [(0, 50, 4, 3), (1, 48, 4, 3), (9, 48, 4, 3)])
    # 3: 30 → 21 at week 7 (−30 %); only three sessions, so it never reaches session 4.
    build_plan(acupuncturist, date(2026, 3, 2), [1, 3, 5], [(0, 30, 0, 0), (7, 21, 0, 1)])
    # 4: another practitioner, a baseline but nothing in weeks 7-9 (week 5 and week 10 only).
    build_plan(other, date(2026, 3, 9), [1, 3], [(0, 60, 7, 5), (5, 40, 5, 2), (10, 30, 3, 1)])
    # A submitted but incomplete questionnaire (no ODI score) never counts.
    incomplete = build_plan(acupuncturist, date(2026, 4, 6), [1], [])
    Questionnaire.objects.create(
        patient=incomplete.patient,
        plan=incomplete,
        due_date=date(2026, 4, 6),
        week=0,
        submitted_at=noon(date(2026, 4, 6)),
    )
    return other


def test_whole_clinic_figures(clinic):
    figures = clinic_outcomes()
    assert (figures.with_baseline, figures.cohort) == (4, 3)
    assert figures.mean_odi_change == Decimal("-28.0")  # (−50 − 4 − 30) / 3
    assert figures.median_odi_change == Decimal("-30.0")
    by_session = {share.session: (share.responders, share.reached, share.percent) for share in figures.responders}
    assert by_session == {4: (1, 2, Decimal("50.0")), 8: (0, 0, None), 12: (0, 0, None)}
    assert (figures.analgesic_cut, figures.analgesic_reported) == (1, 3)
    assert figures.analgesic_cut_percent == Decimal("33.3")
    assert figures.analgesic_change == Decimal("-40.0")  # 10 days → 6 days
    assert figures.work_days_change == Decimal("-0.3")  # (−2 + 0 + 1) / 3


def test_filter_by_practitioner(clinic):
    figures = clinic_outcomes(practitioner=clinic)
    assert (figures.with_baseline, figures.cohort, figures.mean_odi_change) == (1, 0, None)


def test_filter_by_date_range(clinic):
    figures = clinic_outcomes(start=date(2026, 2, 1), end=date(2026, 3, 5))
    assert figures.cohort == 2
    assert figures.mean_odi_change == figures.median_odi_change == Decimal("-17.0")


def test_an_empty_clinic_has_no_figures(db):
    figures = clinic_outcomes()
    assert (figures.with_baseline, figures.cohort, figures.mean_odi_change, figures.median_odi_change) == (
        0,
        0,
        None,
        None,
    )


def test_report_page_and_csv(manager_client, clinic, django_assert_max_num_queries):
    with django_assert_max_num_queries(15):
        page = manager_client.get(reverse("outcomes:report"))
    html = page.content.decode()
    assert "-28.0 %" in html and "50.0 % (1 of 2)" in html and "41 %" in html
    csv = manager_client.get(reverse("outcomes:report-csv")).content.decode()
    lines = csv.strip().splitlines()
    assert len(lines) == 4 and lines[0].startswith("patient,")
    # baseline, taken before treatment, week 8, change; then no visit booked (due, attended, no-shows, rates)
    assert ",40,yes,20,-50.0,0,0,0,,," in lines[1]


def test_a_bad_date_range_is_a_message_not_an_error(manager_client, clinic):
    page = manager_client.get(reverse("outcomes:report"), {"start": "2026-05-01", "end": "2026-01-01"})
    assert page.status_code == 200
    assert "before the start date" in page.content.decode()
    assert manager_client.get(reverse("outcomes:report"), {"start": "not-a-date"}).status_code == 200


@pytest.mark.parametrize("query", [{"start": "not-a-date"}, {"start": "2026-05-01", "end": "2026-01-01"}])
def test_a_csv_with_a_bad_selection_is_not_the_whole_clinic(manager_client, clinic, query):
    response = manager_client.get(reverse("outcomes:report-csv"), query)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("outcomes:report") + "?start=")
    assert not LogEntry.objects.filter(additional_data__export="outcomes-report-csv").exists()
    page = manager_client.get(response["Location"])
    assert page.context["form"].errors


def test_names_cannot_become_spreadsheet_formulas(manager_client, clinic):
    plan = Questionnaire.objects.order_by("id").first().plan
    plan.patient.family_name = "=HYPERLINK(1)"
    plan.patient.save()
    csv = manager_client.get(reverse("outcomes:report-csv")).content.decode()
    assert "'=HYPERLINK" not in csv.split("\n")[0]
    assert ",=HYPERLINK" not in csv and '"=HYPERLINK' not in csv


def test_the_csv_export_is_audited_once_and_not_cached(
    manager_client, manager, acupuncturist, clinic, django_assert_max_num_queries
):
    query = {"start": "2026-01-01", "practitioner": acupuncturist.pk}
    with django_assert_max_num_queries(15):
        export = manager_client.get(reverse("outcomes:report-csv"), query, REMOTE_ADDR="10.1.2.3")
    assert export["Cache-Control"] == "no-store"
    charts = [line.split(",")[1] for line in export.content.decode().strip().splitlines()[1:]]
    assert len(charts) == 3
    entry = LogEntry.objects.get(action=LogEntry.Action.ACCESS)
    assert (entry.actor, entry.remote_addr) == (manager, "10.1.2.3")
    assert entry.content_type.model_class() is TreatmentPlan
    assert entry.object_repr == (
        f"Outcomes report CSV: {len(charts)} patients (plans started from 2026-01-01, "
        f"practitioner {acupuncturist.get_full_name()})"
    )
    assert entry.additional_data == {
        "export": "outcomes-report-csv",
        "filters": {"start": "2026-01-01", "practitioner": acupuncturist.pk},
        "chart_numbers": charts,
    }
    page = manager_client.get(reverse("clinic:audit-log"), {"actor": manager.pk, "action": LogEntry.Action.ACCESS})
    assert list(page.context["page"]) == [entry]
    assert f"{len(charts)} patients" in page.content.decode()


# --- the plan's derived score columns the report reads ---------------------------------------


@pytest.mark.parametrize(
    ("baseline", "by_session_4"),
    [
        (20, 14),  # 6 points, exactly 30 %: meaningful
        (20, 15),  # 5 points, 25 %: not
        (50, 40),  # exactly 10 points (20 %): meaningful
        (50, 41),  # 9 points, 18 %: not
        (8, 5),  # 3 points, 37.5 %: meaningful
        (30, 30),  # no change
        (20, 26),  # worse
        (0, 0),  # nothing to improve on
    ],
)
def test_responder_rule_in_sql_matches_the_scoring_rule(acupuncturist, baseline, by_session_4):
    build_plan(acupuncturist, date(2026, 1, 5), [1, 3, 8, 10], [(0, baseline, 0, 0), (1, by_session_4, 0, 0)])
    share = clinic_outcomes().responders[0]
    assert share.reached == 1
    assert share.responders == int(odi_meaningful(baseline, by_session_4))


def test_the_figures_carry_their_95_percent_confidence_intervals(clinic, manager_client):
    figures = clinic_outcomes()
    # Changes −50, −4, −30 %: mean −28, sd 23.07, t(2) = 4.303, so −28 ± 57.3.
    assert figures.mean_odi_change_interval == (Decimal("-85.3"), Decimal("29.3"))
    # Plans 1 and 2 reach session 4; plan 1 responds: 1 of 2, Wilson 9.5 % to 90.5 %.
    share = figures.responders[0]
    assert (share.responders, share.reached, share.interval) == (1, 2, (Decimal("9.5"), Decimal("90.5")))
    html = manager_client.get(reverse("outcomes:report")).content.decode()
    assert "(95 % CI -85.3 to 29.3 %)" in html and "(95 % CI 9.5 to 90.5 %)" in html
    # One course is no interval: a single value has no spread to measure.
    assert clinic_outcomes(practitioner=clinic).mean_odi_change_interval is None


def test_a_corrected_or_deleted_questionnaire_updates_the_plan(acupuncturist):
    plan = build_plan(acupuncturist, date(2026, 1, 5), [1, 3, 8, 10], [(0, 40, 6, 2), (8, 20, 2, 0)])
    plan.refresh_from_db()
    assert (plan.baseline_odi, plan.week8_odi, plan.odi_at_session_4) == (40, 20, 40)
    baseline = plan.questionnaires.get(week=0)
    baseline.odi_score = 44
    baseline.save()
    plan.questionnaires.get(week=8).delete()
    refresh_outcomes([plan.pk])  # what the outcomes service that writes a questionnaire does after it
    plan.refresh_from_db()
    assert (plan.baseline_odi, plan.week8_odi, plan.week8_analgesic) == (44, None, None)
    assert clinic_outcomes().cohort == 0


def test_moving_a_session_changes_which_score_counts_for_it(acupuncturist):
    # Week-1 score (28) is due on day 7; session 4 on day 10 sees it, on day 6 it does not.
    plan = build_plan(acupuncturist, date(2026, 1, 5), [1, 3, 5, 10], [(0, 40, 0, 0), (1, 28, 0, 0)])
    plan.refresh_from_db()
    assert plan.odi_at_session_4 == 28
    fourth = plan.sessions.order_by("started_at").last()
    fourth.started_at = noon(date(2026, 1, 11))
    fourth.save()
    sessions_changed(plan_ids=[plan.pk])  # what treatments.services.save_session does: the plan is marked
    plan.refresh_from_db()
    assert plan.outcome_stale and plan.odi_at_session_4 == 28
    assert refresh_stale_outcomes() == 1  # what the report does before it reads
    plan.refresh_from_db()
    assert plan.odi_at_session_4 == 40 and not plan.outcome_stale
    assert clinic_outcomes().responders[0].responders == 0


def test_saving_a_plan_read_earlier_keeps_the_scores_that_came_in_since(acupuncturist):
    plan = build_plan(acupuncturist, date(2026, 1, 5), [1, 3], [])
    stale = type(plan).objects.get(pk=plan.pk)
    for week, odi in [(0, 40), (8, 20)]:
        due = plan.start_date + timedelta(weeks=week)
        Questionnaire.objects.create(
            patient=plan.patient, plan=plan, due_date=due, week=week, odi_score=odi, submitted_at=noon(due)
        )
    refresh_outcomes([plan.pk])
    stale.goals = "Walk to the shops."
    stale.save()
    plan.refresh_from_db()
    assert (plan.goals, plan.baseline_odi, plan.week8_odi, plan.session_count) == ("Walk to the shops.", 40, 20, 2)


def test_report_reads_no_questionnaire_or_session(manager_client, clinic):
    with CaptureQueriesContext(connection) as queries:
        clinic_outcomes()
    assert len(queries) == 2  # every figure in one aggregate, then the median's middle rows
    assert not any("outcomes_questionnaire" in q["sql"] or "treatments_session" in q["sql"] for q in queries)


def test_refreshing_many_plans_at_once_gives_what_refreshing_each_gives(acupuncturist):
    from treatments.models import OUTCOME_FIELDS, TreatmentPlan

    plans = [
        build_plan(acupuncturist, date(2026, 1, 5), [1, 3, 8, 10], [(0, 40, 6, 2), (8, 20, 2, 0)]),
        build_plan(acupuncturist, date(2026, 2, 2), [1, 3], [(1, 52, 7, 3)]),
        build_plan(acupuncturist, date(2026, 3, 2), [], []),
    ]
    fields = sorted(OUTCOME_FIELDS)
    each = list(TreatmentPlan.objects.order_by("pk").values_list(*fields))
    TreatmentPlan.objects.update(**{**dict.fromkeys(fields, None), "no_improvement": True})
    refresh_outcomes([plan.pk for plan in plans] + [plans[0].pk, None])  # repeats and a missing plan are ignored
    assert list(TreatmentPlan.objects.order_by("pk").values_list(*fields)) == each
    assert each[0][fields.index("baseline_odi")] == 40 and each[2][fields.index("baseline_odi")] is None


def in_thread(errors: list, work):
    """Run work in a thread of its own, with its own database connection; keep what it raises."""

    def run():
        try:
            work()
        except Exception as error:  # pragma: no cover - the test reports it
            errors.append(error)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def wait_until_a_transaction_waits_on_a_lock():
    with connection.cursor() as cursor:
        for _ in range(500):
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                return
            time_module.sleep(0.01)
    pytest.fail("no transaction waited on another's lock")


def concurrent(test):
    """Real transactions on PostgreSQL; SQLite lets one writer at a time, so it has no such race."""
    test = pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite lets one writer at a time")(test)
    return pytest.mark.django_db(transaction=True)(test)


@concurrent
def test_a_session_and_a_questionnaire_saved_at_once_both_reach_the_plan(acupuncturist):
    # The patient answers the week-8 questionnaire in the waiting room while the last session is
    # saved. Each write refreshes the plan's scores; neither may compute them without the other's row.
    plan = build_plan(acupuncturist, date(2026, 1, 5), [1, 3], [(0, 40, 6, 2)])
    week8 = Questionnaire.objects.create(patient=plan.patient, plan=plan, due_date=date(2026, 3, 2), week=8)
    session_written, release_session = threading.Event(), threading.Event()
    errors = []

    def log_session():
        with transaction.atomic():
            SessionFactory(plan=plan, started_at=noon(date(2026, 1, 15)), points=[])
            session_written.set()
            release_session.wait(10)  # still uncommitted while the answers come in

    def submit_answers():
        session_written.wait(10)
        with transaction.atomic():
            week8.odi_score, week8.submitted_at = 20, noon(date(2026, 3, 2))
            week8.save()
            refresh_outcomes([plan.pk])  # as outcomes.services.submit_questionnaire does

    threads = [in_thread(errors, log_session), in_thread(errors, submit_answers)]
    session_written.wait(10)
    wait_until_a_transaction_waits_on_a_lock()  # the answers wait for the session
    release_session.set()
    for thread in threads:
        thread.join(10)
    assert not errors
    plan.refresh_from_db()
    assert (plan.session_count, plan.baseline_odi, plan.week8_odi) == (3, 40, 20)


@concurrent
def test_two_sessions_saved_at_once_both_count(acupuncturist):
    # Both sessions are in, neither committed, before either refreshes the plan's scores.
    from treatments.models import Session

    plan = build_plan(acupuncturist, date(2026, 1, 5), [1, 3], [])
    inserted = [threading.Event(), threading.Event()]
    first_refreshed, release_first = threading.Event(), threading.Event()
    errors = []

    def log(n: int):
        template = plan.sessions.first()
        with transaction.atomic():
            template.pk, template.started_at = None, noon(date(2026, 1, 8 + n))
            Session.objects.bulk_create([template])  # the row alone; the refresh follows by hand
            inserted[n].set()
            inserted[1 - n].wait(10)
            if n == 1:
                first_refreshed.wait(10)
            sessions_changed(plan_ids=[plan.pk])
            if n == 0:
                first_refreshed.set()
                release_first.wait(10)

    threads = [in_thread(errors, lambda: log(0)), in_thread(errors, lambda: log(1))]
    first_refreshed.wait(10)
    wait_until_a_transaction_waits_on_a_lock()  # the second refresh waits for the first
    release_first.set()
    for thread in threads:
        thread.join(15)
    assert not errors
    plan.refresh_from_db()
    assert plan.session_count == 4


# --- claims that are true: comparators labelled, baselines said (issue 14) -------------------------


def test_the_comparators_are_labelled_for_what_they_are(manager_client, clinic):
    html = manager_client.get(reverse("outcomes:report")).content.decode()
    assert "Randomised trial, acupuncture against sham acupuncture" in html
    assert "Tu et al., JAMA Intern Med 2024;184(12):1417-1424" in html
    assert "Observational cohort, not peer-reviewed" in html
    assert "published" not in html.lower()
    # The work figure was a difference against usual-care controls, and says so.
    assert "than usual-care controls (a difference between groups, not a before-and-after change)" in html
    # The trial's figure is in points at week 4, set beside the clinic's own week-4 points.
    assert "−13.0 points (sham −4.9) at week 4" in html


def test_week_four_change_in_points(clinic):
    figures = clinic_outcomes()
    # Only plan 4 has a score within a week of week 4 (week 5: 60 → 40).
    assert (figures.week4_reported, figures.mean_week4_odi_points) == (1, Decimal("-20.0"))


def test_the_report_says_which_baselines_came_before_treatment(manager_client, clinic, acupuncturist):
    late = build_plan(acupuncturist, date(2026, 5, 4), [0, 3], [(1, 40, 2, 1), (8, 30, 1, 0)])
    late.refresh_from_db()
    assert late.baseline_before_treatment is False  # week 1, answered after the first session
    figures = clinic_outcomes()
    assert (figures.with_baseline, figures.baseline_before_treatment) == (5, 4)
    html = manager_client.get(reverse("outcomes:report")).content.decode()
    assert '<td class="text-end" data-testid="baseline-before-treatment">4 of 5</td>' in html
    only = clinic_outcomes(before_treatment=True)
    assert (only.with_baseline, only.cohort) == (4, 3)
    csv = manager_client.get(reverse("outcomes:report-csv"), {"before_treatment": "on"}).content.decode()
    assert late.patient.chart_number not in csv and len(csv.strip().splitlines()) == 4
    entry = LogEntry.objects.get(additional_data__export="outcomes-report-csv")
    assert "baselines taken before the first session only" in entry.object_repr
