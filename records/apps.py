from django.apps import AppConfig


class RecordsConfig(AppConfig):
    """Records that leave the clinic (issue 19): the FHIR R4 export, the progress report for payers and
    physicians, the patient's own record. It reads every clinical app below it and writes only its own
    rows and their audit entries; only `pages` sits above it."""

    name = "records"
    verbose_name = "Records that leave the clinic"

    def ready(self) -> None:
        from records.panels import plan_progress_panel
        from treatments.panels import register_plan_panel

        register_plan_panel(plan_progress_panel)
