"""The top of the app: pages that bring every app together (the dashboard and the patient chart).

This is the one module in `clinic/` allowed to import the other apps (DESIGN section 4); the
rest of the core never does.
"""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from clinic.access import get_patient_for, permission_required
from clinic.audit import record_view


@require_safe
@permission_required("clinic.view_patient")
def dashboard(request: HttpRequest) -> HttpResponse:
    context = {
        "recent_sessions": [],
        "open_referrals": [],
        "overdue_questionnaires": [],
        "plan_reviews_due": [],
    }
    return render(request, "clinic/dashboard.html", context)


@require_safe
@permission_required("clinic.view_patient")
def patient_detail(request: HttpRequest, pk: int) -> HttpResponse:
    patient = get_patient_for(request.user, pk)
    record_view(patient)
    context = {"patient": patient}
    return render(request, "clinic/patient_detail.html", context)
