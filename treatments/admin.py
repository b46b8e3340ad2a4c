from django.contrib import admin

from clinic.admin_base import ClinicalRecordAdmin, ClinicalRowInline
from treatments.models import (
    Addendum,
    AdverseEvent,
    ElectroPair,
    Fee,
    Payment,
    Point,
    Protocol,
    ProtocolPoint,
    Session,
    SessionPoint,
    TreatmentPlan,
)


@admin.register(Fee)
class FeeAdmin(admin.ModelAdmin):
    list_display = ["cpt_code", "amount"]


@admin.register(Point)
class PointAdmin(admin.ModelAdmin):
    list_display = ["code", "pinyin", "hanzi", "english", "region"]
    list_filter = ["meridian", "region"]
    search_fields = ["code", "pinyin", "english"]

    def has_change_permission(self, request, obj=None):
        return False  # reference data: the WHO standard, loaded by migration

    def has_delete_permission(self, request, obj=None):
        return False


class ProtocolPointInline(admin.TabularInline):
    model = ProtocolPoint
    autocomplete_fields = ["point"]
    extra = 1


@admin.register(Protocol)
class ProtocolAdmin(admin.ModelAdmin):
    list_display = ["name", "owner"]
    inlines = [ProtocolPointInline]


@admin.register(TreatmentPlan)
class TreatmentPlanAdmin(ClinicalRecordAdmin):
    list_display = ["start_date", "patient", "practitioner", "status", "session_count", "planned_sessions"]
    list_select_related = ["patient", "practitioner"]
    list_filter = ["status"]


class SessionPointInline(ClinicalRowInline):
    model = SessionPoint
    fields = ["point", "side", "technique", "retention_minutes", "depth_mm", "de_qi"]


class ElectroPairInline(ClinicalRowInline):
    model = ElectroPair


class AdverseEventInline(ClinicalRowInline):
    model = AdverseEvent


class AddendumInline(ClinicalRowInline):
    model = Addendum


class PaymentInline(ClinicalRowInline):
    """Payments are recorded from the superbill page; the admin shows them."""

    model = Payment
    fields = ["paid_on", "method", "amount", "recorded_by"]


@admin.register(Session)
class SessionAdmin(ClinicalRecordAdmin):
    list_display = ["started_at", "patient", "practitioner", "signed_at"]
    list_select_related = ["patient", "practitioner"]
    inlines = [SessionPointInline, ElectroPairInline, AdverseEventInline, AddendumInline, PaymentInline]
