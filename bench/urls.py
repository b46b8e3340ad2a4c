"""The app's URLs plus the floor view."""

from django.urls import path

from bench.views import floor
from clinic.urls import handler403, handler404, handler500
from clinic.urls import urlpatterns as clinic_urlpatterns

urlpatterns = [path("bench/floor/", floor, name="bench-floor"), *clinic_urlpatterns]

__all__ = ["handler403", "handler404", "handler500", "urlpatterns"]
