from django.urls import path

from records import views

app_name = "records"

urlpatterns = [
    path("patients/<int:pk>/record/", views.patient_record_view, name="patient-record"),
    path("plans/<int:plan_pk>/progress-report/", views.progress_report_create, name="progress-report-create"),
    path("progress-reports/<int:pk>/", views.progress_report_detail, name="progress-report-detail"),
    path("progress-reports/<int:pk>/pdf/", views.progress_report_pdf, name="progress-report-pdf"),
    path("patients/<int:pk>/record.fhir.json", views.patient_fhir, name="patient-fhir"),
    path("records/fhir-bulk.zip", views.bulk_fhir, name="fhir-bulk"),
]
