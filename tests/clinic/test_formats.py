"""clinic.formats gives exactly the text Django's filters and {% url %} give, at a fraction of the cost."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.template import Context, Template
from django.urls import reverse

from clinic.formats import month_day, month_day_year, month_day_year_time, url_maker

# Every month; the first and last day; a moment whose UTC day differs from the clinic's (Chicago) day; both
# sides of the spring and autumn clock changes.
MOMENTS = [
    *(datetime(2026, month, day, 15, 5, tzinfo=UTC) for month in range(1, 13) for day in (1, 28)),
    datetime(2026, 12, 1, 3, 30, tzinfo=UTC),  # Nov 30, 21:30 in Chicago
    datetime(2026, 3, 8, 7, 59, tzinfo=UTC),
    datetime(2026, 3, 8, 8, 1, tzinfo=UTC),
    datetime(2026, 11, 1, 6, 59, tzinfo=UTC),
    datetime(2026, 11, 1, 7, 1, tzinfo=UTC),
]


def date_filter(value, format_string: str) -> str:
    """What a template prints for `{{ value|date:format_string }}` (aware datetimes on the clinic's clock)."""
    return Template(f'{{{{ value|date:"{format_string}" }}}}').render(Context({"value": value}))


@pytest.mark.parametrize("moment", MOMENTS)
def test_dates_read_as_the_date_filter_writes_them(moment):
    assert month_day_year(moment) == date_filter(moment, "M j, Y")
    assert month_day_year_time(moment) == date_filter(moment, "M j, Y H:i")
    day = moment.date() + timedelta(days=3)
    assert month_day_year(day) == date_filter(day, "M j, Y") and month_day(day) == date_filter(day, "M j")


def test_a_url_made_once_per_page_is_the_one_reverse_gives(db):
    session = url_maker("treatments:session-detail")
    assert [session(pk) for pk in (1, 42, 918273645)] == [
        reverse("treatments:session-detail", args=[pk]) for pk in (1, 42, 918273645)
    ]
    link = url_maker("outcomes:questionnaire-link-create", 7)
    due = date(2026, 12, 1).isoformat()
    assert link(due) == reverse("outcomes:questionnaire-link-create", args=[7, due])
