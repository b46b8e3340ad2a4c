from django.apps import AppConfig


class IntakeConfig(AppConfig):
    name = "intake"

    def ready(self):
        from clinic.links import register_purpose
        from intake.services import INTAKE_LINK

        register_purpose(INTAKE_LINK)
