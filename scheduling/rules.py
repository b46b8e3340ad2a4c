"""The schedule's decisions, as pure functions with no database (docs/clinical-rules.md, "The schedule").

Times here are aware datetimes; a series is expanded in the clinic's local time, so a 10:00 visit stays at
10:00 across a daylight-saving change. Each function has its own unit tests (tests/scheduling/test_rules.py).
"""

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr

# The schedule's grid: appointments start on a quarter hour and last whole quarters, and each quarter an
# appointment covers is one row that the database keeps unique per practitioner and per bed.
SLOT_MINUTES = 15
# A course booked as a series stays inside what a plan can hold and what anyone can foresee.
MAX_SERIES_VISITS = 60
MAX_SERIES_DAYS = 366
WEEKDAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
WEEKDAY_NAMES = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


# The days a schedule page can be asked for: anything else in the address is read as "today".
EARLIEST_DAY, LATEST_DAY = date(1900, 1, 1), date(2999, 12, 31)


def day_from(text: str, default: date) -> date:
    """A day from a page's address (YYYY-MM-DD), or `default` when it is missing, malformed or absurd."""
    try:
        day = date.fromisoformat(text)
    except (TypeError, ValueError):
        return default
    return day if EARLIEST_DAY <= day <= LATEST_DAY else default


def slot_starts(start: datetime, minutes: int) -> list[datetime]:
    """The quarter hours an appointment covers, from its start."""
    return [start + timedelta(minutes=offset) for offset in range(0, minutes, SLOT_MINUTES)]


def on_grid(local_start: datetime, minutes: int) -> bool:
    return local_start.minute % SLOT_MINUTES == 0 and local_start.second == 0 and minutes % SLOT_MINUTES == 0


def within_hours(local_start: datetime, minutes: int, hours: dict[int, list[tuple[time, time]]]) -> bool:
    """Whether the visit lies inside one of that weekday's opening periods (`hours`: weekday 0=Monday)."""
    end = local_start + timedelta(minutes=minutes)
    if end.date() != local_start.date():
        return False
    begins, ends = local_start.time(), end.time()
    return any(opens <= begins and ends <= closes for opens, closes in hours.get(local_start.weekday(), []))


def hours_text(hours: dict[int, list[tuple[time, time]]], weekday: int) -> str:
    periods = hours.get(weekday, [])
    if not periods:
        return f"The clinic is closed on {WEEKDAY_NAMES[weekday]}s."
    spans = " and ".join(f"{opens:%H:%M}–{closes:%H:%M}" for opens, closes in periods)
    return f"On {WEEKDAY_NAMES[weekday]}s the clinic is open {spans}."


def free_place(taken: set[int], capacity: int) -> int | None:
    """The lowest place (a practitioner's lane, a bed) from 1 to `capacity` that is not taken."""
    return next((place for place in range(1, capacity + 1) if place not in taken), None)


# --- series -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Phase:
    """One part of a course: visits on these weekdays (0=Monday) for so many weeks."""

    weekdays: tuple[int, ...]
    weeks: int

    @property
    def visits(self) -> int:
        return len(self.weekdays) * self.weeks

    def rule(self) -> str:
        """The phase as an RRULE (RFC 5545): weekly on its days, counted in visits."""
        days = ",".join(WEEKDAYS[day] for day in sorted(self.weekdays))
        return f"FREQ=WEEKLY;BYDAY={days};COUNT={self.visits}"


def expand(rule: str, first: datetime, *, exdates: frozenset[date] = frozenset()) -> list[datetime]:
    """The occurrences of `rule` from `first` (aware), in the time zone of `first`, skipping the dates
    in `exdates`. Each occurrence keeps the wall-clock time of `first`, whatever the UTC offset that day."""
    tz = first.tzinfo
    local = first.replace(tzinfo=None)
    naive = rrulestr(f"DTSTART:{local:%Y%m%dT%H%M%S}\nRRULE:{rule}", forceset=False)
    return [moment.replace(tzinfo=tz) for moment in naive if moment.date() not in exdates]


def first_on_or_after(day: date, weekdays: tuple[int, ...]) -> date:
    return next(day + timedelta(days=n) for n in range(7) if (day + timedelta(days=n)).weekday() in weekdays)


def course_dates(phases: list[Phase], start: date, at: time, tz: ZoneInfo) -> list[tuple[Phase, datetime, list]]:
    """Each phase with its first visit (aware, the series' DTSTART) and its visits; a phase starts the day
    after the previous phase's last visit, so "twice weekly for 3 weeks, then weekly for 4" runs on."""
    out, day = [], start
    for phase in phases:
        first = datetime.combine(first_on_or_after(day, phase.weekdays), at, tzinfo=tz)
        visits = expand(phase.rule(), first)
        out.append((phase, first, visits))
        day = visits[-1].date() + timedelta(days=1)
    return out


def runs_past_a_year(first: date, last: date) -> bool:
    """A course booked at once runs for a year at most, first visit to last."""
    return (last - first).days >= MAX_SERIES_DAYS


def until(rule: str, last_day: date) -> str:
    """The rule ended after `last_day` (its COUNT or UNTIL replaced): "this and following" cut off."""
    parts = [p for p in rule.split(";") if not p.startswith(("COUNT=", "UNTIL="))]
    return ";".join([*parts, f"UNTIL={last_day:%Y%m%d}T235959"])


def shift_weekdays(rule: str, days: int, count: int) -> str:
    """The rule moved by `days` (its BYDAY days shifted with it) and run for `count` visits."""

    def shifted(match: re.Match) -> str:
        codes = match.group(1).split(",")
        return "BYDAY=" + ",".join(
            sorted((WEEKDAYS[(WEEKDAYS.index(c) + days) % 7] for c in codes), key=WEEKDAYS.index)
        )

    parts = [p for p in rule.split(";") if not p.startswith(("COUNT=", "UNTIL="))]
    moved = re.sub(r"BYDAY=([A-Z,]+)", shifted, ";".join(parts))
    return f"{moved};COUNT={count}"


def describe_rule(rule: str) -> str:
    """'Weekly on Monday and Thursday, 6 visits' for a page."""
    fields = dict(part.split("=", 1) for part in rule.split(";"))
    days = [WEEKDAY_NAMES[WEEKDAYS.index(code)] for code in fields.get("BYDAY", "").split(",") if code]
    text = "Weekly on " + (" and ".join([", ".join(days[:-1]), days[-1]]) if len(days) > 1 else "".join(days))
    if "COUNT" in fields:
        return f"{text}, {fields['COUNT']} visits"
    if "UNTIL" in fields:
        end = datetime.strptime(fields["UNTIL"][:8], "%Y%m%d").date()
        return f"{text}, until {end:%b} {end.day}, {end.year}"
    return text


# --- a plan's frequency, read ---------------------------------------------------------------------

_TIMES = {"once": 1, "one": 1, "twice": 2, "two": 2, "three": 3, "thrice": 3, "four": 4}
_WEEKS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "eight": 8, "ten": 10, "twelve": 12}
# The days a clinic usually gives: twice weekly Monday and Thursday, three times Monday, Wednesday, Friday.
USUAL_DAYS = {1: (0,), 2: (0, 3), 3: (0, 2, 4), 4: (0, 1, 3, 4)}


def _count(word: str, table: dict[str, int]) -> int | None:
    return int(word) if word.isdigit() else table.get(word)


def suggest_phases(frequency: str, planned_sessions: int) -> list[Phase]:
    """A starting point for "book the course", read from the plan's free-text frequency.

    Reads parts like "twice weekly for 3 weeks", "2x/week for 4 weeks", "weekly", separated by "then"; a
    last part without a length runs to the plan's number of sessions. The front desk checks and edits it;
    anything unreadable starts as twice weekly to the planned number.
    """
    phases: list[Phase] = []
    left = planned_sessions
    for part in re.split(r"\bthen\b|;|,", frequency.lower()):
        per_week = None
        if match := re.search(
            r"\b(\d+|once|one|twice|two|three|thrice|four)\s*(?:x|times)?\s*(?:a|per|/)?\s*week", part
        ):
            per_week = _count(match.group(1), _TIMES)
        elif re.search(r"\bweekly\b", part):
            per_week = 1
            if match := re.search(r"\b(once|twice|thrice|\d+\s*x|two times|three times)\b", part):
                per_week = _count(match.group(1).replace("x", "").replace(" times", "").strip(), _TIMES) or 1
        if not per_week or per_week not in USUAL_DAYS or left <= 0:
            continue
        weeks_match = re.search(r"for\s+(\d+|one|two|three|four|five|six|eight|ten|twelve)\s+weeks?", part)
        weeks = _count(weeks_match.group(1), _WEEKS) if weeks_match else None
        if weeks is None:
            weeks = -(-left // per_week)  # to the planned number, rounded up to whole weeks
        weeks = max(1, min(weeks, -(-left // per_week)))
        phases.append(Phase(USUAL_DAYS[per_week], weeks))
        left -= per_week * weeks
    return phases or [Phase(USUAL_DAYS[2], max(1, -(-planned_sessions // 2)))]


def adherence(attended: int, due: int) -> float | None:
    """Attended ÷ visits due to date (None before the first one falls due)."""
    return attended / due if due else None
