"""The top of the app: pages that bring every app together (the dashboard and the patient chart).

This is the one module in `clinic/` allowed to import the other apps (DESIGN section 4); the
rest of the core never does.
"""

from django.db.models import F, Window
from django.db.models.functions import RowNumber
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from clinic.access import get_patient_for, permission_required
from clinic.audit import record_view
from intake.models import Intake, Referral, ReferralSource, SelfHarmAlert
from outcomes.chart import patient_outcomes
from outcomes.models import Response
from treatments.models import Session, TreatmentPlan, with_point_labels

PANEL_SIZE = 15
# The dashboard lists names, dates and states: read those columns, not whole clinical notes.
PATIENT_COLUMNS = ("patient__id", "patient__given_name", "patient__family_name")
CHART_SESSIONS = 30


@require_safe
@permission_required("clinic.view_patient")
def dashboard(request: HttpRequest) -> HttpResponse:
    user = request.user
    open_referrals = Referral.objects.open().select_related("patient").order_by("opened_at")
    referrals = sorted(open_referrals[:PANEL_SIZE], key=lambda r: (not r.is_emergency, r.opened_at))
    self_harm_alerts = []
    if user.has_perm("intake.view_selfharmalert"):
        self_harm_alerts = list(
            SelfHarmAlert.objects.open().select_related("patient").order_by("raised_at")[:PANEL_SIZE]
        )
    overdue = (
        Response.objects.overdue(timezone.localdate())
        .select_related("patient")
        .only("due_date", "week", "reminded_at", *PATIENT_COLUMNS, "patient__email")
        .order_by("due_date", "id")
    )
    overdue_page = list(overdue[:PANEL_SIZE]) if user.has_perm("clinic.view_patientlink") else []
    context = {
        # Warning signs reported between visits go to the very top of the dashboard.
        "between_visit_referrals": [r for r in referrals if r.source == ReferralSource.QUESTIONNAIRE],
        "open_referrals": referrals,
        "open_referral_count": open_referrals.count() if len(referrals) == PANEL_SIZE else len(referrals),
        "self_harm_alerts": self_harm_alerts,
        "recent_sessions": list(
            Session.objects.select_related("patient", "practitioner")
            .only("started_at", "signed_at", *PATIENT_COLUMNS, "practitioner__first_name", "practitioner__last_name")
            .order_by("-started_at")[:PANEL_SIZE]
        )
        if user.has_perm("treatments.view_session")
        else [],
        "plan_reviews_due": list(
            TreatmentPlan.objects.reviews_due()
            .select_related("patient")
            .only("status", "planned_sessions", "session_count", "review_at_4", "final_review_at", *PATIENT_COLUMNS)
            .order_by("start_date")[:PANEL_SIZE]
        )
        if user.has_perm("treatments.view_treatmentplan")
        else [],
        "overdue_questionnaires": overdue_page,
        "overdue_count": overdue.count() if len(overdue_page) == PANEL_SIZE else len(overdue_page),
    }
    return render(request, "clinic/dashboard.html", context)


@require_safe
@permission_required("clinic.view_patient")
def patient_detail(request: HttpRequest, pk: int) -> HttpResponse:
    patient = get_patient_for(request.user, pk)
    record_view(patient)
    user = request.user
    intakes = []
    if user.has_perm("intake.view_intake"):
        # A patient has a handful of episodes over the years: one read gives the current one and the count.
        intakes = list(Intake.objects.filter(patient=patient).order_by("-created_at", "-id"))
    intake = intakes[0] if intakes else None
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
    context = {
        "patient": patient,
        "plans": plans,
        "sessions": sessions[:CHART_SESSIONS],
        "intake": intake,
        "intake_count": len(intakes),
        "closed_referrals": list(Referral.objects.filter(patient=patient, closed_at__isnull=False)[:5])
        if user.has_perm("intake.view_referral")
        else [],
        "self_harm_alerts": list(SelfHarmAlert.objects.open().filter(patient=patient))
        if user.has_perm("intake.view_selfharmalert")
        else [],
        # The plot marks every session; the list already holds them all unless there are more than it shows.
        "outcomes": patient_outcomes(
            patient, session_times=[s.started_at for s in sessions] if len(sessions) <= CHART_SESSIONS else None
        ),
    }
    return render(request, "clinic/patient_detail.html", context)
