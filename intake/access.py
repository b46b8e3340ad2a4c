"""Access helpers for intake records: 404 when the record does not exist, 403 without the permission."""

from django.shortcuts import get_object_or_404

from clinic.access import require_perm
from intake.models import Intake, Referral, SelfHarmAlert


def get_intake_for(user, pk: int) -> Intake:
    require_perm(user, "intake.view_intake")
    return get_object_or_404(Intake.objects.select_related("patient"), pk=pk)


def get_referral_for(user, pk: int) -> Referral:
    require_perm(user, "intake.view_referral")
    return get_object_or_404(Referral.objects.select_related("patient", "closed_by", "opened_by"), pk=pk)


def get_self_harm_alert_for(user, pk: int) -> SelfHarmAlert:
    require_perm(user, "intake.view_selfharmalert")
    return get_object_or_404(SelfHarmAlert.objects.select_related("patient"), pk=pk)
