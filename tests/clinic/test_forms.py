"""The shared check of a past date every form uses (clinic.forms.past_record_date) and the oldest date of birth."""

from datetime import date, timedelta

import pytest
from django import forms
from django.utils import timezone

from clinic.forms import oldest_birth_date, past_record_date

BIRTH = date(1980, 3, 4)


def _check(day: date) -> date:
    return past_record_date(day, what="the onset date cannot be", not_before=BIRTH, before_what="the date of birth")


@pytest.mark.parametrize("days_ago", [0, 1])
def test_today_and_yesterday_are_accepted(days_ago):
    day = timezone.localdate() - timedelta(days=days_ago)
    assert _check(day) == day


def test_the_day_of_the_not_before_date_is_accepted():
    assert _check(BIRTH) == BIRTH


@pytest.mark.parametrize(
    ("day", "message"),
    [
        (date(202, 10, 1), "Check the year: the onset date cannot be before 1900."),
        (date(1899, 12, 31), "Check the year: the onset date cannot be before 1900."),
        (date(1, 1, 1), "Check the year: the onset date cannot be before 1900."),
        (BIRTH - timedelta(days=1), "Check the date: the onset date cannot be before the date of birth (Mar 4, 1980)."),
    ],
)
def test_implausible_past_dates_are_refused_with_a_reason(day, message):
    with pytest.raises(forms.ValidationError) as refused:
        _check(day)
    assert refused.value.messages == [message]


def test_tomorrow_is_in_the_future():
    with pytest.raises(forms.ValidationError) as refused:
        _check(timezone.localdate() + timedelta(days=1))
    assert refused.value.messages == ["The onset date cannot be in the future."]


def test_without_a_not_before_date_only_the_year_and_the_future_are_checked():
    assert past_record_date(date(1900, 1, 1), what="x cannot be") == date(1900, 1, 1)


@pytest.mark.parametrize(
    ("today", "oldest"),
    [
        (date(2026, 12, 2), date(1906, 12, 2)),
        (date(2028, 2, 29), date(1908, 2, 29)),
        (date(2024, 2, 29), date(1904, 2, 29)),
    ],
)
def test_the_oldest_date_of_birth_is_120_years_back(today, oldest):
    assert oldest_birth_date(today) == oldest


def test_a_leap_day_with_no_match_120_years_back_falls_back_to_feb_28():
    # 1900 was not a leap year.
    assert oldest_birth_date(date(2020, 2, 29)) == date(1900, 2, 28)
