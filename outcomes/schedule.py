"""When questionnaires fall due (docs/clinical-rules.md, "When questionnaires fall due"): pure functions over dates."""

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


def due_dates(
    *, baseline: date, today: date, ended_on: date | None = None, first_session: date | None = None
) -> list[Due]:
    """Every questionnaire due up to `today` for a course of care whose week 0 is `baseline`.

    The baseline is due on week 0, the day the plan starts, before the first needle. The rest measure
    treatment, so they follow once there is some: a weekly one every 7 days from the first session's
    week while the plan is active (`ended_on` is None) or until the day it ended; the 12-week follow-up
    once treated. With no session yet (`first_session` None), only the baseline is due.
    """
    if today < baseline:
        return []
    dues = [Due(baseline, 0, "baseline")]
    if first_session is None:
        return dues
    last_week = (today - baseline).days // 7
    for week in range(1, last_week + 1):
        day = baseline + timedelta(weeks=week)
        if day + timedelta(days=6) < first_session:
            continue  # a week that ended before treatment began: nothing to measure yet
        if week == FOLLOW_UP_WEEK:
            dues.append(Due(day, week, "follow_up"))
        elif ended_on is None or day <= ended_on:
            dues.append(Due(day, week, "weekly"))
    return dues
