"""Time to first relief, as a pure function (docs/clinical-rules.md: time to first relief).

The reference is the pain before the plan's first session. Relief is the first later observation of the
patient's pain at least 2 points and at least 30 % below it (IMMPACT's moderately important change on a
0-10 scale: both, not either, unlike `scoring.pain_meaningful`). The observations are each later
session's pain before and pain after, and each submitted questionnaire's worse of back and leg pain now,
on the day it was filled in. The first session's own pain after does not count: a change in the chair is
not yet relief that lasts.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from fractions import Fraction

from outcomes.scoring import MEANINGFUL_FRACTION, PAIN_MEANINGFUL_POINTS

# A reference below this cannot fall by 2 points.
RELIEF_MIN_REFERENCE = PAIN_MEANINGFUL_POINTS


@dataclass(frozen=True)
class SessionPain:
    """A session as the rule reads it; `started_at` in the clinic's time zone (its date is the local day)."""

    started_at: datetime
    pain_before: int
    pain_after: int | None = None
    tuina_minutes: int = 0


@dataclass(frozen=True)
class AnsweredPain:
    """A submitted questionnaire's pain now, on the day it was filled in (else the day it fell due)."""

    day: date
    back_pain_now: int | None
    leg_pain_now: int | None

    @property
    def pain(self) -> int | None:
        """The worse of back and leg pain (in sciatica, either may be the one that matters)."""
        return max((p for p in (self.back_pain_now, self.leg_pain_now) if p is not None), default=None)


@dataclass(frozen=True)
class FirstRelief:
    # Whole days from the first session's day to the day of first relief; None: no relief yet (or none possible).
    days: int | None
    # Tui Na at the first session: the course's arm, fixed when it starts (a grouping by Tui Na "before
    # relief" would put the slow courses, which have more sessions to receive it in, on one side). None
    # when the course cannot show relief at all (no session, or a reference below 2).
    tuina: bool | None


NO_COURSE = FirstRelief(None, None)


def is_relief(reference: int, pain: int) -> bool:
    """At least 2 points and at least 30 % below the reference."""
    drop = reference - pain
    return drop >= PAIN_MEANINGFUL_POINTS and Fraction(drop, reference) >= MEANINGFUL_FRACTION


def first_relief(*, sessions: Iterable[SessionPain], answers: Iterable[AnsweredPain] = ()) -> FirstRelief:
    """The days to first relief, and whether the course began with Tui Na, from a plan's sessions and answers.

    Order of observations: by day; within a day, the sessions by start (pain before, then after), then
    the questionnaires, whose day has no time (so a session that day counts as before the answer). A
    questionnaire of the first session's day does not count (it may be the baseline, answered before
    the needles): days can be 0 only through a later session that day. The result does not depend on
    the order of the inputs.
    """
    # Sessions at the same minute (a correction logged twice) are ordered by their values.
    ordered = sorted(sessions, key=lambda s: (s.started_at, s.pain_before, s.pain_after or 0, s.tuina_minutes))
    if not ordered or ordered[0].pain_before < RELIEF_MIN_REFERENCE:
        return NO_COURSE
    reference, first_day = ordered[0].pain_before, ordered[0].started_at.date()
    # (day, 0, start, 0 before | 1 after) for sessions, (day, 1) for answers; then the pain.
    observations: list[tuple[tuple[date, int] | tuple[date, int, datetime, int], int]] = []
    for session in ordered[1:]:
        day = session.started_at.date()
        observations.append(((day, 0, session.started_at, 0), session.pain_before))
        if session.pain_after is not None:
            observations.append(((day, 0, session.started_at, 1), session.pain_after))
    for answer in answers:
        if answer.day > first_day and answer.pain is not None:
            observations.append(((answer.day, 1), answer.pain))
    relieved = min((o for o in observations if is_relief(reference, o[1])), key=lambda o: o[0], default=None)
    tuina = ordered[0].tuina_minutes > 0
    if relieved is None:
        return FirstRelief(None, tuina)
    (day, *_), _pain = relieved
    return FirstRelief((day - first_day).days, tuina)
