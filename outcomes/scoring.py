"""Outcome scoring as pure functions (docs/clinical-rules.md: ODI, pain, meaningful change, responders)."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from fractions import Fraction

ODI_SECTIONS = 10
ODI_MEANINGFUL_POINTS = 10
PAIN_MEANINGFUL_POINTS = 2
# A 30 % drop from the baseline is meaningful for both ODI and pain.
MEANINGFUL_FRACTION = Fraction(3, 10)


def round_half_up(value: Fraction) -> int:
    """Whole number, halves away from zero for positives (2.5 → 3), unlike Python's round()."""
    return int((Decimal(value.numerator) / Decimal(value.denominator)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def odi_score(answers: Sequence[int | None]) -> int | None:
    """The ODI percentage from ten section scores (0-5, None when unanswered), or None if 2+ are missing.

    Score = sum of answered / (5 x number answered) x 100, rounded to a whole number.
    """
    if len(answers) != ODI_SECTIONS:
        raise ValueError(f"The ODI has {ODI_SECTIONS} sections; got {len(answers)} answers.")
    for value in answers:
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 5):
            raise ValueError(f"An ODI section is scored 0-5; got {value!r}.")
    answered = [value for value in answers if value is not None]
    if ODI_SECTIONS - len(answered) >= 2:
        return None
    return round_half_up(Fraction(sum(answered) * 100, 5 * len(answered)))


class OdiBand(StrEnum):
    MINIMAL = "minimal"
    MODERATE = "moderate"
    SEVERE = "severe"
    CRIPPLING = "crippling"
    BED_BOUND = "bed_bound"

    @property
    def label(self) -> str:
        return ODI_BAND_LABELS[self]


ODI_BAND_LABELS = {
    OdiBand.MINIMAL: "Minimal disability",
    OdiBand.MODERATE: "Moderate disability",
    OdiBand.SEVERE: "Severe disability",
    OdiBand.CRIPPLING: "Crippling back pain",
    OdiBand.BED_BOUND: "Bed-bound or exaggerating",
}
_BAND_TOPS = ((20, OdiBand.MINIMAL), (40, OdiBand.MODERATE), (60, OdiBand.SEVERE), (80, OdiBand.CRIPPLING))


def odi_band(score: int) -> OdiBand:
    if not 0 <= score <= 100:
        raise ValueError(f"An ODI score is 0-100; got {score}.")
    return next((band for top, band in _BAND_TOPS if score <= top), OdiBand.BED_BOUND)


@dataclass(frozen=True)
class Change:
    points: int  # current - baseline: an improvement is negative
    percent: Decimal | None  # of the baseline, one decimal; None when the baseline is 0


def change(baseline: int, current: int) -> Change:
    if baseline == 0:
        return Change(current - baseline, None)
    percent = (Decimal(current - baseline) * 100 / Decimal(baseline)).quantize(Decimal("0.1"), ROUND_HALF_UP)
    return Change(current - baseline, percent)


def _meaningful_drop(baseline: int, current: int, points: int) -> bool:
    drop = baseline - current
    return drop > 0 and (drop >= points or Fraction(drop, baseline) >= MEANINGFUL_FRACTION)


def odi_meaningful(baseline: int, current: int) -> bool:
    """A drop of at least 10 points, or of 30 % of the baseline."""
    return _meaningful_drop(baseline, current, ODI_MEANINGFUL_POINTS)


def pain_meaningful(baseline: int, current: int) -> bool:
    """A drop of at least 2 points, or of 30 % of the baseline."""
    return _meaningful_drop(baseline, current, PAIN_MEANINGFUL_POINTS)


def is_responder(baseline_odi: int, current_odi: int) -> bool:
    """Meets the ODI criterion against the baseline (the questionnaire due the day the plan starts)."""
    return odi_meaningful(baseline_odi, current_odi)


# The Patient Global Impression of Change (docs/clinical-rules.md): asked from week 1 on, since at the baseline
# there is no treatment yet to compare with; 1 "very much improved" ... 7 "very much worse".
PGIC_FROM_WEEK = 1
# "Much improved" or "very much improved": a moderately important improvement or better (IMMPACT).
PGIC_MUCH_IMPROVED = (1, 2)


def pgic_asked(week: int) -> bool:
    """Whether the questionnaire of this week asks the PGIC (never the baseline, week 0)."""
    return week >= PGIC_FROM_WEEK


def pgic_much_improved(answer: int | None) -> bool:
    """A PGIC answer of "much" or "very much improved"."""
    return answer in PGIC_MUCH_IMPROVED


# Guidelines advise reassessment and referral when there is no improvement by 4-6 weeks (docs/clinical-rules.md).
NO_IMPROVEMENT_WEEK = 6


# --- a course of care's scores, as the outcomes report reads them ----------------------------

RESPONDER_SESSIONS = (4, 8, 12)


@dataclass(frozen=True)
class ScoredWeek:
    """A submitted questionnaire of a plan that has an ODI score."""

    week: int
    due_date: date
    odi_score: int
    analgesic_days: int | None = None
    work_days_off: int | None = None
    # When the patient answered: the moment it was sent online, or the day a paper form was filled in.
    submitted_at: datetime | None = None
    answered_on: date | None = None
    paper: bool = False
    leg_pain: int | None = None  # leg pain now (0-10): in sciatica, the main outcome


def baseline_of(scored: Sequence):
    """A course of care's baseline: its first scored questionnaire of weeks 0-1 (week 0 falls due the day
    the plan starts; week 1 stands in when the patient did not answer it)."""
    return min((r for r in scored if r.week <= 1), key=lambda r: (r.week, r.due_date), default=None)


def taken_before_treatment(answer: ScoredWeek, *, first_session_at: datetime | None, first_session_day: date | None):
    """Whether a questionnaire was answered before the plan's first needle.

    Online, to the minute: sent no later than the first session's start. On paper, to the day (staff type
    it in later): filled in on or before the day of the first session, since the baseline form is handed
    over at check-in. With no session yet, every answer comes before treatment.
    """
    if first_session_at is None:
        return True
    if answer.paper or answer.submitted_at is None:
        return (
            answer.answered_on is not None and first_session_day is not None and answer.answered_on <= first_session_day
        )
    return answer.submitted_at <= first_session_at


def nearest_week(scored: Sequence[ScoredWeek], week: int):
    """The scored questionnaire within a week of `week`, the nearest, the earlier on a tie."""
    return min(
        (r for r in scored if week - 1 <= r.week <= week + 1),
        key=lambda r: (abs(r.week - week), r.due_date),
        default=None,
    )


def plan_scores(
    *,
    session_days: Sequence[date],
    scored: Sequence[ScoredWeek],
    first_session_at: datetime | None = None,
) -> dict[str, int | bool | None]:
    """A plan's derived score columns, from its session days and its scored questionnaires.

    Baseline: the first scored questionnaire of weeks 0-1, and whether it was answered before the first
    session. Weeks 4 and 8: the scored questionnaire within a week of it, nearest, the earlier on a tie.
    By session n: the latest score whose questionnaire was due by the day of the plan's nth session (a
    paper form handed in after that visit still counts for it); none before the plan has n sessions.
    Latest: the latest score; no improvement when it is from week 6 on and is not a meaningful change
    from the baseline.
    """
    baseline = baseline_of(scored)
    week4, week8 = nearest_week(scored, 4), nearest_week(scored, 8)
    latest = max(scored, key=lambda r: (r.due_date, r.week), default=None)
    days = sorted(session_days)

    def by_session(n: int) -> int | None:
        if len(days) < n:
            return None
        due = max((r for r in scored if r.due_date <= days[n - 1]), key=lambda r: r.due_date, default=None)
        return due.odi_score if due else None

    no_improvement = (
        baseline is not None
        and baseline.odi_score > 0  # nothing to improve on
        and latest is not None
        and latest is not baseline
        and latest.week >= NO_IMPROVEMENT_WEEK
        and not odi_meaningful(baseline.odi_score, latest.odi_score)
    )
    before = (
        taken_before_treatment(baseline, first_session_at=first_session_at, first_session_day=days[0] if days else None)
        if baseline is not None
        else None
    )
    return {
        "baseline_odi": baseline and baseline.odi_score,
        "baseline_analgesic": baseline and baseline.analgesic_days,
        "baseline_work": baseline and baseline.work_days_off,
        "baseline_before_treatment": before,
        "week4_odi": week4 and week4.odi_score,
        "week8_odi": week8 and week8.odi_score,
        "week8_analgesic": week8 and week8.analgesic_days,
        "week8_work": week8 and week8.work_days_off,
        "baseline_leg_pain": baseline and baseline.leg_pain,
        "week8_leg_pain": week8 and week8.leg_pain,
        **{f"odi_at_session_{n}": by_session(n) for n in RESPONDER_SESSIONS},
        "latest_odi": latest and latest.odi_score,
        "latest_odi_week": latest and latest.week,
        "no_improvement": no_improvement,
    }
