"""Access helpers for intake records: 404 when the record does not exist or is another location's patient's,
403 without the permission."""

from django.shortcuts import get_object_or_404

from clinic.access import require_perm
from intake.models import Alert, Intake, Referral


def get_intake_for(user, pk: int) -> Intake:
    require_perm(user, "intake.view_intake")
    return get_object_or_404(Intake.objects.visible_to(user).select_related("patient"), pk=pk)


def get_referral_for(user, pk: int) -> Referral:
    require_perm(user, "intake.view_referral")
    referrals = Referral.objects.visible_to(user).select_related("patient", "closed_by", "opened_by")
    return get_object_or_404(referrals, pk=pk)


def get_alert_for(user, pk: int) -> Alert:
    """An alert of a patient the user may see; 404 for any other, as for one that does not exist."""
    require_perm(user, "intake.view_alert")
    alerts = Alert.objects.visible_to(user).select_related("patient", "referral", "practitioner", "acknowledged_by")
    return get_object_or_404(alerts, pk=pk)
