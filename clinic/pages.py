"""The top of the app: pages that bring every app together (the dashboard and the patient chart).

This is the one module in `clinic/` allowed to import the other apps (DESIGN section 4); the
rest of the core never does.
"""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from clinic.access import get_patient_for, permission_required
from clinic.audit import record_view
from intake.models import Intake, Referral, SelfHarmAlert

PANEL_SIZE = 15


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
    context = {
        "open_referrals": referrals,
        "open_referral_count": open_referrals.count() if len(referrals) == PANEL_SIZE else len(referrals),
        "self_harm_alerts": self_harm_alerts,
        "recent_sessions": [],
        "overdue_questionnaires": [],
        "plan_reviews_due": [],
    }
    return render(request, "clinic/dashboard.html", context)


@require_safe
@permission_required("clinic.view_patient")
def patient_detail(request: HttpRequest, pk: int) -> HttpResponse:
    patient = get_patient_for(request.user, pk)
    record_view(patient)
    user = request.user
    intake = None
    if user.has_perm("intake.view_intake"):
        intake = Intake.objects.current_for(patient)
    context = {
        "patient": patient,
        "intake": intake,
        "intake_count": patient.intakes.count() if intake else 0,
        "closed_referrals": list(Referral.objects.filter(patient=patient, closed_at__isnull=False)[:5])
        if user.has_perm("intake.view_referral")
        else [],
        "self_harm_alerts": list(SelfHarmAlert.objects.open().filter(patient=patient))
        if user.has_perm("intake.view_selfharmalert")
        else [],
    }
    return render(request, "clinic/patient_detail.html", context)
