"""The floor: the fastest a signed-in staff page can be here.

Same middleware stack as every staff page (session, auth, OTP, two-factor, CSRF, CSP, auditlog
context, axes), login required, one indexed query (a primary-key lookup) and a tiny template.
"""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from clinic.models import Patient


@require_safe
@login_required
def floor(request: HttpRequest) -> HttpResponse:
    pk = int(request.GET.get("pk") or 1)
    row = Patient.objects.filter(pk=pk).values("chart_number").first()
    return render(request, "bench/floor.html", {"chart_number": row["chart_number"] if row else ""})
