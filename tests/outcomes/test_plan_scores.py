"""A course of care's derived scores (outcomes.scoring.plan_scores), rule by rule.

These columns feed the clinic report: which questionnaire is the baseline, which is week 8, and
which score counts for session 4, 8 and 12. Each case is one a clinician would ask about.
"""

from datetime import UTC, date, datetime, timedelta

import pytest

from outcomes.scoring import ScoredWeek, plan_scores

START = date(2026, 3, 2)


def week(n: int, odi: int, *, days_late: int = 0, analgesic=None, work=None) -> ScoredWeek:
    return ScoredWeek(n, START + timedelta(weeks=n, days=days_late), odi, analgesic, work)


def visits(*offsets: int) -> list[date]:
    return [START + timedelta(days=d) for d in offsets]


def test_no_questionnaires_no_scores():
    scores = plan_scores(session_days=visits(0, 3, 7, 10), scored=[])
    assert scores.pop("no_improvement") is False
    assert set(scores.values()) == {None}


def test_baseline_is_the_intake_week_before_week_one():
    scores = plan_scores(session_days=[], scored=[week(1, 40), week(0, 52, analgesic=5, work=2)])
    assert (scores["baseline_odi"], scores["baseline_analgesic"], scores["baseline_work"]) == (52, 5, 2)


def test_baseline_falls_back_to_week_one_when_the_intake_week_is_missing():
    assert plan_scores(session_days=[], scored=[week(1, 40), week(2, 30)])["baseline_odi"] == 40


def test_no_baseline_when_weeks_zero_and_one_are_both_missing():
    assert plan_scores(session_days=[], scored=[week(2, 30), week(3, 28)])["baseline_odi"] is None


def test_week_eight_exactly():
    scored = [week(0, 50), week(7, 30), week(8, 24, analgesic=1, work=0), week(9, 20)]
    scores = plan_scores(session_days=[], scored=scored)
    assert (scores["week8_odi"], scores["week8_analgesic"], scores["week8_work"]) == (24, 1, 0)


def test_week_eight_missing_takes_the_nearer_of_weeks_seven_and_nine_the_earlier_on_a_tie():
    assert plan_scores(session_days=[], scored=[week(7, 30), week(9, 20)])["week8_odi"] == 30
    assert plan_scores(session_days=[], scored=[week(9, 20)])["week8_odi"] == 20


def test_weeks_six_and_ten_are_too_far_from_week_eight():
    assert plan_scores(session_days=[], scored=[week(6, 30), week(10, 20)])["week8_odi"] is None


def test_score_by_session_is_the_latest_due_by_that_visit():
    # Visits twice weekly; questionnaires weekly from day 0.
    days = visits(0, 3, 7, 10, 14, 17, 21, 24)
    scored = [week(0, 50), week(1, 44), week(2, 38), week(3, 30)]
    scores = plan_scores(session_days=days, scored=scored)
    assert scores["odi_at_session_4"] == 44  # session 4 on day 10: week 1 (day 7) is the latest due
    assert scores["odi_at_session_8"] == 30  # session 8 on day 24: week 3 (day 21)
    assert scores["odi_at_session_12"] is None  # only eight sessions so far


def test_a_questionnaire_due_on_the_visit_day_counts_for_that_visit():
    scores = plan_scores(session_days=visits(0, 3, 5, 7), scored=[week(0, 50), week(1, 41)])
    assert scores["odi_at_session_4"] == 41


def test_session_order_is_by_date_not_by_entry():
    # A session entered late (out of order) is still the visit of its own day.
    scores = plan_scores(session_days=visits(10, 0, 7, 3), scored=[week(0, 50), week(1, 44), week(2, 30)])
    assert scores["odi_at_session_4"] == 44


def test_a_zero_score_is_a_score():
    scores = plan_scores(session_days=visits(0, 1, 2, 3), scored=[week(0, 0), week(8, 0)])
    assert (scores["baseline_odi"], scores["week8_odi"], scores["odi_at_session_4"]) == (0, 0, 0)


# --- week 4, the latest score, and no improvement by week 6 ------------------------------------


def test_week_four_is_the_score_within_a_week_of_it():
    assert plan_scores(session_days=[], scored=[week(0, 50), week(3, 44), week(5, 40)])["week4_odi"] == 44
    assert plan_scores(session_days=[], scored=[week(0, 50), week(2, 44), week(6, 40)])["week4_odi"] is None


def test_the_latest_score_is_the_last_due():
    scores = plan_scores(session_days=[], scored=[week(0, 50), week(7, 38), week(6, 41)])
    assert (scores["latest_odi"], scores["latest_odi_week"]) == (38, 7)


@pytest.mark.parametrize(
    ("baseline", "later_week", "later", "no_improvement"),
    [
        (40, 6, 38, True),  # 2 points and 5 %: no meaningful change by week 6
        (40, 5, 38, False),  # week 5: too early to say
        (40, 6, 30, False),  # 10 points: meaningful
        (20, 6, 14, False),  # 6 points, but 30 % of 20: meaningful
        (20, 6, 15, True),  # 5 points, 25 %: not
        (40, 8, 45, True),  # worse
        (0, 6, 0, False),  # nothing to improve on
    ],
)
def test_no_improvement_by_week_six(baseline, later_week, later, no_improvement):
    scores = plan_scores(session_days=[], scored=[week(0, baseline), week(later_week, later)])
    assert scores["no_improvement"] is no_improvement


def test_an_improvement_at_week_four_lost_by_week_six_is_no_improvement():
    scores = plan_scores(session_days=[], scored=[week(0, 40), week(4, 28), week(6, 36)])
    assert scores["no_improvement"] is True


def test_no_baseline_no_judgement_of_improvement():
    assert plan_scores(session_days=[], scored=[week(3, 40), week(7, 40)])["no_improvement"] is False


# --- a baseline taken before the first needle, or after ----------------------------------------

FIRST_SESSION = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


def online(n: int, odi: int, sent: datetime) -> ScoredWeek:
    return ScoredWeek(n, START + timedelta(weeks=n), odi, submitted_at=sent, answered_on=sent.date())


def paper(n: int, odi: int, filled_in: date) -> ScoredWeek:
    return ScoredWeek(n, START + timedelta(weeks=n), odi, answered_on=filled_in, paper=True)


@pytest.mark.parametrize(
    ("baseline", "before"),
    [
        (online(0, 40, FIRST_SESSION - timedelta(minutes=1)), True),
        (online(0, 40, FIRST_SESSION), True),
        (online(0, 40, FIRST_SESSION + timedelta(minutes=1)), False),  # answered at home after the first needles
        (paper(0, 40, FIRST_SESSION.date()), True),  # handed over at check-in that day
        (paper(0, 40, FIRST_SESSION.date() - timedelta(days=2)), True),
        (paper(0, 40, FIRST_SESSION.date() + timedelta(days=1)), False),
        (online(1, 40, FIRST_SESSION + timedelta(days=7)), False),  # week 1 standing in: after treatment began
    ],
)
def test_whether_the_baseline_came_before_the_first_session(baseline, before):
    scores = plan_scores(session_days=[FIRST_SESSION.date()], scored=[baseline], first_session_at=FIRST_SESSION)
    assert scores["baseline_before_treatment"] is before


def test_a_baseline_with_no_session_yet_is_before_treatment():
    scores = plan_scores(session_days=[], scored=[online(0, 40, FIRST_SESSION)], first_session_at=None)
    assert scores["baseline_before_treatment"] is True


def test_no_baseline_says_nothing_of_when():
    assert plan_scores(session_days=[], scored=[])["baseline_before_treatment"] is None
