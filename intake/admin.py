from django.contrib import admin

from clinic.admin_base import ClinicalRecordAdmin, ClinicalRowInline
from intake.models import Alert, ClinicalAssessment, Consent, Intake, Referral


class ConsentInline(ClinicalRowInline):
    model = Consent


@admin.register(Intake)
class IntakeAdmin(ClinicalRecordAdmin):
    list_display = ["created_at", "patient", "source", "reviewed_at"]
    list_select_related = ["patient"]
    list_filter = ["source"]
    inlines = [ConsentInline]


@admin.register(ClinicalAssessment)
class ClinicalAssessmentAdmin(ClinicalRecordAdmin):
    list_display = ["intake", "assessed_by", "assessed_at"]
    list_select_related = ["intake__patient", "assessed_by"]


@admin.register(Referral)
class ReferralAdmin(ClinicalRecordAdmin):
    list_display = ["opened_at", "patient", "reason", "is_emergency", "closed_at", "outcome"]
    list_select_related = ["patient"]


@admin.register(Alert)
class AlertAdmin(ClinicalRecordAdmin):
    list_display = ["opened_at", "patient", "kind", "severity", "notified_at", "escalated_at", "acknowledged_at"]
    list_select_related = ["patient"]
    list_filter = ["kind", "severity"]
