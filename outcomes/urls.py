from django.urls import path

from outcomes import views

app_name = "outcomes"

urlpatterns = [
    path("p/questionnaire/", views.patient_form, name="patient-form"),
    path("p/questionnaire/warning-signs/", views.patient_warning_signs, name="patient-warning-signs"),
    path("patients/<int:patient_pk>/questionnaires/new/", views.questionnaire_create, name="questionnaire-create"),
    path("questionnaires/<int:pk>/", views.questionnaire_detail, name="questionnaire-detail"),
    path(
        "patients/<int:patient_pk>/questionnaires/<str:due>/link/",
        views.questionnaire_link_create,
        name="questionnaire-link-create",
    ),
    path("reports/outcomes/", views.outcomes_report, name="report"),
    path("reports/outcomes.csv", views.outcomes_report_csv, name="report-csv"),
    path("reports/outcomes-by-location.csv", views.outcomes_by_location_csv, name="report-locations-csv"),
]
