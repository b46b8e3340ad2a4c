"""The app's URLs plus the floor view."""

from django.urls import path

from bench import peers
from bench.views import floor
from clinic.urls import handler403, handler404, handler500
from clinic.urls import urlpatterns as clinic_urlpatterns

urlpatterns = [
    path("bench/floor/", floor, name="bench-floor"),
    path("bench/peer/patients/<int:pk>/", peers.chart, name="peer-chart"),
    path("bench/peer/patients/", peers.patient_search, name="peer-patient-search"),
    path("bench/peer/", peers.dashboard, name="peer-dashboard"),
    path("bench/peer/schedule/", peers.day_sheet, name="peer-day-sheet"),
    *clinic_urlpatterns,
]

__all__ = ["handler403", "handler404", "handler500", "urlpatterns"]
