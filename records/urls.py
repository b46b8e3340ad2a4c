from django.urls import path

from records import views

app_name = "records"

urlpatterns = [
    path("patients/<int:pk>/record/", views.patient_record_view, name="patient-record"),
]
