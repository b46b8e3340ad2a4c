"""The core's own pages, in the `clinic` namespace: the patient registry, the audit log, patient links,
signing in (Django's views, with the two-factor steps and backup codes), staff sign-in security (a manager's
reset of a second factor, a lockout lifted) and the health check."""

from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy
from health_check.views import HealthCheckView

from clinic import twofactor, views

app_name = "clinic"

urlpatterns = [
    path("patients/", views.patient_list, name="patient-list"),
    path("patients/new/", views.patient_create, name="patient-create"),
    path("patients/<int:pk>/edit/", views.patient_update, name="patient-update"),
    path("audit/", views.audit_log, name="audit-log"),
    path("locations/shown/", views.location_scope, name="location-scope"),
    path("l/<str:token>/", views.link_open, name="link-open"),
    path("accounts/login/", views.SignInView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "accounts/password/",
        auth_views.PasswordChangeView.as_view(success_url=reverse_lazy("clinic:password_change_done")),
        name="password_change",
    ),
    path("accounts/password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("accounts/stay-signed-in/", views.stay_signed_in, name="stay-signed-in"),
    path("accounts/2fa/setup/", twofactor.twofactor_setup, name="twofactor-setup"),
    path("accounts/2fa/verify/", twofactor.twofactor_verify, name="twofactor-verify"),
    path("accounts/2fa/backup-codes/", twofactor.twofactor_backup_codes, name="twofactor-backup-codes"),
    path("staff/sign-in/", views.staff_signin, name="staff-signin"),
    path("staff/<int:pk>/reset-second-factor/", views.reset_second_factor, name="reset-second-factor"),
    path("staff/<int:pk>/lift-lockout/", views.lift_lockout, name="lift-lockout"),
    path("healthz/", HealthCheckView.as_view(checks=["health_check.checks.Database"]), name="healthz"),
]
