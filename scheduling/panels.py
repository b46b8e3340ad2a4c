"""The plan page's course panel: booked, attended and planned visits, no-shows and adherence."""

from datetime import timedelta

from django.db.models import Count, Q
from django.template.loader import render_to_string
from django.utils import timezone

from scheduling import rules
from scheduling.models import Appointment, Status, due_condition
from treatments.models import PlanStatus, TreatmentPlan


def course_figures(plan) -> dict:
    """The plan's visits by state, in one query: booked (to come), attended, no-shows, due to date."""
    now = timezone.now()
    figures = Appointment.objects.filter(plan=plan).aggregate(
        booked=Count("pk", filter=Q(status=Status.BOOKED, start__gte=now)),
        # Attended among the visits due, so adherence never passes 100 % (an early arrival counts once due).
        attended=Count("pk", filter=due_condition(now) & Q(status__in=(Status.ARRIVED, Status.COMPLETED))),
        no_shows=Count("pk", filter=Q(status=Status.NO_SHOW)),
        due=Count("pk", filter=due_condition(now)),
    )
    figures["planned"] = plan.planned_sessions
    figures["adherence"] = rules.adherence(figures["attended"], figures["due"])
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
