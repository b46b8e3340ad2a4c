"""The admin's view of clinical records: read-only for everyone, superusers included.

See docs/architecture.md, "Roles and access".

Intakes, referrals, alerts, plans, sessions and their rows, and questionnaire answers are made only
through the clinical forms and services, which apply the safety rules (a red flag stops needling, a
contraindication stops the save) and write the audit trail. The admin may show them, never change them.
"""

from django.contrib import admin

from clinic.audit import RecordViewAdminMixin


class ReadOnlyMixin:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ClinicalRecordAdmin(ReadOnlyMixin, RecordViewAdminMixin, admin.ModelAdmin):
    """A clinical record's admin: lists and read-only pages, each opened record audited as a read, of the
    user's locations' patients only."""

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)


class ClinicalRowInline(ReadOnlyMixin, admin.TabularInline):
    """Rows of a clinical record (points, consents...), shown read-only beside it."""

    extra = 0
    can_delete = False
