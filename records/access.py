"""Access helpers for records: 404 where the user may not see it, 403 without the permission."""

from django.shortcuts import get_object_or_404

from clinic.access import require_perm
from records.models import ProgressReport


def get_progress_report_for(user, pk: int) -> ProgressReport:
    """An issued progress report in the user's locations, with what printing it reads (clinical text:
    acupuncturists and managers)."""
    require_perm(user, "records.view_progressreport")
    reports = ProgressReport.objects.visible_to(user).select_related(
        "patient", "plan__patient__location", "author__staff_profile"
    )
    return get_object_or_404(reports, pk=pk)
