from django.contrib import admin

from clinic.audit import RecordViewAdminMixin
from outcomes.models import Response


@admin.register(Response)
class ResponseAdmin(RecordViewAdminMixin, admin.ModelAdmin):
    list_display = ["patient", "due_date", "week", "kind", "odi_score", "submitted_at", "source"]
    list_filter = ["kind", "source"]
    raw_id_fields = ["patient", "plan", "entered_by"]
    date_hierarchy = "due_date"

    def has_change_permission(self, request, obj=None):
        # Submitted answers are the patient's record: read-only here, as in the app.
        return super().has_change_permission(request, obj) and (obj is None or not obj.is_submitted)
