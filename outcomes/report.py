"""The clinic outcomes report, aggregated in SQL (docs/clinical-rules.md: meaningful change, the comparators).

One row per course of care (`TreatmentPlan`). Its baseline is the first scored questionnaire of
weeks 0-1 (week 0 falls due the day the plan starts; week 1 stands in when it went unanswered); its
week-8 score is the scored questionnaire of weeks 7-9 nearest week 8; its score by session 4, 8 or 12
is the latest one due by that visit's day. Those scores are columns of the plan, which
`outcomes.summary.refresh_outcomes` recomputes with `outcomes.scoring.plan_scores`: at once when a
scored questionnaire is written, and for plans whose sessions changed (`outcome_stale`) before the
report is read. So the report aggregates one row per plan and reads no questionnaire or session at all.
Every figure is computed by the database; Python only formats it.

Attendance (`clinic_attendance`) counts the appointments booked for the same courses of care, in one more
aggregate: the visits due (`scheduling.models.due_condition`: their time has come and the clinic did not
call them off), the no-shows among them and the visits attended (adherence: attended ÷ due).

Time to first relief (`clinic_relief`) is the one exception to "computed by the database": the plans' two
relief columns (`outcomes.relief.first_relief`, also kept by the summary) are read in one query, and the
medians with and without Tui Na taken in Python (SQLite has no percentile function).
"""

from dataclasses import dataclass
from decimal import Decimal
from statistics import median

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Avg, Count, F, FloatField, IntegerField, OuterRef, Q, Subquery, Sum, Window
from django.db.models.functions import Cast, Coalesce, RowNumber
from django.db.models.lookups import GreaterThanOrEqual
from django.utils import timezone

from clinic.forms import location_field
from clinic.models import Location
from outcomes.models import Pgic, Questionnaire
from outcomes.scoring import MEANINGFUL_FRACTION, ODI_MEANINGFUL_POINTS, PGIC_MUCH_IMPROVED, RESPONDER_SESSIONS
from outcomes.stats import funnel_limits, funnel_position, mean_interval, sample_sd, wilson_interval
from scheduling.models import Appointment, Status, due_condition
from treatments.models import TreatmentPlan


@dataclass(frozen=True)
class Comparator:
    """A figure from outside the clinic, labelled for what it is (docs/clinical-rules.md, the comparators)."""

    name: str
    kind: str  # what sort of evidence: say it on the page, so nobody mistakes one for the other
    population: str
    figures: dict[str, str]


COMPARATORS = (
    Comparator(
        name="Tu et al., JAMA Intern Med 2024;184(12):1417-1424",
        kind="Randomised trial, acupuncture against sham acupuncture",
        population="216 patients with chronic sciatica from a herniated disc; 10 sessions over 4 weeks",
        figures={
            "week4_odi_points": "−13.0 points (sham −4.9) at week 4",
            "leg_pain": "leg pain −30.8 mm on a 0-100 VAS (sham −14.9) at week 4; the difference held to week 52",
        },
    ),
    Comparator(
        name="A practice article's cohort (the clinic's source material)",
        kind="Observational cohort, not peer-reviewed",
        population="1,247 patients with lumbar radiculopathy across 14 clinics; 6 or more sessions, twice weekly for "
        "3 weeks then tapering",
        figures={
            "week8_odi_percent": "−41 % mean ODI at 8 weeks",
            "analgesic": "57 % less analgesic use",
            "work": "3.2 fewer days off work over 3 months than usual-care controls (a difference between groups, "
            "not a before-and-after change)",
            "session_4": "60-70 % notice meaningful change by session 4, as practitioners report it (not measured "
            "with the ODI)",
            "session_12": "full benefit over 8-12 sessions, as practitioners report it",
            "relief_tuina": "median 3.2 days to first relief with acupuncture plus Tui Na",
            "relief_alone": "median 5.7 days to first relief with acupuncture alone",
        },
    ),
)


class ReportFilterForm(forms.Form):
    start = forms.DateField(label="Plans started from", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    before_treatment = forms.BooleanField(label="Only baselines taken before the first session", required=False)
    end = forms.DateField(label="to", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    practitioner = forms.ModelChoiceField(
        queryset=get_user_model().objects.filter(groups__name="Acupuncturist").order_by("last_name", "first_name"),
        required=False,
        empty_label="All practitioners",
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        # Only where the clinic has several locations, and only those the user sees: naming another is an
        # error beside the field, never the whole group in its place.
        field = location_field(user, initial=None) if user is not None else None
        if field is not None:
            field.required, field.empty_label, field.initial = False, "All locations shown", None
            field.help_text = "Where the course is given."
            self.fields = {"location": field, **self.fields}

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

    @property
    def interval(self) -> tuple[Decimal, Decimal] | None:
        """The share's 95 % confidence interval (Wilson), in percent."""
        return wilson_interval(self.responders, self.reached)


@dataclass(frozen=True)
class ClinicOutcomes:
    with_baseline: int
    patients: int  # the patients those courses are of
    sessions_per_plan: Decimal | None  # sessions logged per course, on average
    baseline_before_treatment: int  # of with_baseline: answered before the first session
    cohort: int  # with a baseline and a week-8 score
    week8_responders: int  # of cohort: a meaningful change at week 8 (ODI −10 points or −30 %)
    week4_reported: int  # with a baseline and a week-4 score
    mean_week4_odi_points: Decimal | None  # ODI points, baseline to week 4 (negative is better)
    mean_odi_change: Decimal | None  # percent, negative is better
    # The two means' 95 % confidence intervals (outcomes.stats.mean_interval; None below two courses).
    week4_interval: tuple[Decimal, Decimal] | None
    mean_odi_change_interval: tuple[Decimal, Decimal] | None
    leg_pain_reported: int  # with leg pain in both the baseline and the week-8 questionnaire
    mean_leg_pain_change: Decimal | None  # 0-10 points, baseline to week 8 (negative is better)
    leg_pain_interval: tuple[Decimal, Decimal] | None
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

    @property
    def week8_responder_percent(self) -> Decimal | None:
        return _percent(self.week8_responders, self.cohort)

    @property
    def week8_responder_interval(self) -> tuple[Decimal, Decimal] | None:
        return wilson_interval(self.week8_responders, self.cohort)

    @property
    def before_treatment_percent(self) -> Decimal | None:
        return _percent(self.baseline_before_treatment, self.with_baseline)


def _percent(part: int, whole: int) -> Decimal | None:
    return None if not whole else (Decimal(part) * 100 / whole).quantize(Decimal("0.1"))


def _round(value) -> Decimal | None:
    return None if value is None else Decimal(str(value)).quantize(Decimal("0.1"))


def plans_with_baseline(*, user=None, location=None, start=None, end=None, practitioner=None, before_treatment=False):
    """The report's courses of care: those with a baseline, of the patients `user` may see (every one without
    a user: the management commands), given at `location` (where the course is given, `TreatmentPlan.location`,
    so a patient who moves leaves a finished course where it was), started within the dates."""
    plans = TreatmentPlan.objects.filter(baseline_odi__isnull=False)
    if user is not None:
        plans = plans.visible_to(user)
    if location:
        plans = plans.filter(location=location)
    if before_treatment:
        plans = plans.filter(baseline_before_treatment=True)
    if start:
        plans = plans.filter(start_date__gte=start)
    if end:
        plans = plans.filter(start_date__lte=end)
    if practitioner:
        plans = plans.filter(practitioner=practitioner)
    return plans


def _odi_change():
    """Baseline to week 8, in percent of the baseline (negative is better)."""
    return Cast(F("week8_odi") - F("baseline_odi"), FloatField()) * 100 / Cast(F("baseline_odi"), FloatField())


def _cohort(plans):
    return plans.filter(week8_odi__isnull=False).annotate(odi_change=_odi_change())


def _median(queryset, field: str, n: int) -> Decimal | None:
    """The median computed by the database: sort, skip to the middle, read one or two values."""
    if not n:
        return None
    middle = list(queryset.order_by(field).values_list(field, flat=True)[(n - 1) // 2 : n // 2 + 1])
    return _round(sum(middle) / len(middle))


def _meaningful(score: str) -> Q:
    """scoring.odi_meaningful in SQL for the ODI in column `score`: a drop of at least 10 points, or of at least
    30 % of the baseline."""
    fraction = MEANINGFUL_FRACTION
    return Q(**{f"{score}__lt": F("baseline_odi")}) & (
        Q(**{f"{score}__lte": F("baseline_odi") - ODI_MEANINGFUL_POINTS})
        # drop / baseline >= k/d, in integers: (d - k) * baseline >= d * score.
        | Q(
            GreaterThanOrEqual(
                F("baseline_odi") * (fraction.denominator - fraction.numerator), F(score) * fraction.denominator
            )
        )
    )


def _mean_and_squares(name: str, difference, condition: Q) -> dict:
    """A mean and a mean of squares of `difference` over the rows meeting `condition`: the two averages a
    mean's confidence interval needs (outcomes.stats.sample_sd)."""
    return {
        name: Avg(Cast(difference, FloatField()), filter=condition),
        f"{name}_squares": Avg(Cast(difference * difference, FloatField()), filter=condition),
    }


def _interval(figures: dict, name: str, n: int) -> tuple[Decimal, Decimal] | None:
    return mean_interval(figures[name], sample_sd(figures[name], figures[f"{name}_squares"], n), n)


def _aggregates() -> dict:
    """Every figure of the report's main table, as SQL aggregates over plans: one query for the clinic, or one
    grouped query for all its locations side by side."""
    week8 = Q(week8_odi__isnull=False)
    week4 = Q(week4_odi__isnull=False)
    changeable = week8 & Q(baseline_odi__gt=0)
    leg = Q(baseline_leg_pain__isnull=False, week8_leg_pain__isnull=False)
    both_analgesic = week8 & Q(baseline_analgesic__isnull=False, week8_analgesic__isnull=False)
    both_work = week8 & Q(baseline_work__isnull=False, week8_work__isnull=False)
    responders = {}
    for n in RESPONDER_SESSIONS:
        responders[f"reached_{n}"] = Count("pk", filter=Q(session_count__gte=n))
        responders[f"responders_{n}"] = Count("pk", filter=Q(session_count__gte=n) & _meaningful(f"odi_at_session_{n}"))
    return {
        "with_baseline": Count("pk"),
        "patients": Count("patient", distinct=True),
        "sessions_per_plan": Avg(Cast("session_count", FloatField())),
        "before_treatment": Count("pk", filter=Q(baseline_before_treatment=True)),
        "n": Count("pk", filter=week8),
        "week8_responders": Count("pk", filter=week8 & _meaningful("week8_odi")),
        "week4_n": Count("pk", filter=week4),
        **_mean_and_squares("week4_points", F("week4_odi") - F("baseline_odi"), week4),
        "changeable": Count("pk", filter=changeable),
        **_mean_and_squares("mean", _odi_change(), changeable),
        "leg_n": Count("pk", filter=leg),
        **_mean_and_squares("leg", F("week8_leg_pain") - F("baseline_leg_pain"), leg),
        "analgesic_reported": Count("pk", filter=both_analgesic),
        "analgesic_cut": Count("pk", filter=both_analgesic & Q(week8_analgesic__lt=F("baseline_analgesic"))),
        "analgesic_before": Sum("baseline_analgesic", filter=both_analgesic),
        "analgesic_after": Sum("week8_analgesic", filter=both_analgesic),
        "work_reported": Count("pk", filter=both_work),
        "work_change": Avg(Cast(F("week8_work") - F("baseline_work"), FloatField()), filter=both_work),
        **responders,
    }


def _outcomes(figures: dict, median: Decimal | None = None) -> ClinicOutcomes:
    before, after = figures["analgesic_before"], figures["analgesic_after"]
    return ClinicOutcomes(
        with_baseline=figures["with_baseline"],
        patients=figures["patients"],
        sessions_per_plan=_round(figures["sessions_per_plan"]),
        baseline_before_treatment=figures["before_treatment"],
        cohort=figures["n"],
        week8_responders=figures["week8_responders"],
        week4_reported=figures["week4_n"],
        mean_week4_odi_points=_round(figures["week4_points"]),
        mean_odi_change=_round(figures["mean"]),
        week4_interval=_interval(figures, "week4_points", figures["week4_n"]),
        mean_odi_change_interval=_interval(figures, "mean", figures["changeable"]),
        leg_pain_reported=figures["leg_n"],
        mean_leg_pain_change=_round(figures["leg"]),
        leg_pain_interval=_interval(figures, "leg", figures["leg_n"]),
        median_odi_change=median,
        responders=[ResponderShare(n, figures[f"reached_{n}"], figures[f"responders_{n}"]) for n in RESPONDER_SESSIONS],
        analgesic_reported=figures["analgesic_reported"],
        analgesic_cut=figures["analgesic_cut"],
        analgesic_change=_percent(after - before, before) if before else None,
        work_reported=figures["work_reported"],
        work_days_change=_round(figures["work_change"]),
    )


def clinic_outcomes(**filters) -> ClinicOutcomes:
    plans = plans_with_baseline(**filters)
    figures = plans.aggregate(**_aggregates())
    median = _median(_cohort(plans).filter(baseline_odi__gt=0), "odi_change", figures["changeable"])
    return _outcomes(figures, median)


@dataclass(frozen=True)
class LocationOutcomes:
    """One location's row of the side-by-side report, and where it falls in the funnel plot."""

    location: Location
    outcomes: ClinicOutcomes
    attendance: "ClinicAttendance"
    funnel: str  # stats.funnel_position of its week-8 responder rate against the group's


def location_outcomes(
    *, locations, group: ClinicOutcomes | None = None, now=None, **filters
) -> tuple[list[LocationOutcomes], ClinicOutcomes]:
    """The report's figures for each of `locations` side by side (a grouped aggregate of the plans and one of
    their visits: two queries for any number of locations), and the group's, whose week-8 responder rate is
    the funnel plot's centre line: `group` when the caller has it already (the clinic report's own figures,
    with the same filters), else one more aggregate."""
    if filters.get("location"):
        raise ValueError("side by side compares every location shown; filter by location on the clinic report")
    plans = plans_with_baseline(**filters).filter(location__in=locations)
    aggregates = _aggregates()
    rows = {row.pop("location"): row for row in plans.order_by().values("location").annotate(**aggregates)}
    group = group or _outcomes(plans.aggregate(**aggregates))
    visits = (
        Appointment.objects.filter(plan__in=plans.values("pk"))
        .order_by()
        .values("plan__location")
        .annotate(**{name: Count("pk", filter=c) for name, c in _attendance(now or timezone.now()).items()})
    )
    attendance = {row.pop("plan__location"): ClinicAttendance(**row) for row in visits}
    # A location with no course yet: counts of 0, and no mean (None, as SQL gives over no rows).
    empty = {name: 0 if isinstance(aggregate, Count) else None for name, aggregate in aggregates.items()}
    result = []
    for location in locations:
        outcomes = _outcomes(rows.get(location.pk, empty))
        result.append(
            LocationOutcomes(
                location=location,
                outcomes=outcomes,
                attendance=attendance.get(location.pk, ClinicAttendance(0, 0, 0)),
                funnel=funnel_position(
                    outcomes.week8_responders, outcomes.cohort, group.week8_responders, group.cohort
                ),
            )
        )
    return result, group


def funnel_chart(rows: list[LocationOutcomes], group: ClinicOutcomes) -> dict:
    """The funnel plot's data for outcomes/funnel_plot.js: each location's point, and the group's rate with its
    95 % and 99.8 % control limits over the range of course numbers (Spiegelhalter 2005)."""
    largest = max([row.outcomes.cohort for row in rows] + [10])
    steps = sorted({1, 2, 3, 5, *range(5, largest + 1, max(1, largest // 60)), largest})
    limits = funnel_limits(group.week8_responders, group.cohort, steps)
    return {
        "points": [
            {"name": row.location.name, "n": row.outcomes.cohort, "rate": row.outcomes.week8_responder_percent}
            for row in rows
            if row.outcomes.cohort
        ],
        "centre": None if not group.cohort else float(group.week8_responder_percent),
        "limits": limits,
    }


YES_NO = {True: "yes", False: "no"}


@dataclass(frozen=True)
class ReliefGroup:
    """Courses of care that could show relief (a session, its pain before at least 2), with or without Tui Na."""

    courses: int
    relieved: int
    median_days: Decimal | None  # of the relieved courses; None when none is

    @property
    def not_yet(self) -> int:
        return self.courses - self.relieved


@dataclass(frozen=True)
class ClinicRelief:
    with_tuina: ReliefGroup  # Tui Na in a session up to first relief (in any session, if no relief yet)
    without_tuina: ReliefGroup


def _relief_group(days: list[int | None]) -> ReliefGroup:
    relieved = [n for n in days if n is not None]
    return ReliefGroup(len(days), len(relieved), _round(median(relieved)) if relieved else None)


def clinic_relief(**filters) -> ClinicRelief:
    """Median days to first relief, with Tui Na from the first session and without (docs/clinical-rules.md),
    from the plans' columns (`outcomes.relief.first_relief`, kept by the summary): one read of two small
    columns per course.

    A course not yet relieved is counted, never as 0 days: the median is of the relieved ones, shown beside
    how many are not yet. A course that cannot show relief (no session, or a pain before it under 2) is left
    out (its Tui Na column is empty).
    """
    plans = plans_with_baseline(**filters)
    groups: dict[bool, list[int | None]] = {True: [], False: []}
    for tuina, days in (
        plans.filter(tuina_first_session__isnull=False)
        .order_by()
        .values_list("tuina_first_session", "first_relief_days")
    ):
        groups[tuina].append(days)
    return ClinicRelief(with_tuina=_relief_group(groups[True]), without_tuina=_relief_group(groups[False]))


# A visit the patient came to: checked in (treated or about to be) or completed with its session note.
ATTENDED = (Status.ARRIVED, Status.COMPLETED)


@dataclass(frozen=True)
class ClinicAttendance:
    due: int  # visits whose time had come, less those the clinic cancelled or moved
    attended: int  # of due
    no_shows: int  # of due

    @classmethod
    def total(cls, parts) -> "ClinicAttendance":
        """The attendance of several selections together (the locations side by side, summed)."""
        parts = list(parts)
        return cls(*(sum(getattr(part, name) for part in parts) for name in ("due", "attended", "no_shows")))

    @property
    def no_show_percent(self) -> Decimal | None:
        return _percent(self.no_shows, self.due)

    @property
    def adherence_percent(self) -> Decimal | None:
        return _percent(self.attended, self.due)


def _attendance(moment) -> dict[str, Q]:
    """Which visits each figure counts; attended and no-shows among those due, so neither exceeds it."""
    due = due_condition(moment)
    return {"due": due, "attended": due & Q(status__in=ATTENDED), "no_shows": due & Q(status=Status.NO_SHOW)}


def clinic_attendance(*, now=None, **filters) -> ClinicAttendance:
    """Attendance at the visits booked for the report's courses of care (one aggregate query). Visits booked
    outside a course (plan left empty) are not counted: they belong to no course the report covers."""
    plans = plans_with_baseline(**filters)
    figures = Appointment.objects.filter(plan__in=plans.values("pk")).aggregate(
        **{name: Count("pk", filter=condition) for name, condition in _attendance(now or timezone.now()).items()}
    )
    return ClinicAttendance(**figures)


def _plan_attendance(moment) -> dict:
    """The same counts for each plan of a query: one correlated count each, on the (plan, start) index."""
    visits = Appointment.objects.filter(plan=OuterRef("pk")).order_by().values("plan")
    return {
        f"visits_{name}": Coalesce(
            Subquery(visits.filter(condition).annotate(n=Count("pk")).values("n"), output_field=IntegerField()), 0
        )
        for name, condition in _attendance(moment).items()
    }


@dataclass(frozen=True)
class ClinicPgic:
    answered: int  # courses with a PGIC answer
    much_improved: int  # of answered: the latest answer "much" or "very much improved"

    @property
    def percent(self) -> Decimal | None:
        return _percent(self.much_improved, self.answered)


def _latest_pgic() -> Subquery:
    """A plan's latest PGIC answer (the latest due questionnaire that has one), as a correlated subquery."""
    answered = Questionnaire.objects.filter(plan=OuterRef("pk"), submitted_at__isnull=False, pgic__isnull=False)
    return Subquery(answered.order_by("-due_date", "-id").values("pgic")[:1], output_field=IntegerField())


def clinic_pgic(**filters) -> ClinicPgic:
    """The report's courses whose latest PGIC is "much" or "very much improved" (IMMPACT: a moderately
    important improvement or better), of those answering it (one aggregate query)."""
    plans = plans_with_baseline(**filters)
    # Each course's latest answer, from the answered questionnaires only (a window over them, not a lookup
    # per course: on 20,000 courses the per-course subquery took 140 ms, this one the answered rows' scan).
    latest = (
        Questionnaire.objects.filter(plan__in=plans.values("pk"), pgic__isnull=False)
        .annotate(rank=Window(RowNumber(), partition_by=F("plan_id"), order_by=(F("due_date").desc(), F("id").desc())))
        .filter(rank=1)
    )
    figures = latest.aggregate(answered=Count("pk"), much_improved=Count("pk", filter=Q(pgic__in=PGIC_MUCH_IMPROVED)))
    return ClinicPgic(**figures)


def spreadsheet_cell(value) -> object:
    # A spreadsheet runs a cell that starts with = + - @ as a formula; names are quoted out of that.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return f"'{value}"
    return value


def cohort_rows(*, now=None, with_location=False, **filters):
    """The cohort CSV's rows (the header is the view's); the course's location only for a group."""
    plans = (
        _cohort(plans_with_baseline(**filters))
        .annotate(**_plan_attendance(now or timezone.now()), latest_pgic=_latest_pgic())
        .select_related("patient", "practitioner", "location")
    )
    for plan in plans.order_by("start_date", "pk").iterator(chunk_size=1000):
        yield [
            spreadsheet_cell(plan.patient.full_name),
            plan.patient.chart_number,
            spreadsheet_cell(plan.practitioner.get_full_name()),
            *([spreadsheet_cell(plan.location.name)] if with_location else []),
            plan.start_date.isoformat(),
            plan.baseline_odi,
            "yes" if plan.baseline_before_treatment else "no",
            plan.week8_odi,
            _round(plan.odi_change),
            plan.visits_due,
            plan.visits_attended,
            plan.visits_no_shows,
            _percent(plan.visits_no_shows, plan.visits_due),
            _percent(plan.visits_attended, plan.visits_due),
            Pgic(plan.latest_pgic).label if plan.latest_pgic is not None else "",
            plan.first_relief_days,  # blank: no relief yet, or none possible
            YES_NO.get(plan.tuina_first_session, ""),
            plan.baseline_leg_pain,
            plan.week8_leg_pain,
        ]
