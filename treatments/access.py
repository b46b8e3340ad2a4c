"""Access helpers for plans and sessions: 404 when missing, 403 without the permission."""

from django.shortcuts import get_object_or_404

from clinic.access import require_perm
from treatments.models import Session, TreatmentPlan


def get_plan_for(user, pk: int) -> TreatmentPlan:
    require_perm(user, "treatments.view_treatmentplan")
    return get_object_or_404(TreatmentPlan.objects.visible_to(user).select_related("patient", "practitioner"), pk=pk)


def get_session_for(user, pk: int, perm: str = "treatments.view_session") -> Session:
    require_perm(user, perm)
    return get_object_or_404(
        Session.objects.visible_to(user).select_related("plan", "patient", "practitioner__staff_profile", "signed_by"),
        pk=pk,
    )
