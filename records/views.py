from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from clinic.access import get_patient_for, permission_required
from clinic.audit import record_disclosure
from records.forms import DisclosureForm
from records.patient_record import patient_record, patient_record_pdf


@require_http_methods(["GET", "POST"])
@permission_required("clinic.disclose_record")
def patient_record_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The patient's whole record, on their request: who receives it is asked first and logged with it."""
    patient = get_patient_for(request.user, pk)
    form = DisclosureForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        record = patient_record(patient, recipient=form.disclosed_to)
        record_disclosure(patient, document="Patient's record (PDF)", to=form.disclosed_to)
        response = HttpResponse(patient_record_pdf(record), content_type="application/pdf")
        filename = f"record-{patient.chart_number}-{record.produced_at:%Y%m%d}.pdf"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
    return render(request, "records/patient_record.html", {"patient": patient, "form": form})
