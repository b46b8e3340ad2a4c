import ipaddress

from auditlog.admin import LogEntryAdmin
from auditlog.models import LogEntry
from django.contrib import admin
from django.contrib.admin.views.main import ERROR_FLAG
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import Group, User
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from clinic.audit import RecordViewAdminMixin, readable_changes, record_list
from clinic.formats import on_clock
from clinic.locations import clock_of, scope_of
from clinic.models import Location, Patient, StaffProfile
from clinic.roles import ROLE_PERMISSIONS
from clinic.services import add_location
from clinic.staff import name_shared, staff_label


@admin.register(Patient)
class PatientAdmin(RecordViewAdminMixin, admin.ModelAdmin):
    list_display = ["chart_number", "family_name", "given_name", "date_of_birth", "phone", "is_active"]
    list_filter = ["is_active", "sex"]
    search_fields = ["chart_number", "family_name", "given_name", "phone_digits"]
    readonly_fields = ["chart_number", "created_at", "updated_at"]

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)

    def get_search_results(self, request, queryset, search_term):
        # The registry's own search (Patient.objects.search): accents, apostrophes and case aside, as staff type.
        if not search_term.strip():
            return queryset, False
        return queryset.search(search_term), False

    def get_exclude(self, request, obj=None):
        # A clinic with one location never names it (clinic.locations).
        return None if scope_of(request.user).several else ["location"]


@admin.register(Location)
class LocationAdmin(admin.ModelAdmin):
    """A group's locations, set up by the manager: the details letters and superbills print, the clock, the beds.
    Opening hours are set on the schedule settings page. Never deleted: the records keep where they happened."""

    list_display = ["name", "address", "phone", "time_zone", "beds"]
    search_fields = ["name"]

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
        else:
            add_location(location=obj)  # the second location puts everyone at the first

    def has_delete_permission(self, request, obj=None):
        return False


class StaffProfileInline(admin.StackedInline):
    model = StaffProfile
    can_delete = False
    filter_horizontal = ["locations"]


class StaffUserAdmin(UserAdmin):
    """Superusers manage every account; a manager (auth.change_user) manages staff accounts only.

    A manager creates accounts, gives them one of the role groups, resets their passwords and
    deactivates them. Who may use the admin, superuser status and single permissions stay with
    superusers. Superuser accounts are invisible to everyone else, and an account holding access a
    manager cannot give (a single permission, a group that is not a role) is read-only to them, so
    that no password reset takes over more access than the manager has.
    """

    inlines = [StaffProfileInline]
    list_display = ["username", "first_name", "last_name", "email", "is_active", "last_login"]
    manager_fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("Personal info", {"fields": ("first_name", "last_name", "email")}),
        ("Role and access", {"fields": ("is_active", "groups", "is_staff")}),
        ("Important dates", {"fields": ("last_login", "date_joined")}),
    )

    def get_queryset(self, request):
        users = super().get_queryset(request)
        # Not listed, not opened, no password change: the admin answers as for a missing account.
        return users if request.user.is_superuser else users.filter(is_superuser=False)

    def has_change_permission(self, request, obj=None):
        if obj is not None and not request.user.is_superuser and self._beyond_roles(obj):
            return False
        return super().has_change_permission(request, obj)

    @staticmethod
    def _beyond_roles(user) -> bool:
        # Asked several times per page for the same instance: read once.
        if not hasattr(user, "_beyond_roles"):
            user._beyond_roles = (
                user.is_superuser
                or user.user_permissions.exists()
                or user.groups.exclude(name__in=ROLE_PERMISSIONS).exists()
            )
        return user._beyond_roles

    def get_fieldsets(self, request, obj=None):
        if obj is None or request.user.is_superuser:
            return super().get_fieldsets(request, obj)
        return self.manager_fieldsets

    def get_readonly_fields(self, request, obj=None):
        if obj is None or request.user.is_superuser:
            return super().get_readonly_fields(request, obj)
        readonly = ["is_staff", "last_login", "date_joined"]
        if obj.pk == request.user.pk:
            # No changing one's own role, and no locking oneself out.
            readonly += ["is_active", "groups"]
        return readonly

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "groups" and not request.user.is_superuser:
            kwargs["queryset"] = Group.objects.filter(name__in=ROLE_PERMISSIONS).order_by("name")
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def has_delete_permission(self, request, obj=None):
        # Staff who leave are deactivated: their notes, signatures and audit entries keep their name.
        return False


def _rendered(response):
    """A template response rendered now, inside the clock it was made on (it would render after the view)."""
    return response.render() if isinstance(response, TemplateResponse) else response


class AppendOnlyLogEntryAdmin(LogEntryAdmin):
    """The audit trail can be read in the admin, never changed or deleted (not even by cascade).

    Reading its list is itself recorded (it names patients); an address filter that is no address is
    the admin's "invalid filter" page, not an error.
    """

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(actor_name_shared=name_shared("actor"))

    @admin.display(description="When", ordering="timestamp")
    def created(self, obj):
        # On the clock the page is rendered on (changelist_view, change_view), named: "Dec 1, 2026 14:05:03 CST".
        return on_clock(obj.timestamp, timezone.get_current_timezone())

    @admin.display(description="User")
    def user_url(self, obj):
        if obj.actor is None:
            return "system"
        label = staff_label(obj.actor, shared=getattr(obj, "actor_name_shared", False))
        return format_html('<a href="{}">{}</a>', reverse("admin:auth_user_change", args=[obj.actor.pk]), label)

    @admin.display(description="Changes")
    def msg(self, obj):
        # As the audit log page reads them: labels, choices by name, times on the clock.
        rows = readable_changes(obj)
        if not rows:
            return ""
        body = format_html_join("", "<tr><th>{}</th><td>{}</td><td>{}</td></tr>", rows)
        return format_html(
            "<table><thead><tr><th>Field</th><th>Before</th><th>After</th></tr></thead><tbody>{}</tbody></table>", body
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        with timezone.override(clock_of(request.user)):
            return _rendered(super().change_view(request, object_id, form_url, extra_context))

    def changelist_view(self, request, extra_context=None):
        with timezone.override(clock_of(request.user)):
            return _rendered(self._changelist_view(request, extra_context))

    def _changelist_view(self, request, extra_context=None):
        for key, value in request.GET.items():
            if key.split("__")[0] == "remote_addr" and key in {"remote_addr", "remote_addr__exact"}:
                try:
                    ipaddress.ip_address(value)
                except ValueError:
                    return HttpResponseRedirect(f"{request.path}?{ERROR_FLAG}=1")
        response = super().changelist_view(request, extra_context)
        changelist = (getattr(response, "context_data", None) or {}).get("cl")
        if request.method == "GET" and response.status_code == 200 and changelist is not None:
            record_list(
                LogEntry,
                page="Admin list of audit entries",
                rows=list(changelist.result_list),
                patient_of=lambda entry: (entry.additional_data or {}).get("patient_id"),
            )
        return response


admin.site.unregister(User)
admin.site.register(User, StaffUserAdmin)
admin.site.unregister(LogEntry)
admin.site.register(LogEntry, AppendOnlyLogEntryAdmin)
admin.site.site_header = "Clinic administration"
