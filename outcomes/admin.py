from django.contrib import admin

from clinic.admin_base import ClinicalRecordAdmin
from outcomes.models import Questionnaire


@admin.register(Questionnaire)
class QuestionnaireAdmin(ClinicalRecordAdmin):
    list_display = ["patient", "due_date", "week", "kind", "odi_score", "submitted_at", "source"]
    list_select_related = ["patient"]
    list_filter = ["kind", "source"]
    date_hierarchy = "due_date"
    exclude = ["draft"]  # the patient's answers not yet sent, which staff do not read
