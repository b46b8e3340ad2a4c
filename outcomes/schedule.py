"""When questionnaires fall due (DESIGN section 1, step 5): pure functions over dates."""

from dataclasses import dataclass
from datetime import date, timedelta

FOLLOW_UP_WEEK = 12
PHQ9_WEEKS = frozenset({4, 12})


@dataclass(frozen=True)
class Due:
    due_date: date
    week: int
    kind: str  # "baseline", "weekly" or "follow_up" (outcomes.models.Kind)

    @property
    def includes_phq9(self) -> bool:
        return self.week in PHQ9_WEEKS


def due_dates(*, baseline: date, today: date, ended_on: date | None = None) -> list[Due]:
    """Every questionnaire due up to `today` for a course of care whose baseline is `baseline`.

    The baseline is due on the day of the first session; a weekly one every 7 days while the plan
    is active (`ended_on` is None) or until the day it ended; the 12-week follow-up always.
    """
    if today < baseline:
        return []
    dues = [Due(baseline, 0, "baseline")]
    last_week = (today - baseline).days // 7
    for week in range(1, last_week + 1):
        day = baseline + timedelta(weeks=week)
        if week == FOLLOW_UP_WEEK:
            dues.append(Due(day, week, "follow_up"))
        elif ended_on is None or day <= ended_on:
            dues.append(Due(day, week, "weekly"))
    return dues
