"""Records that leave the clinic: the progress report (written by the acupuncturist, printed as a page or a PDF for a
payer or physician) and the patient's own record."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_http_methods, require_safe

from clinic.access import get_patient_for, permission_required
from clinic.audit import record_disclosure, record_view
from clinic.pdf import pdf_response
from records import progress, services
from records.access import get_progress_report_for
from records.forms import DisclosureForm, ProgressReportForm
from records.models import ProgressReport
from records.patient_record import patient_record, patient_record_pdf
from treatments.access import get_plan_for


@require_http_methods(["GET", "POST"])
@permission_required("clinic.disclose_record")
def patient_record_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The patient's whole record, on their request: who receives it is asked first and logged with it."""
    patient = get_patient_for(request.user, pk)
    form = DisclosureForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        record = patient_record(patient, recipient=form.disclosed_to)
        record_disclosure(patient, document="Patient's record (PDF)", to=form.disclosed_to)
        filename = f"record-{patient.chart_number}-{record.produced_at:%Y%m%d}.pdf"
        return pdf_response(patient_record_pdf(record), filename, download=True)
    return render(request, "records/patient_record.html", {"patient": patient, "form": form})


@require_http_methods(["GET", "POST"])
@permission_required("records.add_progressreport")
def progress_report_create(request: HttpRequest, plan_pk: int) -> HttpResponse:
    """The assessment form, beside the figures the report will carry as of now."""
    plan = get_plan_for(request.user, plan_pk)
    form = ProgressReportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        report = services.issue_progress_report(plan=plan, user=request.user, **form.cleaned_data)
        messages.success(request, "Progress report issued. Print it or download the PDF for the addressee.")
        return redirect(report)
    record_view(plan)
    draft = ProgressReport(plan=plan, patient=plan.patient, author=request.user, created_at=timezone.now())
    context = {
        "plan": plan,
        "patient": plan.patient,
        "form": form,
        "data": progress.progress_report(draft),
        "earlier": list(plan.progress_reports.select_related("author").order_by("-created_at", "-pk")[:10]),
    }
    return render(request, "records/progress_report_form.html", context, status=400 if form.is_bound else 200)


def _disclose(report: ProgressReport, copy: str) -> None:
    record_disclosure(report, document=f"Progress report ({copy})", to=report.addressee)


@require_safe
@permission_required("records.view_progressreport")
def progress_report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The issued report, print-ready: every view of it is a copy that may leave the clinic."""
    report = get_progress_report_for(request.user, pk)
    data = progress.progress_report(report)
    _disclose(report, "printable page")
    context = {
        "report": report,
        "plan": report.plan,
        "data": data,
        # Drawn by records.progress from numbers and dates only, every label escaped.
        "chart": mark_safe(data.chart_svg),  # noqa: S308
        "odi_scale": progress.ODI_SCALE,
        "pain_scale": progress.PAIN_SCALE,
    }
    response = render(request, "records/progress_report.html", context)
    response["Cache-Control"] = "no-store"
    return response


@require_safe
@permission_required("records.view_progressreport")
def progress_report_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    report = get_progress_report_for(request.user, pk)
    data = progress.progress_report(report)
    _disclose(report, "PDF")
    filename = f"progress-report-{report.plan.patient.chart_number}-{data.issued_at:%Y%m%d}.pdf"
    return pdf_response(progress.progress_report_pdf(data), filename)
