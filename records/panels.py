"""The plan page's progress reports panel (registered in RecordsConfig.ready; treatments.panels)."""

from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe


def plan_progress_panel(request, plan) -> SafeString:
    """The plan's issued progress reports and the way to write one, for those who may read them (one query)."""
    if not request.user.has_perm("records.view_progressreport"):
        return mark_safe("")
    reports = list(plan.progress_reports.select_related("author").order_by("-created_at", "-pk")[:10])
    context = {"plan": plan, "reports": reports}
    return render_to_string("records/plan_progress_panel.html", context, request=request)
