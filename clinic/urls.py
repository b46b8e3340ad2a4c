from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from health_check.views import HealthCheckView

from clinic import pages, twofactor, views

urlpatterns = [
    path("", pages.dashboard, name="dashboard"),
    path("patients/", views.patient_list, name="patient-list"),
    path("patients/new/", views.patient_create, name="patient-create"),
    path("patients/<int:pk>/", pages.patient_detail, name="patient-detail"),
    path("patients/<int:pk>/edit/", views.patient_update, name="patient-update"),
    path("audit/", views.audit_log, name="audit-log"),
    path("l/<str:token>/", views.link_open, name="link-open"),
    path("accounts/login/", views.SignInView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("accounts/password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("accounts/stay-signed-in/", views.stay_signed_in, name="stay-signed-in"),
    path("accounts/2fa/setup/", twofactor.twofactor_setup, name="twofactor-setup"),
    path("accounts/2fa/verify/", twofactor.twofactor_verify, name="twofactor-verify"),
    path("healthz/", HealthCheckView.as_view(checks=["health_check.checks.Database"]), name="healthz"),
    path("", include("intake.urls")),
    path("", include("treatments.urls")),
    path("", include("outcomes.urls")),
    path("admin/", admin.site.urls),
]

handler403 = "clinic.errors.permission_denied"
handler404 = "clinic.errors.not_found"
handler500 = "clinic.errors.server_error"
