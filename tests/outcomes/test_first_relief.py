"""Time to first relief (docs/clinical-rules.md): the rule by hand-worked cases, the plan's columns as the
summary keeps them, and the report's figures and CSV columns."""

import csv
import io
import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from outcomes.models import Questionnaire
from outcomes.relief import AnsweredPain, FirstRelief, SessionPain, first_relief, is_relief
from outcomes.report import clinic_relief
from outcomes.summary import refresh_outcomes, refresh_stale_outcomes
from tests.factories import SessionFactory, TreatmentPlanFactory, UserFactory
from treatments.models import TreatmentPlan
from treatments.services import sessions_changed

MONDAY = date(2026, 1, 5)


def at(day: int, hour: int = 10, minute: int = 0) -> datetime:
    """A moment `day` days after the first session's day (naive: the rule reads local times)."""
    return datetime.combine(MONDAY + timedelta(days=day), time(hour, minute))


def visit(day: int, before: int, after: int | None = None, tuina: int = 0, hour: int = 10) -> SessionPain:
    return SessionPain(at(day, hour), before, after, tuina)


def answer(day: int, back: int | None, leg: int | None) -> AnsweredPain:
    return AnsweredPain(MONDAY + timedelta(days=day), back, leg)


# --- the rule -----------------------------------------------------------------------------------


def test_relief_at_a_later_sessions_pain_before():
    # 6 → 4: 2 points, 33 %; at the visit of day 3, before its needles.
    assert first_relief(sessions=[visit(0, 6, 5), visit(3, 4, 3)]) == FirstRelief(3, False)


def test_relief_at_a_later_sessions_pain_after():
    # Day 3 begins at 5 (1 point) and ends at 4 (2 points, 33 %).
    assert first_relief(sessions=[visit(0, 6, 6), visit(3, 5, 4), visit(7, 3)]) == FirstRelief(3, False)


def test_relief_through_a_weekly_answer_the_worse_of_back_and_leg():
    sessions = [visit(0, 8, 7), visit(3, 7, 7), visit(7, 7, 6)]
    # Day 5: back 2 but leg 7 (worse of the two: 7, no relief); day 6: back 4, leg 5 (5: 3 points, 37.5 %).
    answers = [answer(5, 2, 7), answer(6, 4, 5)]
    assert first_relief(sessions=sessions, answers=answers) == FirstRelief(6, False)
    # Only one of the two answered: that one is the pain.
    assert first_relief(sessions=sessions, answers=[answer(5, None, 5)]) == FirstRelief(5, False)
    assert first_relief(sessions=sessions, answers=[answer(5, None, None)]) == FirstRelief(None, False)


@pytest.mark.parametrize(
    ("reference", "pain", "relief"),
    [
        (9, 7, False),  # 2 points but 22 %
        (9, 6, True),  # 3 points, 33 %
        (3, 2, False),  # 33 % but 1 point
        (3, 1, True),  # 2 points, 67 %
        (10, 7, True),  # 3 points, exactly 30 %
        (10, 8, False),  # 2 points, 20 %
        (2, 0, True),  # the smallest reference that can show relief
        (5, 6, False),  # worse
    ],
)
def test_two_points_and_thirty_percent_both(reference, pain, relief):
    assert is_relief(reference, pain) is relief
    expected = FirstRelief(4, False) if relief else FirstRelief(None, False)
    assert first_relief(sessions=[visit(0, reference), visit(4, pain)]) == expected


def test_a_reference_below_2_cannot_show_relief():
    assert first_relief(sessions=[visit(0, 1, 0), visit(3, 0, 0, tuina=15)]) == FirstRelief(None, None)
    assert first_relief(sessions=[visit(0, 0)], answers=[answer(3, 0, 0)]) == FirstRelief(None, None)


def test_no_session_no_course():
    assert first_relief(sessions=[], answers=[answer(3, 0, 0)]) == FirstRelief(None, None)


def test_the_tuina_arm_is_the_first_sessions():
    # Tui Na at the first visit: with, whenever relief came, or if it has not come yet.
    assert first_relief(sessions=[visit(0, 6, 5, tuina=10), visit(3, 4), visit(7, 3)]) == FirstRelief(3, True)
    assert first_relief(sessions=[visit(0, 7, 6, tuina=10), visit(3, 6, 6)]) == FirstRelief(None, True)
    # Tui Na only from a later visit: without. A course is not moved to the other arm by what it received
    # while it waited for relief, so a slow course is not counted as a Tui Na course for being slow.
    assert first_relief(sessions=[visit(0, 6, 5), visit(3, 4), visit(7, 3, tuina=10)]) == FirstRelief(3, False)
    assert first_relief(sessions=[visit(0, 7, 6), visit(3, 6, 6), visit(7, 6, 5, tuina=15)]) == FirstRelief(None, False)
    answers = [answer(5, 3, 4)]
    assert first_relief(sessions=[visit(0, 6), visit(3, 6, tuina=10)], answers=answers) == FirstRelief(5, False)


def test_a_questionnaire_comes_after_the_sessions_of_its_day():
    # The answer of day 3 shows relief after day 3's session, which showed none: 3 days either way, and
    # the session's later Tui Na does not make this a Tui Na course.
    sessions = [visit(0, 6), visit(3, 6, 6, tuina=10)]
    assert first_relief(sessions=sessions, answers=[answer(3, 4, 4)]) == FirstRelief(3, False)


def test_the_first_sessions_own_pain_after_is_ignored():
    assert first_relief(sessions=[visit(0, 6, 1)]) == FirstRelief(None, False)
    assert first_relief(sessions=[visit(0, 6, 1), visit(3, 5, 5)]) == FirstRelief(None, False)


def test_nothing_on_the_first_sessions_day_but_a_later_session():
    # An answer the day of the first session may be the baseline: it does not count.
    assert first_relief(sessions=[visit(0, 6, hour=9)], answers=[answer(0, 1, 1)]) == FirstRelief(None, False)
    # A second session that day does: 0 days.
    assert first_relief(sessions=[visit(0, 6, 5, hour=9), visit(0, 4, 3, hour=17)]) == FirstRelief(0, False)


def test_the_first_session_is_the_earliest_whatever_the_order():
    sessions = [visit(7, 3, 2), visit(0, 6, 5, tuina=10), visit(3, 5, 4), visit(10, 2, 2)]
    answers = [answer(2, 5, 6), answer(5, 4, 4), answer(9, 1, 1)]
    expected = first_relief(sessions=sessions, answers=answers)
    assert expected == FirstRelief(3, True)  # day 3's pain after: 4 (2 points, 33 %), before day 5's answer
    rng = random.Random(18)
    for _ in range(10):
        rng.shuffle(sessions)
        rng.shuffle(answers)
        assert first_relief(sessions=sessions, answers=answers) == expected


# --- the plan's columns -------------------------------------------------------------------------


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def session(plan, moment, before, after=None, tuina=0):
    return SessionFactory(
        plan=plan, started_at=moment, pain_before=before, pain_after=after, tuina_minutes=tuina, points=[]
    )


def questionnaire(plan, due, week, *, odi=None, back=None, leg=None, answered_on=None, submitted=True):
    return Questionnaire.objects.create(
        patient=plan.patient,
        plan=plan,
        due_date=due,
        week=week,
        odi_score=odi,
        back_pain_now=back,
        leg_pain_now=leg,
        answered_on=answered_on,
        submitted_at=local(due, 12) if submitted else None,
    )


def relief_of(plan):
    return TreatmentPlan.objects.values_list("first_relief_days", "tuina_first_session").get(pk=plan.pk)


def test_the_summary_refresh_sets_the_plans_columns_in_three_queries(acupuncturist):
    plan = TreatmentPlanFactory(practitioner=acupuncturist, start_date=MONDAY)
    # The first session late in the evening: 05:30 the next day in UTC, so counting in UTC would say 0 days.
    session(plan, local(MONDAY, 23, 30), 7, 4, tuina=10)
    session(plan, local(MONDAY + timedelta(days=1), 8), 6, 5)
    questionnaire(plan, MONDAY, 0, odi=40, back=7, leg=7)  # the baseline
    # Unscored (two ODI sections missing) but submitted: its pain counts, dated by its due date.
    questionnaire(plan, MONDAY + timedelta(days=6), 1, back=3, leg=4)
    questionnaire(plan, MONDAY + timedelta(days=5), 1, back=0, leg=0, submitted=False)  # never sent: no
    with CaptureQueriesContext(connection) as queries:
        refresh_outcomes([plan.pk])
    assert len(queries) == 3  # the lock, the one UNION ALL read, the UPDATE
    assert relief_of(plan) == (6, True)  # 7 → 4 on day 6; Tui Na at the first session
    plan.refresh_from_db()
    assert plan.baseline_odi == 40  # the unscored one is no score


def test_a_questionnaire_is_dated_by_the_day_it_was_filled_in(acupuncturist):
    plan = TreatmentPlanFactory(practitioner=acupuncturist, start_date=MONDAY)
    session(plan, local(MONDAY, 10), 8)
    session(plan, local(MONDAY + timedelta(days=7), 10), 8, tuina=15)
    # Due on day 7, filled in on paper on day 4.
    questionnaire(plan, MONDAY + timedelta(days=7), 1, odi=30, back=5, leg=5, answered_on=MONDAY + timedelta(days=4))
    refresh_outcomes([plan.pk])
    assert relief_of(plan) == (4, False)


def test_a_session_logged_later_reaches_the_columns_before_the_report(acupuncturist):
    plan = TreatmentPlanFactory(practitioner=acupuncturist, start_date=MONDAY)
    session(plan, local(MONDAY, 10), 6, 5, tuina=10)
    refresh_outcomes([plan.pk])
    assert relief_of(plan) == (None, True)
    session(plan, local(MONDAY + timedelta(days=4), 10), 5, 3)
    sessions_changed(plan_ids=[plan.pk])  # what treatments.services.save_session does
    assert refresh_stale_outcomes() == 1  # what the report does first
    assert relief_of(plan) == (4, True)


def test_a_plan_with_no_session_has_no_relief_course(acupuncturist):
    plan = TreatmentPlanFactory(practitioner=acupuncturist, start_date=MONDAY)
    questionnaire(plan, MONDAY, 0, odi=40, back=1, leg=1)
    refresh_outcomes([plan.pk])
    assert relief_of(plan) == (None, None)


# --- the report ---------------------------------------------------------------------------------


def course(practitioner, start: date, visits, *, week8=True):
    """A course with a baseline ODI (and a week-8 one, so the CSV lists it); visits: (day, before, after, tuina)."""
    plan = TreatmentPlanFactory(practitioner=practitioner, start_date=start)
    for day, before, after, tuina in visits:
        session(plan, local(start + timedelta(days=day), 10), before, after, tuina)
    questionnaire(plan, start, 0, odi=40)
    if week8:
        questionnaire(plan, start + timedelta(weeks=8), 8, odi=20)
    refresh_outcomes([plan.pk])
    return plan


@pytest.fixture
def courses(acupuncturist):
    """With Tui Na at the first session: 2 days, 5 days, not yet (median 3.5 of 2 relieved, 1 not yet). Without: 4, 6
    and 9 days (median 6.0 of 3). Left out: a pain of 1 before the first session; no baseline ODI."""
    other = UserFactory(username="lac2", role="Acupuncturist")
    course(acupuncturist, date(2026, 1, 5), [(0, 6, 5, 10), (2, 4, 3, 0)])
    course(acupuncturist, date(2026, 1, 12), [(0, 8, 7, 15), (2, 7, 7, 0), (5, 6, 5, 0)])
    course(acupuncturist, date(2026, 1, 19), [(0, 6, 6, 10), (3, 6, 5, 0), (7, 5, 5, 0)], week8=False)
    # Tui Na only from the third visit: an acupuncture-alone course that added it, not a Tui Na course.
    course(acupuncturist, date(2026, 2, 2), [(0, 5, 4, 0), (4, 3, 3, 0), (8, 2, 2, 15)])
    course(acupuncturist, date(2026, 2, 9), [(0, 6, 6, 0), (3, 6, 6, 0), (6, 5, 4, 0)])
    course(other, date(2026, 2, 16), [(0, 9, 8, 0), (4, 8, 7, 0), (9, 6, 6, 0)])
    course(acupuncturist, date(2026, 3, 2), [(0, 1, 0, 0), (3, 0, 0, 10)])
    no_baseline = TreatmentPlanFactory(practitioner=acupuncturist, start_date=date(2026, 3, 9))
    session(no_baseline, local(date(2026, 3, 9), 10), 6, 5)
    session(no_baseline, local(date(2026, 3, 10), 10), 2, 2)
    refresh_outcomes([no_baseline.pk])
    return other


def test_the_report_figures(courses):
    relief = clinic_relief()
    with_tuina, without = relief.with_tuina, relief.without_tuina
    assert (with_tuina.courses, with_tuina.relieved, with_tuina.not_yet, with_tuina.median_days) == (
        3,
        2,
        1,
        Decimal("3.5"),
    )
    assert (without.courses, without.relieved, without.not_yet, without.median_days) == (3, 3, 0, Decimal("6.0"))


def test_the_report_figures_take_the_reports_filters(courses):
    by_other = clinic_relief(practitioner=courses)
    assert (by_other.without_tuina.courses, by_other.without_tuina.median_days) == (1, Decimal("9.0"))
    assert (by_other.with_tuina.courses, by_other.with_tuina.median_days) == (0, None)
    january = clinic_relief(start=date(2026, 1, 1), end=date(2026, 1, 31))
    assert (january.with_tuina.courses, january.without_tuina.courses) == (3, 0)


def test_the_report_figures_read_one_query(courses):
    with CaptureQueriesContext(connection) as queries:
        clinic_relief()
    assert len(queries) == 1
    assert not any("outcomes_questionnaire" in q["sql"] or "treatments_session" in q["sql"] for q in queries)


def test_the_report_page_shows_them_beside_the_cohort(manager_client, courses, django_assert_max_num_queries):
    with django_assert_max_num_queries(15):
        page = manager_client.get(reverse("outcomes:report"))
    html = page.content.decode()
    assert "3.5 days (2 relieved)" in html and "6.0 days (3 relieved)" in html
    assert "(3 courses; 1 not yet relieved)" in html and "(3 courses; 0 not yet relieved)" in html
    assert "median 3.2 days to first relief with acupuncture plus Tui Na" in html
    assert "median 5.7 days to first relief with acupuncture alone" in html
    assert "practice article" in html and "published" not in html.lower()


def test_the_csv_columns(manager_client, courses):
    export = manager_client.get(reverse("outcomes:report-csv")).content.decode()
    header, *rows = list(csv.reader(io.StringIO(export)))
    days, tuina = header.index("days to first relief"), header.index("Tui Na at first session")
    # The CSV lists the courses with a week-8 ODI, by start date.
    assert [(row[days], row[tuina]) for row in rows] == [
        ("2", "yes"),
        ("5", "yes"),
        ("4", "no"),
        ("6", "no"),
        ("9", "no"),
        ("", ""),  # a pain of 1 before the first session: no relief possible
    ]
