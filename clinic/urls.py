"""The project's URLs: each app's own, by name (the wiring imports none of them, docs/architecture.md)."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("pages.urls")),
    path("", include("clinic.core_urls")),
    path("", include("intake.urls")),
    path("", include("treatments.urls")),
    path("", include("scheduling.urls")),
    path("", include("outcomes.urls")),
    path("", include("records.urls")),
    path("admin/", admin.site.urls),
]

handler403 = "clinic.errors.permission_denied"
handler404 = "clinic.errors.not_found"
handler500 = "clinic.errors.server_error"
