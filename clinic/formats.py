"""Display text for the rows of long lists, made in Python once per row (docs/architecture.md, "Scale").

Django's `|date` and `{% url %}` cost 10-20 µs each, and a template variable a few more: on a chart's 30
sessions they were a third of the page. These give the same text: `month_day_year` is `|date:"M j, Y"` (English
month abbreviations, as the app's only language), `url_maker` reverses a URL name once per page and fills in
each row's primary key.
"""

from collections.abc import Callable
from datetime import date, datetime

from django.urls import reverse
from django.utils import timezone

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MARKER = 918273645  # a primary key no row has, to cut the reversed URL around


def month_day_year(value: date | datetime) -> str:
    """As `{{ value|date:"M j, Y" }}`: "Dec 1, 2026", an aware datetime on the clinic's clock."""
    if isinstance(value, datetime):
        value = timezone.localtime(value)
    return f"{month_day(value)}, {value.year}"


def month_day(value: date) -> str:
    """As `{{ value|date:"M j" }}`: "Dec 1"."""
    return f"{MONTHS[value.month - 1]} {value.day}"


def month_day_year_time(value: datetime) -> str:
    """As `{{ value|date:"M j, Y H:i" }}`: "Dec 1, 2026 14:05"."""
    local = timezone.localtime(value)
    return f"{month_day(local)}, {local.year} {local:%H:%M}"


def on_clock(value: datetime, zone) -> str:
    """An instant on a named clock, to the second: "Dec 1, 2026 14:05:03 CST" (the zone's abbreviation, which
    also tells summer time from winter time)."""
    local = timezone.localtime(value, zone)
    return f"{month_day(local)}, {local.year} {local:%H:%M:%S} {local.tzname()}"


def url_maker(name: str, *fixed) -> Callable[[object], str]:
    """`reverse(name, args=[*fixed, value])` for every row at the price of one reverse: the row's value is its
    primary key, or a string the URL takes as it is (an ISO date)."""
    head, tail = reverse(name, args=[*fixed, _MARKER]).split(str(_MARKER))
    return lambda value: f"{head}{value}{tail}"
