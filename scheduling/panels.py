"""The plan page's course panel: booked, attended and planned visits, no-shows and adherence."""

from datetime import timedelta

from django.db.models import Count, Q
from django.template.loader import render_to_string
from django.utils import timezone

from scheduling import rules
from scheduling.models import Appointment, Kind, Status, due_condition, start_of_day
from treatments.models import PlanStatus, Session, TreatmentPlan


def course_figures(plan, *, now=None) -> dict:
    """The plan's visits by state, in one query: booked (to come), attended, no-shows, due to date (by `now`,
    the present unless a document reports as of an earlier moment)."""
    now = now or timezone.now()
    figures = Appointment.objects.filter(plan=plan).aggregate(
        booked=Count("pk", filter=Q(status=Status.BOOKED, start__gte=now)),
        # Attended among the visits due, so adherence never passes 100 % (an early arrival counts once due).
        attended=Count("pk", filter=due_condition(now) & Q(status__in=(Status.ARRIVED, Status.COMPLETED))),
        no_shows=Count("pk", filter=Q(status=Status.NO_SHOW, start__lt=now)),
        due=Count("pk", filter=due_condition(now)),
    )
    figures["planned"] = plan.planned_sessions
    figures["adherence"] = rules.adherence(figures["attended"], figures["due"])
    figures["adherence_percent"] = None if figures["adherence"] is None else round(100 * figures["adherence"])
    return figures


def plan_course_panel(request, plan):
    upcoming = list(
        Appointment.objects.filter(plan=plan, status=Status.BOOKED, start__gte=timezone.now())
        .select_related("practitioner")
        .order_by("start")[:8]
    )
    context = {"plan": plan, "figures": course_figures(plan), "upcoming": upcoming, "perms_user": request.user}
    return render_to_string("scheduling/plan_course_panel.html", context, request=request)


def patient_schedule(patient, *, bookable: bool) -> dict:
    """The chart's appointments box: the next visits, the no-shows, and the courses the desk may book."""
    now = timezone.now()
    visits = Appointment.objects.filter(patient=patient)
    return {
        "upcoming": list(
            visits.filter(status__in=(Status.BOOKED, Status.ARRIVED), start__gte=now - timedelta(hours=12))
            .select_related("practitioner")
            .order_by("start")[:5]
        ),
        "no_shows": visits.filter(status=Status.NO_SHOW).count(),
        "courses": list(
            TreatmentPlan.objects.filter(patient=patient, status=PlanStatus.ACTIVE)
            .order_by("-start_date")
            .values("pk", "start_date", "planned_sessions")
        )
        if bookable
        else [],
    }


def as_visit_row(row: dict) -> dict:
    """An appointment read as values (start, minutes, kind, status) made ready for a schedule page: its
    local start and end, its type and status in words. The day sheet and the week view both list them."""
    row["start"] = timezone.localtime(row["start"])
    row["end"] = row["start"] + timedelta(minutes=row["minutes"])
    row["kind_label"] = Kind(row["kind"]).label
    row["status_label"] = Status(row["status"]).label
    return row


def days_with_a_session(visits: list[dict]) -> set[tuple[int, object]]:
    """(patient, local day) for each listed visit (rows with `patient_id` and `start`) whose patient had a
    session logged that day, however it was logged: one query for the list."""
    if not visits:
        return set()
    days = [timezone.localtime(v["start"]).date() for v in visits]
    sessions = Session.objects.filter(
        patient__in={v["patient_id"] for v in visits},
        started_at__gte=start_of_day(min(days)),
        started_at__lt=start_of_day(max(days) + timedelta(days=1)),
    )
    return {
        (patient, timezone.localtime(at).date()) for patient, at in sessions.values_list("patient_id", "started_at")
    }
