from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "scheduling"

    def ready(self):
        from scheduling.panels import plan_course_panel
        from treatments.panels import register_plan_panel

        register_plan_panel(plan_course_panel)
