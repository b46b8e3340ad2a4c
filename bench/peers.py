"""Peers: the benchmark's pages as a team would first write them in plain, idiomatic Django (issue 18's
yardstick, bench/RESULTS.md). Each reads the same records as the app's page, with select_related and
prefetch_related, through the same location filter (`visible_to`), and renders them with a plain Django
template ({% url %} and |date on every row). No hand tuning: that is the point of a peer.
"""

from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_safe

from clinic.models import Patient
from intake.models import Alert, Referral
from outcomes.models import Questionnaire
from scheduling.models import Appointment
from treatments.models import Session, TreatmentPlan


@require_safe
@login_required
def chart(request, pk: int):
    patient = get_object_or_404(Patient.objects.visible_to(request.user), pk=pk)
    context = {
        "patient": patient,
        "intake": patient.intakes.order_by("-created_at").first(),
        "plans": patient.plans.select_related("practitioner").order_by("-start_date")[:5],
        "sessions": patient.sessions.select_related("practitioner")
        .prefetch_related("points__point")
        .order_by("-started_at")[:30],
        "questionnaires": patient.questionnaires.filter(submitted_at__isnull=False).order_by("due_date"),
        "referrals": patient.referrals.order_by("-opened_at"),
        "alerts": patient.alerts.filter(acknowledged_at__isnull=True),
        "appointments": patient.appointments.select_related("practitioner").order_by("-start")[:20],
    }
    return render(request, "bench/peer_chart.html", context)


@require_safe
@login_required
def patient_search(request):
    query = request.GET.get("q", "").strip()
    patients = Patient.objects.visible_to(request.user).filter(is_active=True)
    for word in query.split():
        patients = patients.filter(
            Q(family_name__istartswith=word) | Q(given_name__istartswith=word) | Q(chart_number__iexact=word)
        )
    page = Paginator(patients.order_by("family_name", "given_name", "pk"), 25).get_page(request.GET.get("page"))
    return render(request, "bench/peer_patient_list.html", {"page": page, "query": query})


@require_safe
@login_required
def dashboard(request):
    user, today = request.user, timezone.localdate()
    context = {
        "referrals": Referral.objects.visible_to(user).open().select_related("patient").order_by("opened_at")[:15],
        "alerts": Alert.objects.visible_to(user).open().select_related("patient").order_by("opened_at")[:15],
        "overdue": Questionnaire.objects.visible_to(user).overdue(today).select_related("patient")[:15],
        "sessions": Session.objects.visible_to(user)
        .select_related("patient", "practitioner")
        .order_by("-started_at")[:15],
        "reviews": TreatmentPlan.objects.visible_to(user).reviews_due().select_related("patient")[:15],
    }
    return render(request, "bench/peer_dashboard.html", context)


@require_safe
@login_required
def day_sheet(request):
    day = timezone.localdate()
    if value := request.GET.get("day"):
        day = timezone.datetime.fromisoformat(value).date()
    start = timezone.make_aware(timezone.datetime.combine(day, timezone.datetime.min.time()))
    visits = (
        Appointment.objects.visible_to(request.user)
        .filter(start__gte=start, start__lt=start + timedelta(days=1))
        .select_related("patient", "practitioner", "location")
        .order_by("practitioner", "start")
    )
    return render(request, "bench/peer_day_sheet.html", {"day": day, "visits": visits})
