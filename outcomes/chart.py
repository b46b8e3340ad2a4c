"""What the patient chart shows of outcomes: questionnaires, the series to plot, change and responder status."""

from dataclasses import dataclass
from datetime import date

from django.urls import reverse
from django.utils import timezone

from clinic.formats import month_day, month_day_year, url_maker
from clinic.models import Patient
from outcomes.models import Questionnaire
from outcomes.scoring import (
    ODI_MEANINGFUL_POINTS,
    Change,
    OdiBand,
    baseline_of,
    change,
    is_responder,
    odi_band,
    pain_meaningful,
    taken_before_treatment,
)
from outcomes.services import due_questionnaires
from outcomes.summary import SCORED_COLUMNS, scored_week
from treatments.models import Session, TreatmentPlan


@dataclass(frozen=True)
class PainChange:
    """Leg pain now, at the baseline and at the latest score: in sciatica, the main outcome."""

    baseline: int
    latest: int

    @property
    def points(self) -> int:
        return self.latest - self.baseline

    @property
    def meaningful(self) -> bool:
        """A drop of at least 2 points, or of 30 % of the baseline."""
        return pain_meaningful(self.baseline, self.latest)


@dataclass
class OutcomeSummary:
    baseline: Questionnaire | None
    latest: Questionnaire | None
    change: Change | None
    responder: bool | None
    band: OdiBand | None
    # Whether the baseline was answered before the course's first session (None: not known yet).
    baseline_before_treatment: bool | None = None

    @property
    def leg_pain(self) -> PainChange | None:
        if self.baseline is None or self.latest is None or self.latest == self.baseline:
            return None
        before, after = self.baseline.leg_pain_now, self.latest.leg_pain_now
        return PainChange(before, after) if before is not None and after is not None else None

    @property
    def meaningful_threshold(self) -> int | None:
        """The ODI at or below which the change from baseline is meaningful (10 points or 30 %)."""
        if self.baseline is None or not self.baseline.odi_score:
            return None
        score = self.baseline.odi_score
        drop = min(ODI_MEANINGFUL_POINTS, -(-score * 3 // 10))  # the smaller of 10 points and 30 %, rounded up
        return score - drop


def course_summary(scored: list[Questionnaire], *, first_session_at=None) -> OutcomeSummary:
    """Change from baseline and responder status of one course of care's scored questionnaires (in due-date
    order), against its own baseline, as the chart and the progress report show them (the report's rules:
    outcomes.scoring). `first_session_at` is the course's first session, None before any."""
    latest = scored[-1] if scored else None
    baseline = baseline_of(scored) if latest else None
    compared = baseline is not None and latest != baseline
    summary = OutcomeSummary(
        baseline=baseline,
        latest=latest,
        change=change(baseline.odi_score, latest.odi_score) if compared else None,
        responder=is_responder(baseline.odi_score, latest.odi_score) if compared else None,
        band=odi_band(latest.odi_score) if latest else None,
    )
    if baseline is not None:
        # As the report counts it (outcomes.summary), from the rows at hand: the chart writes nothing.
        summary.baseline_before_treatment = taken_before_treatment(
            scored_week(*[getattr(baseline, name) for name in SCORED_COLUMNS]),
            first_session_at=first_session_at,
            first_session_day=timezone.localtime(first_session_at).date() if first_session_at else None,
        )
    return summary


def axis_labels(days: list[str]) -> dict[str, str]:
    """The chart's x axis as the rest of the staff pages write dates: "Mar 3" (clinic.formats.month_day), with
    the year ("Mar 3, 2026") when the days span more than one year. Keyed by the ISO day the series use."""
    parsed = {day: date.fromisoformat(day) for day in days}
    years = {value.year for value in parsed.values()}
    text = month_day if len(years) <= 1 else month_day_year
    return {day: text(value) for day, value in sorted(parsed.items())}


def patient_outcomes(patient: Patient, *, today: date | None = None, sessions: list | None = None) -> dict:
    """Context for the chart's outcomes section: a bounded number of queries whatever the number of questionnaires.

    `sessions` are (plan id, start) pairs of all the patient's sessions, when the caller has read them.
    """
    today = today or timezone.localdate()
    questionnaires = list(Questionnaire.objects.filter(patient=patient).order_by("due_date"))
    submitted = [r for r in questionnaires if r.is_submitted]
    scored = [r for r in submitted if r.odi_score is not None]
    latest = scored[-1] if scored else None
    if sessions is None:
        sessions = list(Session.objects.filter(patient=patient).values_list("plan_id", "started_at"))
    # Change and responder status are within the latest score's course of care, against its own baseline,
    # as the outcomes report counts them: an earlier course's baseline says nothing of this one.
    plan_id = latest.plan_id if latest else None  # no latest: nothing scored, no session matches None
    summary = course_summary(
        [r for r in scored if r.plan_id == plan_id],
        first_session_at=min((started for pk, started in sessions if pk == plan_id), default=None),
    )
    baseline = summary.baseline
    session_dates = sorted({timezone.localtime(started).date().isoformat() for _plan, started in sessions})
    chart = {
        "dates": [r.due_date.isoformat() for r in submitted],
        "odi": [r.odi_score for r in submitted],
        "back_pain": [r.back_pain_now for r in submitted],
        "leg_pain": [r.leg_pain_now for r in submitted],
        "sessions": session_dates,
        "baseline": baseline.odi_score if baseline else None,
        "threshold": summary.meaningful_threshold,
    }
    chart["labels"] = axis_labels([*chart["dates"], *session_dates])
    # Due and unanswered: the rows the daily run has made, and any that fell due since (a plan started today
    # has its baseline due before its first session, whether or not the run has scheduled it yet).
    scheduled = frozenset(r.due_date for r in questionnaires)
    pending = [r for r in questionnaires if not r.is_submitted and r.due_date <= today]
    pending += due_questionnaires(plans=TreatmentPlan.objects.filter(patient=patient), today=today, scheduled=scheduled)
    # Each row's links and date texts made once (clinic.formats): the answered ones newest first, the pending
    # ones with their link and paper-form addresses.
    detail = url_maker("outcomes:questionnaire-detail")
    answered = list(reversed(submitted))
    for row in answered:
        row.url, row.date_text = detail(row.pk), month_day_year(row.due_date)
    link = url_maker("outcomes:questionnaire-link-create", patient.pk)
    paper = reverse("outcomes:questionnaire-create", args=[patient.pk])
    pending = sorted(pending, key=lambda r: r.due_date)
    for row in pending:
        row.due_text, due = month_day(row.due_date), row.due_date.isoformat()
        row.link_url, row.paper_url = link(due), f"{paper}?due={due}"
    return {
        "answered": answered,
        "pending": pending,
        "summary": summary,
        "chart": chart,
    }
