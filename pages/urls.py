from django.urls import path

from pages import views

app_name = "pages"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("patients/<int:pk>/", views.patient_detail, name="patient-detail"),
    path("schedule/", views.day_sheet, name="day-sheet"),
]
