"""The top of the app: pages that bring every app together (the dashboard and the patient chart).

The top layer (docs/architecture.md): it may import every app; no app imports it.
"""

from datetime import timedelta

from django.db.models import Count, F, Min, Window
from django.db.models.functions import RowNumber
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from clinic.access import get_patient_for, permission_required
from clinic.audit import record_list, record_view
from clinic.locations import chosen_location
from clinic.models import Patient
from intake.models import Alert, Intake, Referral
from intake.templatetags.intake_tags import mark_red_flags
from outcomes.chart import patient_outcomes
from outcomes.models import Questionnaire
from scheduling.models import Appointment, Status, start_of_day
from scheduling.panels import as_visit_row, days_with_a_session, patient_schedule
from scheduling.rules import day_from
from scheduling.services import practitioners
from treatments.models import REVIEW_FIELDS, REVIEW_KEYS, Session, TreatmentPlan, review_due, with_point_labels

PANEL_SIZE = 15
# The dashboard lists names, dates and states: read those columns as plain rows, not whole records.
PATIENT_NAME = {"family_name": F("patient__family_name"), "given_name": F("patient__given_name")}
CHART_SESSIONS = 30


def panel_total(queryset, panel: list) -> int:
    """How many rows the panel stands for: a panel that is not full holds them all, so no count."""
    return queryset.count() if len(panel) == PANEL_SIZE else len(panel)


@require_safe
@permission_required("clinic.view_patient")
def dashboard(request: HttpRequest) -> HttpResponse:
    user = request.user
    # Ordered in SQL before the panel is cut: warning signs reported between visits (newest first), then
    # possible cauda equina, then the rest oldest first, so no new emergency falls off a full panel.
    open_referrals = Referral.objects.visible_to(user).open().select_related("patient")
    referrals = list(
        open_referrals.order_by(
            F("reported_between_visits_at").desc(nulls_last=True), "-is_emergency", "opened_at", "id"
        )[:PANEL_SIZE]
    )
    alerts, alert_count = [], 0
    if user.has_perm("intake.view_alert"):
        # Emergencies first, then the longest waiting; each shows its age, so nobody mistakes an old one for new.
        open_alerts = Alert.objects.visible_to(user).open()
        alerts = list(open_alerts.most_urgent_first().select_related("patient", "referral")[:PANEL_SIZE])
        alert_count = panel_total(open_alerts, alerts)
    overdue_page, overdue_count = [], 0
    # The front desk sends the links again; a clinician or manager follows up. Anyone else is told the
    # panel is not theirs, never that nothing is overdue.
    overdue_shown = user.has_perm("clinic.view_patientlink") or user.has_perm("outcomes.view_questionnaire")
    if overdue_shown:
        overdue = Questionnaire.objects.visible_to(user).overdue(timezone.localdate())
        overdue_page = list(
            overdue.order_by("due_date", "id").values(
                "pk", "patient_id", "due_date", "week", "reminded_at", email=F("patient__email"), **PATIENT_NAME
            )[:PANEL_SIZE]
        )
        overdue_count = panel_total(overdue, overdue_page)
    recent_sessions = []
    if user.has_perm("treatments.view_session"):
        recent_sessions = list(
            Session.objects.visible_to(user)
            .order_by("-started_at")
            .values(
                "pk",
                "patient_id",
                "started_at",
                "signed_at",
                practitioner_first_name=F("practitioner__first_name"),
                practitioner_last_name=F("practitioner__last_name"),
                practitioner_username=F("practitioner__username"),
                **PATIENT_NAME,
            )[:PANEL_SIZE]
        )
    plan_reviews_due = []
    if user.has_perm("treatments.view_treatmentplan"):
        # The 15 ids come from the reviews-due index alone; only those rows are joined to their patients.
        due = (
            TreatmentPlan.objects.visible_to(user).reviews_due().order_by("start_date", "pk").values("pk")[:PANEL_SIZE]
        )
        plans = TreatmentPlan.objects.filter(pk__in=due).order_by("start_date", "pk")
        columns = ("pk", "patient_id", "baseline_odi", "latest_odi", "latest_odi_week", *REVIEW_FIELDS)
        for plan in plans.values(*columns, **PATIENT_NAME):
            plan["review"] = review_due(**{name: plan[name] for name in REVIEW_FIELDS})
            plan["review_key"] = REVIEW_KEYS[plan["review"]]
            plan_reviews_due.append(plan)
    shown = [a.patient_id for a in alerts] + [r.patient_id for r in referrals]
    shown += [row["patient_id"] for rows in (overdue_page, recent_sessions, plan_reviews_due) for row in rows]
    record_list(Patient, page="Dashboard", rows=shown, patient_of=lambda patient_id: patient_id)
    context = {
        "alerts": alerts,
        "alert_count": alert_count,
        "open_referrals": referrals,
        "open_referral_count": panel_total(open_referrals, referrals),
        "recent_sessions": recent_sessions,
        "plan_reviews_due": plan_reviews_due,
        "overdue_questionnaires": overdue_page,
        "overdue_count": overdue_count,
        "overdue_shown": overdue_shown,
    }
    return render(request, "pages/dashboard.html", context)


@require_safe
@permission_required("clinic.view_patient")
def patient_detail(request: HttpRequest, pk: int) -> HttpResponse:
    patient = get_patient_for(request.user, pk)
    record_view(patient)
    user = request.user
    intake, intake_count = None, 0
    if user.has_perm("intake.view_intake"):
        # The current episode's intake, with how many the patient has, in one read.
        intake = (
            Intake.objects.filter(patient=patient)
            .annotate(total=Window(Count("pk")))
            .order_by("-created_at", "-id")
            .first()
        )
        intake_count = intake.total if intake else 0
    plans, sessions = [], []
    if user.has_perm("treatments.view_treatmentplan"):
        plans = list(TreatmentPlan.objects.filter(patient=patient).order_by("-start_date")[:5])
    if user.has_perm("treatments.view_session"):
        sessions = with_point_labels(
            list(
                Session.objects.filter(patient=patient)
                .only("plan", "started_at", "pain_before", "pain_after", "signed_at")
                # Newest first, each numbered as the nth session of its course of care.
                .annotate(number=Window(RowNumber(), partition_by=F("plan"), order_by=(F("started_at"), F("id"))))
                .order_by("-started_at")[: CHART_SESSIONS + 1]
            )
        )
    # A patient has a handful of referrals in all: one read gives the red banner's open ones and
    # the chart's history.
    referrals = list(Referral.objects.filter(patient=patient).order_by("-opened_at", "-id"))
    context = {
        "patient": patient,
        "patient_referrals": referrals,
        "schedule": patient_schedule(patient, bookable=user.has_perm("scheduling.add_appointment"))
        if user.has_perm("scheduling.view_appointment")
        else None,
        "plans": plans,
        "sessions": sessions[:CHART_SESSIONS],
        "intake": intake,
        "intake_count": intake_count,
        "closed_referrals": [r for r in referrals if not r.is_open][:5]
        if user.has_perm("intake.view_referral")
        else [],
        "alerts": list(Alert.objects.open().filter(patient=patient).most_urgent_first())
        if user.has_perm("intake.view_alert")
        else [],
        # The plot marks every session; the list already holds them all unless there are more than it shows.
        "outcomes": patient_outcomes(
            patient, sessions=[(s.plan_id, s.started_at) for s in sessions] if len(sessions) <= CHART_SESSIONS else None
        ),
    }
    return render(request, "pages/patient_detail.html", context)


# How far back the day sheet looks for arrived patients whose session note was never logged.
NOTE_MISSING_DAYS = 30


@require_safe
@permission_required("scheduling.view_appointment")
def day_sheet(request: HttpRequest) -> HttpResponse:
    """One day's appointments by practitioner: check-in, the red-flag marker, an intake or questionnaire
    waiting; for a clinician, one click from an arrived patient to the session form. No clinical detail:
    the front desk reads it too."""
    user = request.user
    today = timezone.localdate()
    day = day_from(request.GET.get("day", ""), today)
    staff = list(practitioners())
    chosen = request.GET.get("practitioner")
    if chosen is None:  # an acupuncturist starts on their own day, everyone else on the whole clinic's
        chosen = str(user.pk) if any(p.pk == user.pk for p in staff) else "all"
    shown = [p for p in staff if chosen in ("all", str(p.pk))]
    location = chosen_location(user, request.GET.get("location"))
    visible = Appointment.objects.visible_to(user).at(location)
    visits = visible.on_day(day).filter(practitioner__in=shown)
    rows = list(
        visits.order_by("start", "pk").values(
            "pk",
            "start",
            "minutes",
            "kind",
            "status",
            "notes",
            "practitioner_id",
            "session_id",
            "cancel_reason",
            "patient_id",
            location_name=F("location__name"),
            **PATIENT_NAME,
        )
    )
    # Checked in on an earlier day (up to 30 days back) and no session logged that day, by any route.
    earlier = list(
        visible.filter(
            practitioner__in=shown,
            status=Status.ARRIVED,
            start__lt=start_of_day(min(day, today)),
            start__gte=start_of_day(day - timedelta(days=NOTE_MISSING_DAYS)),
        )
        .order_by("start")
        .values("pk", "start", "patient_id", "practitioner_id", **PATIENT_NAME)[: PANEL_SIZE * 2]
    )
    arrived = [row for row in rows if row["status"] == Status.ARRIVED]
    logged = days_with_a_session(earlier + arrived)
    missing = [row for row in earlier if (row["patient_id"], timezone.localtime(row["start"]).date()) not in logged][
        :PANEL_SIZE
    ]
    patients = {row["patient_id"] for row in rows}
    flags = [{"pk": pk} for pk in patients]
    mark_red_flags(flags)
    red_flags = {row["pk"]: row["red_flag"] for row in flags}
    with_intake = set(
        Intake.objects.filter(patient__in=patients).order_by().values_list("patient_id", flat=True).distinct()
    )
    due = dict(
        Questionnaire.objects.filter(patient__in=patients, submitted_at__isnull=True, due_date__lte=day)
        .values("patient_id")
        .annotate(first=Min("due_date"))
        .values_list("patient_id", "first")
    )
    by_practitioner = {p.pk: {"practitioner": p, "visits": []} for p in shown}
    for row in rows:
        as_visit_row(row)
        row["red_flag"] = red_flags.get(row["patient_id"])
        row["intake_waiting"] = row["patient_id"] not in with_intake
        row["questionnaire_due"] = due.get(row["patient_id"])
        logged_today = (row["patient_id"], day) in logged
        row["note_missing"] = row["status"] == Status.ARRIVED and day < today and not logged_today
        row["session_logged"] = row["status"] == Status.ARRIVED and logged_today
        by_practitioner[row["practitioner_id"]]["visits"].append(row)
    names = {p.pk: p.get_full_name() or p.username for p in staff}
    for row in missing:
        row["start"] = timezone.localtime(row["start"])
        row["practitioner"] = names.get(row["practitioner_id"], "")
    record_list(Patient, page="Day sheet", rows=rows + missing, patient_of=lambda row: row["patient_id"])
    context = {
        "day": day,
        "today": today,
        "previous": day - timedelta(days=1),
        "next": day + timedelta(days=1),
        "practitioners": staff,
        "chosen": chosen,
        "location": location,
        "columns": [entry for entry in by_practitioner.values() if entry["visits"] or chosen != "all"],
        "visit_count": sum(1 for row in rows if row["status"] != Status.CANCELLED),
        "notes_missing": missing,
        "may_log": user.has_perm("treatments.add_session"),
        "may_change": user.has_perm("scheduling.change_appointment"),
        "may_send_links": user.has_perm("clinic.add_patientlink"),
        "here": request.get_full_path(),
    }
    return render(request, "pages/day_sheet.html", context)
