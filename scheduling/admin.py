from django.contrib import admin

from clinic.admin_base import ClinicalRecordAdmin
from scheduling.models import Appointment, Series


@admin.register(Appointment)
class AppointmentAdmin(ClinicalRecordAdmin):
    """Read-only: a booking is made through the schedule's services, which hold its time in the slot rows
    (an admin save would not, and could double-book)."""

    list_display = ["start", "patient", "practitioner", "kind", "status"]
    list_filter = ["status", "kind"]
    list_select_related = ["patient", "practitioner"]
    date_hierarchy = "start"


@admin.register(Series)
class SeriesAdmin(ClinicalRecordAdmin):
    list_display = ["dtstart", "patient", "rrule"]
    list_select_related = ["patient"]
