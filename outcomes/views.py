import csv
from datetime import date

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from clinic.access import get_patient_for, permission_required
from clinic.audit import record_export, record_view
from clinic.links import close_link_session, invalid_link_page, link_for_session, patient_page
from clinic.models import LinkPurpose
from outcomes import report, services
from outcomes.forms import PaperResponseForm, ResponseForm
from outcomes.models import Response
from outcomes.qr import qr_svg
from outcomes.questionnaires import cauda_equina_intro, odi, urgent_instructions
from outcomes.scoring import odi_band
from treatments.models import TreatmentPlan

SUBMITTED_KEY = "questionnaire_submitted"
# What the blank questionnaire page reads of its row.
BLANK_FORM_COLUMNS = ("patient_id", "submitted_at", "includes_phq9")


def get_response_for(user, pk: int) -> Response:
    return get_object_or_404(Response.objects.select_related("patient", "plan", "entered_by"), pk=pk)


# --- the patient's form ---------------------------------------------------------------------


def _done(request: HttpRequest, response: Response | None, *, urgent: bool) -> HttpResponse:
    context = {"urgent": urgent, "instructions": urgent_instructions(), "response": response}
    return render(request, "outcomes/patient_done.html", context)


@require_http_methods(["GET", "POST"])
@patient_page
def patient_form(request: HttpRequest) -> HttpResponse:
    link = link_for_session(request, LinkPurpose.QUESTIONNAIRE)
    if link is None:
        done = request.session.get(SUBMITTED_KEY)
        if done is not None:
            return _done(request, None, urgent=done["urgent"])
        return invalid_link_page(request)
    rows = Response.objects.filter(pk=link.subject_id, patient=link.patient)
    if request.method == "GET":
        rows = rows.only(*BLANK_FORM_COLUMNS)  # a submit needs the whole row: it is written and audited
    response = rows.first()
    if response is None or response.is_submitted:
        close_link_session(request)
        return invalid_link_page(request)
    response.patient = link.patient  # the row the link read, not another query
    form = ResponseForm(request.POST, includes_phq9=response.includes_phq9) if request.method == "POST" else None
    if form is not None and form.is_valid():
        result = services.submit_response(response=response, answers=form.answers(), source="online", link=link)
        close_link_session(request)
        urgent = bool(result and result[0].cauda_equina_positive)
        request.session[SUBMITTED_KEY] = {"urgent": urgent}
        return _done(request, result[0] if result else None, urgent=urgent)
    context = {
        "form": form,
        # The blank form is built only when its cached rendering has expired.
        "blank_form": SimpleLazyObject(lambda: ResponseForm(includes_phq9=response.includes_phq9)),
        "first_name": link.patient.given_name,
        "response": response,
        "odi": odi(),
        "cauda_equina_intro": cauda_equina_intro(),
    }
    return render(request, "outcomes/patient_form.html", context, status=400 if form is not None else 200)


# --- staff ----------------------------------------------------------------------------------


@require_POST
@permission_required("clinic.add_patientlink")
def response_link_create(request: HttpRequest, pk: int) -> HttpResponse:
    response = get_response_for(request.user, pk)
    if response.is_submitted:
        messages.info(request, "This questionnaire has already been answered.")
        return redirect("patient-detail", response.patient_id)
    link, url, emailed = services.send_link(
        response=response,
        user=request.user,
        email=request.POST.get("email") == "1",
        build_url=lambda token: request.build_absolute_uri(reverse("link-open", args=[token])),
    )
    context = {
        "patient": response.patient,
        "response": response,
        "link": link,
        "url": url,
        "emailed": emailed,
        "qr": qr_svg(url),
    }
    page = render(request, "outcomes/response_link.html", context)
    page["Cache-Control"] = "no-store"  # the page holds a working link
    return page


@require_http_methods(["GET", "POST"])
@permission_required("outcomes.add_response")
def response_create(request: HttpRequest, patient_pk: int) -> HttpResponse:
    patient = get_patient_for(request.user, patient_pk)
    initial = {"due_date": request.GET.get("due") or timezone.localdate()}
    form = PaperResponseForm(request.POST or None, initial=initial, patient=patient)
    if request.method == "POST" and form.is_valid():
        response = services.paper_response(
            patient=patient, due_date=form.cleaned_data["due_date"], answers=form.answers(), user=request.user
        )
        if response is None:
            form.add_error("due_date", "A questionnaire for this due date has already been entered.")
        else:
            if response.cauda_equina_positive:
                messages.error(request, "Cauda equina warning sign reported: an urgent referral is now open.")
            if request.user.has_perm("outcomes.view_response"):
                score = "incomplete" if response.odi_score is None else f"{response.odi_score} %"
                messages.success(request, f"Paper questionnaire saved (ODI {score}).")
            else:
                # The front desk enters paper forms; scores are read on the clinical chart.
                messages.success(request, "Paper questionnaire saved.")
            return redirect(f"{reverse('patient-detail', args=[patient.pk])}#outcomes")
    context = {"form": form, "patient": patient, "odi": odi(), "cauda_equina_intro": cauda_equina_intro()}
    return render(request, "outcomes/response_form.html", context)


@require_safe
@permission_required("outcomes.view_response")
def response_detail(request: HttpRequest, pk: int) -> HttpResponse:
    response = get_response_for(request.user, pk)
    record_view(response)
    definition = odi()
    sections = [
        (section.title, answer, section.statements[answer] if answer is not None else None)
        for section, answer in zip(definition.sections, response.odi_answers, strict=True)
    ]
    context = {
        "response": response,
        "patient": response.patient,
        "sections": sections,
        "band": odi_band(response.odi_score) if response.odi_score is not None else None,
        "cauda_equina": list(
            zip(ResponseForm().cauda_equina_fields(), response.cauda_equina_answers.values(), strict=True)
        ),
    }
    return render(request, "outcomes/response_detail.html", context)


# --- the clinic report ----------------------------------------------------------------------


def _report_filters(request: HttpRequest) -> report.ReportFilterForm:
    form = report.ReportFilterForm(request.GET or None)
    form.is_valid()
    return form


@require_safe
@permission_required("outcomes.view_report")
def outcomes_report(request: HttpRequest) -> HttpResponse:
    form = _report_filters(request)
    figures = report.clinic_outcomes(**form.filters())
    context = {"form": form, "figures": figures, "benchmarks": report.BENCHMARKS, "query": request.GET.urlencode()}
    return render(request, "outcomes/report.html", context)


@require_safe
@permission_required("outcomes.view_report")
def outcomes_report_csv(request: HttpRequest) -> HttpResponse:
    form = _report_filters(request)
    if form.is_bound and not form.is_valid():
        # Never the whole clinic in place of a selection that did not parse: the report page says why.
        return redirect(f"{reverse('outcomes:report')}?{request.GET.urlencode()}")
    filters = form.filters()
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="outcomes-{date.today():%Y%m%d}.csv"'
    response["Cache-Control"] = "no-store"  # patient names and scores
    writer = csv.writer(response)
    writer.writerow(["patient", "chart number", "practitioner", "plan start", "baseline ODI", "week-8 ODI", "change %"])
    chart_numbers = []
    for row in report.cohort_rows(**filters):
        writer.writerow(row)
        chart_numbers.append(row[1])
    record_export(
        TreatmentPlan,
        description=_export_description(filters, len(chart_numbers)),
        export="outcomes-report-csv",
        filters={key: value.pk if key == "practitioner" else value.isoformat() for key, value in filters.items()},
        chart_numbers=chart_numbers,
    )
    return response


def _export_description(filters: dict, count: int) -> str:
    """What the audit log page shows for the export: how many patients, chosen how."""
    scope = []
    if "start" in filters:
        scope.append(f"plans started from {filters['start']}")
    if "end" in filters:
        scope.append(f"to {filters['end']}")
    if "practitioner" in filters:
        scope.append(f"practitioner {filters['practitioner'].get_full_name()}")
    return f"Outcomes report CSV: {count} patients" + (f" ({', '.join(scope)})" if scope else "")
