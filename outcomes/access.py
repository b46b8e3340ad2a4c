"""Access helpers for questionnaires: 404 when the record does not exist, 403 without the permission."""

from django.shortcuts import get_object_or_404

from clinic.access import require_perm
from outcomes.models import Questionnaire


def get_questionnaire_for(user, pk: int) -> Questionnaire:
    require_perm(user, "outcomes.view_questionnaire")
    questionnaires = Questionnaire.objects.visible_to(user).select_related("patient", "plan", "entered_by")
    return get_object_or_404(questionnaires, pk=pk)
