from datetime import date, timedelta

from outcomes.schedule import Due, due_dates

START = date(2026, 9, 7)


def test_nothing_is_due_before_the_baseline():
    assert due_dates(baseline=START, first_session=START, today=START - timedelta(days=1)) == []


def test_baseline_is_due_on_the_day_the_plan_starts():
    assert due_dates(baseline=START, first_session=START, today=START) == [Due(START, 0, "baseline")]


def test_weekly_while_the_plan_is_active():
    dues = due_dates(baseline=START, first_session=START, today=START + timedelta(days=20))
    assert [(d.due_date, d.week, d.kind) for d in dues] == [
        (START, 0, "baseline"),
        (date(2026, 9, 14), 1, "weekly"),
        (date(2026, 9, 21), 2, "weekly"),
    ]


def test_phq9_is_asked_at_weeks_4_and_12_only():
    dues = due_dates(baseline=START, first_session=START, today=START + timedelta(weeks=13))
    assert [d.week for d in dues if d.includes_phq9] == [4, 12]


def test_weekly_stops_when_the_plan_ends_but_the_12_week_follow_up_stays():
    ended = START + timedelta(weeks=5, days=2)
    dues = due_dates(baseline=START, first_session=START, today=START + timedelta(weeks=20), ended_on=ended)
    assert [(d.week, d.kind) for d in dues] == [
        (0, "baseline"),
        (1, "weekly"),
        (2, "weekly"),
        (3, "weekly"),
        (4, "weekly"),
        (5, "weekly"),
        (12, "follow_up"),
    ]


def test_a_long_active_plan_keeps_weekly_and_marks_week_12_as_the_follow_up():
    dues = due_dates(baseline=START, first_session=START, today=START + timedelta(weeks=14))
    assert [d.week for d in dues] == list(range(15))
    assert [d.kind for d in dues if d.week == 12] == ["follow_up"]
    assert len({d.due_date for d in dues}) == len(dues)


def test_follow_up_is_not_due_before_week_12():
    dues = due_dates(baseline=START, first_session=START, today=START + timedelta(weeks=12, days=-1), ended_on=START)
    assert [d.kind for d in dues] == ["baseline"]


def test_with_no_session_only_the_baseline_is_due():
    dues = due_dates(baseline=START, today=START + timedelta(weeks=14), first_session=None)
    assert [(d.week, d.kind) for d in dues] == [(0, "baseline")]


def test_weeks_that_ended_before_the_first_session_are_skipped():
    # The plan started on the 7th; the first needles came 16 days later, in week 2.
    dues = due_dates(baseline=START, today=START + timedelta(weeks=4), first_session=START + timedelta(days=16))
    assert [d.week for d in dues] == [0, 2, 3, 4]
