from django.contrib import admin

from clinic.admin_base import ClinicalRecordAdmin
from outcomes.models import Questionnaire


@admin.register(Questionnaire)
class QuestionnaireAdmin(ClinicalRecordAdmin):
    list_display = ["patient", "due_date", "week", "kind", "odi_score", "submitted_at", "source"]
    list_select_related = ["patient"]
    list_filter = ["kind", "source"]
    date_hierarchy = "due_date"
