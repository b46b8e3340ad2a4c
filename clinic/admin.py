from auditlog.admin import LogEntryAdmin
from auditlog.models import LogEntry
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import User

from clinic.models import Patient, StaffProfile


@admin.register(Patient)
class PatientAdmin(admin.ModelAdmin):
    list_display = ["chart_number", "family_name", "given_name", "date_of_birth", "phone", "is_active"]
    list_filter = ["is_active", "sex"]
    search_fields = ["chart_number", "family_name", "given_name", "phone_digits"]
    readonly_fields = ["chart_number", "created_at", "updated_at"]


class StaffProfileInline(admin.StackedInline):
    model = StaffProfile
    can_delete = False


class StaffUserAdmin(UserAdmin):
    inlines = [StaffProfileInline]
    list_display = ["username", "first_name", "last_name", "email", "is_active", "last_login"]

    def has_delete_permission(self, request, obj=None):
        # Staff who leave are deactivated: their notes, signatures and audit entries keep their name.
        return False


class AppendOnlyLogEntryAdmin(LogEntryAdmin):
    """The audit trail can be read in the admin, never changed or deleted (not even by cascade)."""

    def has_delete_permission(self, request, obj=None):
        return False


admin.site.unregister(User)
admin.site.register(User, StaffUserAdmin)
admin.site.unregister(LogEntry)
admin.site.register(LogEntry, AppendOnlyLogEntryAdmin)
admin.site.site_header = "Clinic administration"
