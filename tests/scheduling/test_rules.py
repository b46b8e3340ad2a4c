"""The schedule's pure rules against calendars worked out by hand (tests for scheduling/rules.py)."""

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from scheduling import rules
from scheduling.rules import Phase

CHICAGO = ZoneInfo("America/Chicago")
WEEKDAY_HOURS = {day: [(time(8), time(19))] for day in range(5)} | {5: [(time(9), time(13))]}


def local(*args) -> datetime:
    return datetime(*args, tzinfo=CHICAGO)


def test_twice_weekly_for_three_weeks_then_weekly_for_four_by_hand():
    # Mon 1 Mar 2027: Mon/Thu x3 weeks = 1, 4, 8, 11, 15, 18 Mar; then Mondays from the 19th: 22, 29 Mar, 5, 12 Apr.
    (first, first_start, first_visits), (second, second_start, second_visits) = rules.course_dates(
        [Phase((0, 3), 3), Phase((0,), 4)], date(2027, 3, 1), time(10), CHICAGO
    )
    assert [v.day for v in first_visits] == [1, 4, 8, 11, 15, 18]
    assert first.rule() == "FREQ=WEEKLY;BYDAY=MO,TH;COUNT=6"
    assert second_start == local(2027, 3, 22, 10)
    assert [(v.month, v.day) for v in second_visits] == [(3, 22), (3, 29), (4, 5), (4, 12)]


def test_a_series_keeps_its_wall_clock_time_across_the_spring_daylight_saving_change():
    # US clocks go forward on Sun 14 Mar 2027: Thursdays 4 and 11 Mar at 10:00 CST are 16:00 UTC, Thursday
    # 18 Mar at 10:00 CDT is 15:00 UTC.
    visits = rules.expand("FREQ=WEEKLY;BYDAY=TH;COUNT=3", local(2027, 3, 4, 10))
    assert [(v.day, v.hour) for v in visits] == [(4, 10), (11, 10), (18, 10)]
    assert [v.astimezone(ZoneInfo("UTC")).hour for v in visits] == [16, 16, 15]


def test_and_across_the_autumn_change():
    # Clocks go back on Sun 7 Nov 2027: Monday 1 Nov 09:00 CDT is 14:00 UTC, Monday 8 Nov 09:00 CST 15:00 UTC.
    visits = rules.expand("FREQ=WEEKLY;BYDAY=MO;COUNT=2", local(2027, 11, 1, 9))
    assert [v.astimezone(ZoneInfo("UTC")).hour for v in visits] == [14, 15]


def test_month_ends_and_a_leap_day():
    # Mon/Thu from Thu 26 Feb 2032 (a leap year): 26 Feb, Mon 1 Mar, Thu 4 Mar; 29 Feb 2032 is a Sunday.
    visits = rules.expand("FREQ=WEEKLY;BYDAY=MO,TH;COUNT=3", local(2032, 2, 26, 10))
    assert [(v.month, v.day) for v in visits] == [(2, 26), (3, 1), (3, 4)]
    # A phase that starts on a day not its own begins on its next day: Fri 30 Apr 2027 -> Mon 3 May.
    ((_, first, visits),) = rules.course_dates([Phase((0,), 2)], date(2027, 4, 30), time(9), CHICAGO)
    assert first == local(2027, 5, 3, 9) and [v.day for v in visits] == [3, 10]
    # The year's end: weekly Thursdays from 23 Dec 2027 run into 2028.
    visits = rules.expand("FREQ=WEEKLY;BYDAY=TH;COUNT=3", local(2027, 12, 23, 10))
    assert [(v.year, v.month, v.day) for v in visits] == [(2027, 12, 23), (2027, 12, 30), (2028, 1, 6)]


def test_exdates_take_a_visit_out():
    visits = rules.expand(
        "FREQ=WEEKLY;BYDAY=MO,TH;COUNT=4", local(2027, 3, 1, 10), exdates=frozenset({date(2027, 3, 4)})
    )
    assert [v.day for v in visits] == [1, 8, 11]


def test_this_and_following_cut_and_shift():
    assert (
        rules.until("FREQ=WEEKLY;BYDAY=MO,TH;COUNT=6", date(2027, 3, 10))
        == "FREQ=WEEKLY;BYDAY=MO,TH;UNTIL=20270310T235959"
    )
    assert (
        rules.expand(rules.until("FREQ=WEEKLY;BYDAY=MO,TH;COUNT=6", date(2027, 3, 10)), local(2027, 3, 1, 10))[-1].day
        == 8
    )
    # Moved a day later: Monday/Thursday becomes Tuesday/Friday; Sunday wraps to Monday.
    assert rules.shift_weekdays("FREQ=WEEKLY;BYDAY=MO,TH;COUNT=6", 1, 3) == "FREQ=WEEKLY;BYDAY=TU,FR;COUNT=3"
    assert rules.shift_weekdays("FREQ=WEEKLY;BYDAY=SU;UNTIL=20270310T235959", 1, 2) == "FREQ=WEEKLY;BYDAY=MO;COUNT=2"


def test_rules_read_as_words():
    assert rules.describe_rule("FREQ=WEEKLY;BYDAY=MO,TH;COUNT=6") == "Weekly on Monday and Thursday, 6 visits"
    assert (
        rules.describe_rule("FREQ=WEEKLY;BYDAY=MO,WE,FR;COUNT=9") == "Weekly on Monday, Wednesday and Friday, 9 visits"
    )
    assert rules.describe_rule("FREQ=WEEKLY;BYDAY=TU;UNTIL=20270310T235959") == "Weekly on Tuesday, until Mar 10, 2027"


@pytest.mark.parametrize(
    ("start", "minutes", "inside"),
    [
        (local(2027, 3, 1, 8), 60, True),  # opening time
        (local(2027, 3, 1, 18), 60, True),  # ends at closing time
        (local(2027, 3, 1, 18, 15), 60, False),  # runs past closing
        (local(2027, 3, 1, 7, 45), 30, False),  # starts before opening
        (local(2027, 3, 6, 12), 60, True),  # Saturday morning
        (local(2027, 3, 6, 12, 30), 60, False),  # past Saturday's 13:00
        (local(2027, 3, 7, 10), 30, False),  # closed on Sunday
        (local(2027, 3, 1, 23, 30), 60, False),  # past midnight
    ],
)
def test_opening_hours(start, minutes, inside):
    assert rules.within_hours(start, minutes, WEEKDAY_HOURS) is inside


def test_opening_hours_say_when_the_clinic_is_open():
    assert rules.hours_text(WEEKDAY_HOURS, 6) == "The clinic is closed on Sundays."
    assert rules.hours_text(WEEKDAY_HOURS, 5) == "On Saturdays the clinic is open 09:00–13:00."


def test_the_grid_and_the_slots():
    assert rules.on_grid(local(2027, 3, 1, 10, 45), 60)
    assert not rules.on_grid(local(2027, 3, 1, 10, 40), 60)
    assert not rules.on_grid(local(2027, 3, 1, 10), 50)
    assert rules.slot_starts(local(2027, 3, 1, 10), 45) == [
        local(2027, 3, 1, 10),
        local(2027, 3, 1, 10, 15),
        local(2027, 3, 1, 10, 30),
    ]
    assert rules.free_place({1, 2}, 4) == 3
    assert rules.free_place({1, 3}, 4) == 2
    assert rules.free_place({1, 2}, 2) is None


@pytest.mark.parametrize(
    ("frequency", "planned", "expected"),
    [
        ("Twice weekly for 3 weeks, then weekly", 10, [Phase((0, 3), 3), Phase((0,), 4)]),
        ("2x/week for 4 weeks", 8, [Phase((0, 3), 4)]),
        ("Three times a week for 2 weeks, then twice weekly for 2 weeks", 12, [Phase((0, 2, 4), 2), Phase((0, 3), 2)]),
        ("weekly", 6, [Phase((0,), 6)]),
        ("Twice weekly", 5, [Phase((0, 3), 3)]),  # rounded up to whole weeks
        ("commit to 4 sessions", 4, [Phase((0, 3), 2)]),  # unreadable: twice weekly to the planned number
        ("Twice weekly for 10 weeks", 4, [Phase((0, 3), 2)]),  # never past the planned number
    ],
)
def test_a_plans_frequency_read_as_a_course(frequency, planned, expected):
    assert rules.suggest_phases(frequency, planned) == expected


def test_adherence():
    assert rules.adherence(3, 4) == 0.75
    assert rules.adherence(0, 0) is None
