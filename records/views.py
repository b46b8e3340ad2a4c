"""Records that leave the clinic: the progress report (written by the acupuncturist, printed as a page or a PDF for a
payer or physician), the patient's own record, and the FHIR export (one patient's Bundle for clinicians and
managers, the whole clinic for managers)."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_http_methods, require_safe

from clinic.access import get_patient_for, permission_required
from clinic.audit import record_disclosure, record_view
from clinic.models import Patient
from clinic.pdf import pdf_response
from records import export, progress, services
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


def _recipient(request: HttpRequest, default: str) -> str:
    """Who the export is for, as the person downloading it says (`?to=`), for the audit trail."""
    # Printable characters only: the audit entry is JSON, and PostgreSQL refuses a NUL in it.
    given = " ".join("".join(ch for ch in request.GET.get("to") or "" if ch.isprintable()).split())[:200]
    return given or default


@require_safe
@permission_required("clinic.export_fhir")
def patient_fhir(request: HttpRequest, pk: int) -> HttpResponse:
    """The patient's record as a FHIR R4 Bundle (collection), JSON; audited as a disclosure."""
    patient = get_patient_for(request.user, pk)
    to = _recipient(request, f"downloaded by {request.user.get_username()}, recipient not stated")
    if "recipient" in request.GET:  # from the patient's record page, which asks who receives it
        form = DisclosureForm(request.GET)
        if not form.is_valid():
            return render(request, "records/patient_record.html", {"patient": patient, "form": form}, status=400)
        to = form.disclosed_to
    response = HttpResponse(export.export_patient(patient=patient, to=to), content_type="application/fhir+json")
    filename = f"record-{patient.chart_number}-{timezone.localdate():%Y%m%d}.fhir.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_safe
@permission_required("records.view_progressreport")
def progress_report_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    report = get_progress_report_for(request.user, pk)
    data = progress.progress_report(report)
    _disclose(report, "PDF")
    filename = f"progress-report-{report.plan.patient.chart_number}-{data.issued_at:%Y%m%d}.pdf"
    return pdf_response(progress.progress_report_pdf(data), filename)


@require_safe
@permission_required("clinic.export_fhir_bulk")
def bulk_fhir(request: HttpRequest) -> StreamingHttpResponse:
    """Every patient of the manager's locations as FHIR Bulk Data NDJSON files in one zip, streamed.

    The audit entry names every patient before the first byte is sent.
    """
    patients = Patient.objects.visible_to(request.user)
    export.audit_bulk(patients, to=_recipient(request, f"downloaded by {request.user.get_username()}"))
    response = StreamingHttpResponse(export.zip_stream(patients), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="fhir-bulk-{timezone.localdate():%Y%m%d}.zip"'
    return response
