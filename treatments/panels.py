"""Panels that apps above treatments add to the plan page, without treatments importing them.

An app registers a function in its `AppConfig.ready` (as apps register patient-link purposes with the
core); the plan page calls each with the request and the plan and shows the HTML it returns. The schedule
adds the course's appointments and adherence this way (scheduling/panels.py).
"""

from collections.abc import Callable

from django.http import HttpRequest
from django.utils.safestring import SafeString

PlanPanel = Callable[[HttpRequest, object], SafeString]
PLAN_PANELS: list[PlanPanel] = []


def register_plan_panel(panel: PlanPanel) -> PlanPanel:
    if panel not in PLAN_PANELS:
        PLAN_PANELS.append(panel)
    return panel


def plan_panels(request: HttpRequest, plan) -> list[SafeString]:
    return [panel(request, plan) for panel in PLAN_PANELS]
