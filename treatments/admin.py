from django.contrib import admin

from clinic.audit import RecordViewAdminMixin
from treatments.models import Fee, Point, Protocol, ProtocolPoint, Session, SessionPoint


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


class SessionPointInline(admin.TabularInline):
    model = SessionPoint
    extra = 0

    def has_change_permission(self, request, obj=None):
        return obj is None or not obj.is_signed

    def has_add_permission(self, request, obj=None):
        return obj is None or not obj.is_signed

    def has_delete_permission(self, request, obj=None):
        return obj is None or not obj.is_signed


@admin.register(Session)
class SessionAdmin(RecordViewAdminMixin, admin.ModelAdmin):
    list_display = ["started_at", "patient", "practitioner", "signed_at"]
    list_select_related = ["patient", "practitioner"]
    inlines = [SessionPointInline]
    readonly_fields = ["signed_at", "signed_by"]

    def has_change_permission(self, request, obj=None):
        # A signed session is read-only here too; the model refuses the save regardless.
        if obj is not None and obj.is_signed:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.is_signed:
            return False
        return super().has_delete_permission(request, obj)
