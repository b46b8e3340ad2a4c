"""The clinic outcomes report, aggregated in SQL (DESIGN sections 3 and 5).

One row per course of care (`TreatmentPlan`). Its baseline is the first scored questionnaire of
weeks 0-1 (the intake or first-week score); its week-8 score is the scored questionnaire of weeks
7-9 nearest week 8 (within ±7 days of the week-8 due date). Every figure is computed by the
database; Python only formats it.
"""

from dataclasses import dataclass
from decimal import Decimal

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Avg, Count, F, FloatField, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Abs, Cast, TruncDate

from outcomes.models import Response
from treatments.models import Session, TreatmentPlan

RESPONDER_SESSIONS = (4, 8, 12)

# DESIGN section 5: one multi-clinic cohort of 1,247 patients with lumbar radiculopathy.
BENCHMARKS = {
    "mean_odi_reduction": Decimal("41"),
    "analgesic_reduction": Decimal("57"),
    "days_off_work": "3.2 fewer days off work over 3 months",
    "responders_session_4": "60-70 % notice meaningful change by session 4",
    "cohort": "1,247 patients with lumbar radiculopathy, 6 or more sessions",
}


class ReportFilterForm(forms.Form):
    start = forms.DateField(label="Plans started from", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label="to", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    practitioner = forms.ModelChoiceField(
        queryset=get_user_model().objects.filter(groups__name="Acupuncturist").order_by("last_name", "first_name"),
        required=False,
        empty_label="All practitioners",
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("start") and cleaned.get("end") and cleaned["start"] > cleaned["end"]:
            self.add_error("end", "The end date is before the start date.")
        return cleaned

    def filters(self) -> dict:
        if not self.is_bound or self.errors:
            return {}
        return {key: value for key, value in self.cleaned_data.items() if value}


@dataclass(frozen=True)
class ResponderShare:
    session: int
    reached: int  # plans with a baseline that reached this session
    responders: int

    @property
    def percent(self) -> Decimal | None:
        return _percent(self.responders, self.reached)


@dataclass(frozen=True)
class ClinicOutcomes:
    with_baseline: int
    cohort: int  # with a baseline and a week-8 score
    mean_odi_change: Decimal | None  # percent, negative is better
    median_odi_change: Decimal | None
    responders: list[ResponderShare]
    analgesic_reported: int
    analgesic_cut: int
    analgesic_change: Decimal | None  # percent change in analgesic days, baseline to week 8
    work_reported: int
    work_days_change: Decimal | None  # mean change in days off work per week

    @property
    def analgesic_cut_percent(self) -> Decimal | None:
        return _percent(self.analgesic_cut, self.analgesic_reported)


def _percent(part: int, whole: int) -> Decimal | None:
    return None if not whole else (Decimal(part) * 100 / whole).quantize(Decimal("0.1"))


def _round(value) -> Decimal | None:
    return None if value is None else Decimal(str(value)).quantize(Decimal("0.1"))


def _scored():
    return Response.objects.filter(plan=OuterRef("pk"), submitted_at__isnull=False, odi_score__isnull=False)


def _baseline():
    return _scored().filter(week__lte=1).order_by("week", "due_date")


def _week8():
    return (
        _scored()
        .filter(week__gte=7, week__lte=9)
        .annotate(distance=Abs(F("week") - 8))
        .order_by("distance", "due_date")
    )


def plans_with_scores(*, start=None, end=None, practitioner=None):
    plans = TreatmentPlan.objects.all()
    if start:
        plans = plans.filter(start_date__gte=start)
    if end:
        plans = plans.filter(start_date__lte=end)
    if practitioner:
        plans = plans.filter(practitioner=practitioner)
    return plans.annotate(
        baseline_odi=Subquery(_baseline().values("odi_score")[:1]),
        week8_odi=Subquery(_week8().values("odi_score")[:1]),
        baseline_analgesic=Subquery(_baseline().values("analgesic_days")[:1]),
        week8_analgesic=Subquery(_week8().values("analgesic_days")[:1]),
        baseline_work=Subquery(_baseline().values("work_days_off")[:1]),
        week8_work=Subquery(_week8().values("work_days_off")[:1]),
    ).filter(baseline_odi__isnull=False)


def _cohort(plans):
    return plans.filter(week8_odi__isnull=False).annotate(
        odi_change=Cast(F("week8_odi") - F("baseline_odi"), FloatField()) * 100 / Cast(F("baseline_odi"), FloatField())
    )


def _median(queryset, field: str) -> Decimal | None:
    """The median computed by the database: sort, skip to the middle, read one or two values."""
    n = queryset.count()
    if not n:
        return None
    middle = list(queryset.order_by(field).values_list(field, flat=True)[(n - 1) // 2 : n // 2 + 1])
    return _round(sum(middle) / len(middle))


def _responders(plans, session: int) -> ResponderShare:
    nth_session = Session.objects.filter(plan=OuterRef("pk")).order_by("started_at", "id").values("started_at")
    # The latest score whose questionnaire was due by the day of that session (entry may come later).
    latest_score = _scored().filter(due_date__lte=OuterRef("session_day")).order_by("-due_date")
    reached = (
        plans.annotate(session_at=Subquery(nth_session[session - 1 : session]))
        .filter(session_at__isnull=False)
        .annotate(session_day=TruncDate("session_at"))
        .annotate(score_then=Subquery(latest_score.values("odi_score")[:1]))
        .annotate(drop=F("baseline_odi") - F("score_then"))
        .annotate(drop_tenfold=F("drop") * 10, baseline_threefold=F("baseline_odi") * 3)
    )
    meaningful = Q(drop__gt=0) & (Q(drop__gte=10) | Q(drop_tenfold__gte=F("baseline_threefold")))
    counts = reached.aggregate(reached=Count("pk"), responders=Count("pk", filter=meaningful))
    return ResponderShare(session, counts["reached"], counts["responders"])


def clinic_outcomes(*, start=None, end=None, practitioner=None) -> ClinicOutcomes:
    plans = plans_with_scores(start=start, end=end, practitioner=practitioner)
    cohort = _cohort(plans)
    figures = cohort.aggregate(
        n=Count("pk"),
        mean=Avg("odi_change", filter=Q(baseline_odi__gt=0)),
        analgesic_reported=Count("pk", filter=Q(baseline_analgesic__isnull=False, week8_analgesic__isnull=False)),
        analgesic_cut=Count("pk", filter=Q(week8_analgesic__lt=F("baseline_analgesic"))),
        analgesic_before=Sum("baseline_analgesic", filter=Q(week8_analgesic__isnull=False)),
        analgesic_after=Sum("week8_analgesic", filter=Q(baseline_analgesic__isnull=False)),
        work_reported=Count("pk", filter=Q(baseline_work__isnull=False, week8_work__isnull=False)),
        work_change=Avg(
            Cast(F("week8_work") - F("baseline_work"), FloatField()),
            filter=Q(baseline_work__isnull=False, week8_work__isnull=False),
        ),
    )
    before, after = figures["analgesic_before"], figures["analgesic_after"]
    return ClinicOutcomes(
        with_baseline=plans.count(),
        cohort=figures["n"],
        mean_odi_change=_round(figures["mean"]),
        median_odi_change=_median(cohort.filter(baseline_odi__gt=0), "odi_change"),
        responders=[_responders(plans, n) for n in RESPONDER_SESSIONS],
        analgesic_reported=figures["analgesic_reported"],
        analgesic_cut=figures["analgesic_cut"],
        analgesic_change=_percent(after - before, before) if before else None,
        work_reported=figures["work_reported"],
        work_days_change=_round(figures["work_change"]),
    )


def _cell(value) -> object:
    # A spreadsheet runs a cell that starts with = + - @ as a formula; names are quoted out of that.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return f"'{value}"
    return value


def cohort_rows(*, start=None, end=None, practitioner=None):
    plans = _cohort(plans_with_scores(start=start, end=end, practitioner=practitioner)).select_related(
        "patient", "practitioner"
    )
    for plan in plans.order_by("start_date", "pk").iterator(chunk_size=1000):
        yield [
            _cell(plan.patient.full_name),
            plan.patient.chart_number,
            _cell(plan.practitioner.get_full_name()),
            plan.start_date.isoformat(),
            plan.baseline_odi,
            plan.week8_odi,
            _round(plan.odi_change),
        ]
