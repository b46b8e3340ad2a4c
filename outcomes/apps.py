from django.apps import AppConfig


class OutcomesConfig(AppConfig):
    name = "outcomes"

    def ready(self):
        from clinic.links import register_purpose
        from outcomes.services import QUESTIONNAIRE_LINK

        register_purpose(QUESTIONNAIRE_LINK)
