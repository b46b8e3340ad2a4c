"""Access helpers for intake records: 404 when the record does not exist, 403 without the permission."""

from django.shortcuts import get_object_or_404

from clinic.access import require_perm, visible_patients
from intake.models import Alert, Intake, Referral


def get_intake_for(user, pk: int) -> Intake:
    require_perm(user, "intake.view_intake")
    return get_object_or_404(Intake.objects.select_related("patient"), pk=pk)


def get_referral_for(user, pk: int) -> Referral:
    require_perm(user, "intake.view_referral")
    return get_object_or_404(Referral.objects.select_related("patient", "closed_by", "opened_by"), pk=pk)


def get_alert_for(user, pk: int) -> Alert:
    """An alert of a patient the user may see; 404 for any other, as for one that does not exist."""
    require_perm(user, "intake.view_alert")
    alerts = Alert.objects.select_related("patient", "referral", "practitioner", "acknowledged_by")
    return get_object_or_404(alerts.filter(patient__in=visible_patients(user)), pk=pk)
