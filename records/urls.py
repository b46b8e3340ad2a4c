from django.urls import path  # noqa: F401 - the capabilities of issue 19 add their paths here

app_name = "records"

urlpatterns: list = []
