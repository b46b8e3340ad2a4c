"""Access helpers for appointments and for booking a plan's course: 404 when missing, 403 without the permission."""

from django.shortcuts import get_object_or_404

from clinic.access import require_perm
from scheduling.models import Appointment
from treatments.models import TreatmentPlan


def get_appointment_for(user, pk: int, perm: str = "scheduling.view_appointment") -> Appointment:
    require_perm(user, perm)
    return get_object_or_404(
        Appointment.objects.visible_to(user).select_related("patient", "practitioner", "series", "cancelled_by"),
        pk=pk,
    )


def get_plan_to_book(user, pk: int) -> TreatmentPlan:
    """A plan, for booking its course: the front desk may, though it reads no plan's clinical content
    (the booking page shows only its frequency, number of sessions, practitioner and start)."""
    require_perm(user, "scheduling.add_appointment")
    return get_object_or_404(TreatmentPlan.objects.visible_to(user).select_related("patient", "practitioner"), pk=pk)
