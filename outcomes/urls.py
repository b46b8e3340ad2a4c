from django.urls import path

from outcomes import views

app_name = "outcomes"

urlpatterns = [
    path("p/questionnaire/", views.patient_form, name="patient-form"),
    path("patients/<int:patient_pk>/responses/new/", views.response_create, name="response-create"),
    path("responses/<int:pk>/", views.response_detail, name="response-detail"),
    path("responses/<int:pk>/link/", views.response_link_create, name="response-link-create"),
    path("reports/outcomes/", views.outcomes_report, name="report"),
    path("reports/outcomes.csv", views.outcomes_report_csv, name="report-csv"),
]
