from django.urls import path

from records import views

app_name = "records"

urlpatterns = [
    path("patients/<int:pk>/record.fhir.json", views.patient_fhir, name="patient-fhir"),
    path("records/fhir-bulk.zip", views.bulk_fhir, name="fhir-bulk"),
]
