"""The FHIR export's downloads: one patient's Bundle (clinicians, managers), the whole clinic (managers)."""

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.views.decorators.http import require_safe

from clinic.access import get_patient_for, permission_required
from clinic.models import Patient
from records import export


def _recipient(request: HttpRequest, default: str) -> str:
    """Who the export is for, as the person downloading it says (`?to=`), for the audit trail."""
    given = " ".join((request.GET.get("to") or "").split())[:200]
    return given or default


@require_safe
@permission_required("clinic.export_fhir")
def patient_fhir(request: HttpRequest, pk: int) -> HttpResponse:
    """The patient's record as a FHIR R4 Bundle (collection), JSON; audited as a disclosure."""
    patient = get_patient_for(request.user, pk)
    to = _recipient(request, f"downloaded by {request.user.get_username()}, recipient not stated")
    response = HttpResponse(export.export_patient(patient=patient, to=to), content_type="application/fhir+json")
    filename = f"record-{patient.chart_number}-{timezone.localdate():%Y%m%d}.fhir.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


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
