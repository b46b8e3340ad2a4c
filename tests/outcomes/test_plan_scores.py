"""A course of care's derived scores (outcomes.scoring.plan_scores), rule by rule.

These columns feed the clinic report: which questionnaire is the baseline, which is week 8, and
which score counts for session 4, 8 and 12. Each case is one a clinician would ask about.
"""

from datetime import date, timedelta

from outcomes.scoring import ScoredWeek, plan_scores

START = date(2026, 3, 2)


def week(n: int, odi: int, *, days_late: int = 0, analgesic=None, work=None) -> ScoredWeek:
    return ScoredWeek(n, START + timedelta(weeks=n, days=days_late), odi, analgesic, work)


def visits(*offsets: int) -> list[date]:
    return [START + timedelta(days=d) for d in offsets]


def test_no_questionnaires_no_scores():
    scores = plan_scores(session_days=visits(0, 3, 7, 10), scored=[])
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
