from django.apps import AppConfig


class PagesConfig(AppConfig):
    """The top layer: the pages that show every app at once (the dashboard, the patient chart) and the demo
    clinic. Only this app imports every other (docs/architecture.md); nothing imports it."""

    name = "pages"
    verbose_name = "Pages"
