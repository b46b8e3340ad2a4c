import csv
from datetime import date

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from clinic.access import get_patient_for, permission_required
from clinic.audit import record_export, record_view
from clinic.fields import Source
from clinic.links import after_link, close_link_session, finish_link, handout_page, link_for_session, patient_page
from clinic.locations import scope_of
from intake import rules
from intake.rules import CAUDA_EQUINA_KEYS
from outcomes import report, services
from outcomes.access import get_questionnaire_for
from outcomes.forms import (
    STEP_COUNT,
    STEPS,
    WARNING_SIGNS_STEP,
    PaperQuestionnaireForm,
    QuestionnaireForm,
    Step,
    WarningSignsForm,
)
from outcomes.models import Questionnaire
from outcomes.questionnaires import cauda_equina_intro, odi
from outcomes.scoring import odi_band, pgic_asked
from outcomes.summary import refresh_stale_outcomes
from treatments.models import TreatmentPlan

# What the questionnaire's GET pages read of their row: step 1 shows the warning signs already answered,
# the other steps the answers saved so far.
BLANK_FORM_COLUMNS = ("patient_id", "plan_id", "week", "submitted_at", "includes_phq9", "draft", *CAUDA_EQUINA_KEYS)
STEP_BY_KEY = {step.key: step for step in STEPS}


# --- the patient's form ---------------------------------------------------------------------


def _pending_questionnaire(request: HttpRequest, link, *, whole: bool) -> Questionnaire | None:
    """The unanswered questionnaire this browser's link is for (None, and the link session closed, if none)."""
    rows = Questionnaire.objects.filter(pk=link.subject_id, patient=link.patient)
    questionnaire = (rows if whole else rows.only(*BLANK_FORM_COLUMNS)).first()
    if questionnaire is None or questionnaire.is_submitted:
        close_link_session(request)
        return None
    questionnaire.patient = link.patient  # the row the link read, not another query
    return questionnaire


def _as_posted(answers: dict) -> dict[str, str]:
    """Saved answers as a form posts them, to validate again."""
    return {name: "" if value is None else str(value) for name, value in answers.items()}


def _first_unfinished(questionnaire: Questionnaire, questions: dict) -> Step | None:
    """The first of steps 2-4 whose saved answers would not pass its form (None: all of them would)."""
    saved = _as_posted(questionnaire.draft)
    for step in STEPS:
        if not QuestionnaireForm(saved, step=step.key, **questions).is_valid():
            return step
    return None


def _step_page(request, questionnaire, step: Step, form: QuestionnaireForm, questions: dict, *, crisis=False):
    # Thoughts of self-harm answered (and the clinic alerted) show the crisis resources on every step
    # after, whichever way the patient came to it (a redirect included), until the answer is changed.
    crisis = crisis or rules.self_harm_item9(questionnaire.draft) is not None
    context = {
        "form": form,
        "step": step,
        "step_count": STEP_COUNT,
        "asks_pgic": questions["asks_pgic"],
        "first_name": questionnaire.patient.given_name,
        "questionnaire": questionnaire,
        "urgent": bool(questionnaire.cauda_equina_positive),
        "crisis": crisis,
        "odi": odi(),
    }
    return render(request, "outcomes/patient_form.html", context, status=400 if form.is_bound else 200)


def _step_url(number: int) -> str:
    return f"{reverse('outcomes:patient-form')}?step={number}"


@require_http_methods(["GET", "POST"])
@patient_page
def patient_form(request: HttpRequest) -> HttpResponse:
    """The questionnaire in four steps: the warning signs (until they are behind the patient), pain, ODI, the rest.

    Each step posts here with its key; its valid answers are saved on the questionnaire at once (even when
    another needs correcting), and the last step submits them all in one write, validated as one form.
    A GET shows the step asked for (?step=) if the ones before it are done, else the first unfinished one,
    filled in with the answers saved. A post without a step carries the whole form at once.
    """
    link = link_for_session(request, services.QUESTIONNAIRE_LINK)
    questionnaire = _pending_questionnaire(request, link, whole=request.method == "POST") if link else None
    if questionnaire is None:
        return after_link(request, services.QUESTIONNAIRE_LINK)
    asked = request.GET.get("step") if request.method == "GET" else None
    if not questionnaire.warning_signs_done or asked == str(WARNING_SIGNS_STEP.number):
        if request.method == "POST":  # a later step posted before step 1: ask step 1 first, nothing lost but that post
            return redirect("outcomes:patient-form")
        return _warning_signs_page(request, questionnaire, WarningSignsForm(initial=questionnaire.cauda_equina_answers))
    # The questions of this week: the PGIC from week 1 on, the PHQ-9 at weeks 4 and 12.
    questions = {"includes_phq9": questionnaire.includes_phq9, "asks_pgic": pgic_asked(questionnaire.week)}
    if request.method == "GET":
        step = next((s for s in STEPS if str(s.number) == asked), None)
        furthest = _first_unfinished(questionnaire, questions) or STEPS[-1]
        if step is None or step.number > furthest.number:
            step = furthest
        form = QuestionnaireForm(initial=questionnaire.draft, step=step.key, **questions)
        return _step_page(request, questionnaire, step, form, questions)

    posted = STEP_BY_KEY.get(request.POST.get("step", ""))
    steps = [posted] if posted else STEPS
    forms = {step: QuestionnaireForm(request.POST, step=step.key, **questions) for step in steps}
    answers = {}
    for form in forms.values():
        form.is_valid()
        answers.update({name: form.cleaned_data[name] for name in form.fields if name in form.cleaned_data})
    refused = next((step for step, form in forms.items() if form.errors), None)
    last = STEPS[-1]
    if refused is None and last in forms and request.POST.get("go") != "back":
        whole = QuestionnaireForm(_as_posted({**questionnaire.draft, **answers}), **questions)
        if whole.is_valid():  # every step answered: the one write of the whole questionnaire, as on paper
            result = services.submit_questionnaire(
                questionnaire=questionnaire, answers=whole.answers(), source=Source.ONLINE, link=link
            )
            submitted = result[0] if result else questionnaire
            done = {
                "urgent": bool(submitted.cauda_equina_positive),
                "crisis": rules.self_harm_risk(submitted.phq9_9),
                "emailed": bool(link.patient.email),
                "odi_missing": bool(result) and submitted.odi_score is None,
            }
            return finish_link(request, services.QUESTIONNAIRE_LINK, done)
    saved = posted.label if posted else "every step"
    questionnaire = services.save_draft(questionnaire=questionnaire, answers=answers, step=saved)
    self_harm = last in forms and forms[last].self_harm_answer()
    if self_harm:
        # Thoughts of self-harm are acted on at once, even while other answers need correcting or are missing.
        services.report_self_harm(patient=link.patient, item9=self_harm, plan=questionnaire.plan)
    if posted is not None and request.POST.get("go") == "back":
        return redirect(_step_url(posted.number - 1))
    if refused is not None:
        return _step_page(request, questionnaire, refused, forms[refused], questions, crisis=bool(self_harm))
    if posted is not None and posted != last:
        return redirect(_step_url(posted.number + 1))
    return redirect("outcomes:patient-form")  # the first step still unfinished


def _warning_signs_page(request: HttpRequest, questionnaire: Questionnaire, form: WarningSignsForm, status: int = 200):
    context = {
        "form": form,
        "step": WARNING_SIGNS_STEP,
        "step_count": STEP_COUNT,
        "first_name": questionnaire.patient.given_name,
        "questionnaire": questionnaire,
        "urgent": bool(questionnaire.cauda_equina_positive),
        "cauda_equina_intro": cauda_equina_intro(),
    }
    return render(request, "outcomes/patient_warning_signs.html", context, status=status)


@require_POST
@patient_page
def patient_warning_signs(request: HttpRequest) -> HttpResponse:
    """Step 1 posted: every valid answer saved at once and every yes acted on, whatever else is missing.

    The page's script also posts here the moment "yes" is tapped (X-Requested-With: fetch), so a
    warning sign is saved even if the patient then closes the page; it gets an empty 204.
    """
    link = link_for_session(request, services.QUESTIONNAIRE_LINK)
    questionnaire = _pending_questionnaire(request, link, whole=True) if link else None
    if questionnaire is None:
        return after_link(request, services.QUESTIONNAIRE_LINK)
    form = WarningSignsForm(request.POST)
    form.is_valid()
    questionnaire, _referral = services.record_warning_signs(
        questionnaire=questionnaire, answers=form.warning_sign_answers()
    )
    questionnaire.patient = link.patient
    if request.headers.get("X-Requested-With") == "fetch":
        return HttpResponse(status=204)
    if questionnaire.cauda_equina_positive:
        # The advice first, whatever else the step holds; questions left unanswered are asked again after it.
        context = {"first_name": link.patient.given_name, "unanswered": not questionnaire.warning_signs_done}
        return render(request, "outcomes/patient_urgent.html", context)
    if form.errors:
        return _warning_signs_page(request, questionnaire, form, status=400)
    return redirect("outcomes:patient-form")


# --- staff ----------------------------------------------------------------------------------


@require_POST
@permission_required("clinic.add_patientlink")
def questionnaire_link_create(request: HttpRequest, patient_pk: int, due: str) -> HttpResponse:
    """A link for the patient's questionnaire due that day: by patient and due date, so a baseline due
    today can be handed over before the daily run has scheduled it."""
    patient = get_patient_for(request.user, patient_pk)
    try:
        due_date = date.fromisoformat(due)
    except ValueError:
        raise Http404("No questionnaire is due that day.") from None
    questionnaire = services.scheduled_questionnaire(patient=patient, due_date=due_date, today=timezone.localdate())
    if questionnaire is None:
        raise Http404("No questionnaire is due that day.")
    questionnaire.patient = patient
    if questionnaire.is_submitted:
        messages.info(request, "This questionnaire has already been answered.")
        return redirect(patient)
    sent = services.send_questionnaire_link(
        questionnaire=questionnaire,
        user=request.user,
        email=request.POST.get("email") == "1",
        build_url=lambda token: request.build_absolute_uri(reverse("clinic:link-open", args=[token])),
    )
    return handout_page(
        request, "outcomes/questionnaire_link.html", sent, {"patient": patient, "questionnaire": questionnaire}
    )


@require_http_methods(["GET", "POST"])
@permission_required("outcomes.add_questionnaire")
def questionnaire_create(request: HttpRequest, patient_pk: int) -> HttpResponse:
    patient = get_patient_for(request.user, patient_pk)
    initial = {"due_date": request.GET.get("due") or timezone.localdate()}
    form = PaperQuestionnaireForm(request.POST or None, initial=initial, patient=patient)
    if request.method == "POST" and not form.is_valid():
        # The rest needs correcting, but a warning sign (or item 9) on the paper is acted on now.
        reported, item9 = form.reported_warning_signs(), form.self_harm_answer()
        if reported or item9:
            services.paper_warning_signs(
                patient=patient,
                due_date=form.cleaned_data.get("due_date"),
                answers=form.warning_sign_answers(),
                item9=item9,
                user=request.user,
            )
            _announce_paper_alert(request, warning_sign=bool(reported), saved=False)
    elif request.method == "POST":
        questionnaire = services.paper_questionnaire(
            patient=patient, due_date=form.cleaned_data["due_date"], answers=form.answers(), user=request.user
        )
        if questionnaire is None:
            form.add_error("due_date", "A questionnaire for this due date has already been entered.")
            if form.reported_warning_signs() or form.self_harm_answer():
                _announce_paper_alert(request, warning_sign=bool(form.reported_warning_signs()), saved=False)
        else:
            if questionnaire.cauda_equina_positive or rules.self_harm_risk(questionnaire.phq9_9):
                _announce_paper_alert(request, warning_sign=bool(questionnaire.cauda_equina_positive), saved=True)
            if request.user.has_perm("outcomes.view_questionnaire"):
                score = "incomplete" if questionnaire.odi_score is None else f"{questionnaire.odi_score} %"
                messages.success(request, f"Paper questionnaire saved (ODI {score}).")
            else:
                # The front desk enters paper forms; scores are read on the clinical chart.
                messages.success(request, "Paper questionnaire saved.")
            return redirect(f"{patient.get_absolute_url()}#outcomes")
    if request.method == "GET":
        record_view(patient)  # the page shows the patient's header and red flags
    context = {"form": form, "patient": patient, "odi": odi(), "cauda_equina_intro": cauda_equina_intro()}
    return render(request, "outcomes/questionnaire_form.html", context)


def _announce_paper_alert(request: HttpRequest, *, warning_sign: bool, saved: bool) -> None:
    what = (
        "Warning sign on the paper form: an urgent referral is open and the clinical team has been alerted."
        if warning_sign
        else "An answer on the paper form needs a clinician today: the clinical team has been alerted."
    )
    if not saved:
        what += " It was saved by itself; correct what is marked below to save the rest of the questionnaire."
    messages.error(request, what)


@require_safe
@permission_required("outcomes.view_questionnaire")
def questionnaire_detail(request: HttpRequest, pk: int) -> HttpResponse:
    questionnaire = get_questionnaire_for(request.user, pk)
    record_view(questionnaire)
    definition = odi()
    sections = [
        (section.title, answer, section.statements[answer] if answer is not None else None)
        for section, answer in zip(definition.sections, questionnaire.odi_answers, strict=True)
    ]
    context = {
        "questionnaire": questionnaire,
        "patient": questionnaire.patient,
        "sections": sections,
        "band": odi_band(questionnaire.odi_score) if questionnaire.odi_score is not None else None,
        "cauda_equina": list(
            zip(WarningSignsForm().cauda_equina_fields(), questionnaire.cauda_equina_answers.values(), strict=True)
        ),
    }
    return render(request, "outcomes/questionnaire_detail.html", context)


# --- the clinic report ----------------------------------------------------------------------


def _report_filters(request: HttpRequest) -> report.ReportFilterForm:
    form = report.ReportFilterForm(request.GET or None, user=request.user)
    form.is_valid()
    return form


@require_safe
@permission_required("outcomes.view_report")
def outcomes_report(request: HttpRequest) -> HttpResponse:
    refresh_stale_outcomes()  # sessions logged since the summaries were computed
    form = _report_filters(request)
    filters = {**form.filters(), "user": request.user}
    figures = report.clinic_outcomes(**filters)
    scope = scope_of(request.user)
    side_by_side, attendance = None, None
    if len(scope.visible) > 1:
        unfiltered = {key: value for key, value in filters.items() if key != "location"}
        # Seeing every location with none chosen, the report's courses are exactly the side-by-side table's:
        # its figures are the group's, and its attendance the locations' summed, not read twice.
        whole = scope.sees_all and "location" not in filters
        rows, group = report.location_outcomes(locations=scope.visible, group=figures if whole else None, **unfiltered)
        side_by_side = {"rows": rows, "group": group, "funnel": report.funnel_chart(rows, group)}
        if whole:
            attendance = report.ClinicAttendance.total(row.attendance for row in rows)
    context = {
        "form": form,
        "side_by_side": side_by_side,
        "figures": figures,
        "attendance": attendance or report.clinic_attendance(**filters),
        "pgic": report.clinic_pgic(**filters),
        "relief": report.clinic_relief(**filters),
        "comparators": report.COMPARATORS,
        "query": request.GET.urlencode(),
    }
    return render(request, "outcomes/report.html", context)


def _csv_download(stem: str):
    """An attachment named `<stem>-<today>.csv`, never cached (patient names and scores), and its writer."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{stem}-{date.today():%Y%m%d}.csv"'
    response["Cache-Control"] = "no-store"
    return response, csv.writer(response)


def _back_to_report(request: HttpRequest) -> HttpResponse:
    """Never the whole clinic in place of a selection that did not parse: the report page says why."""
    return redirect(f"{reverse('outcomes:report')}?{request.GET.urlencode()}")


@require_safe
@permission_required("outcomes.view_report")
def outcomes_report_csv(request: HttpRequest) -> HttpResponse:
    form = _report_filters(request)
    if form.is_bound and not form.is_valid():
        return _back_to_report(request)
    filters = form.filters()
    several = scope_of(request.user).several  # a location column for a group only
    refresh_stale_outcomes()
    response, writer = _csv_download("outcomes")
    writer.writerow(
        [
            "patient",
            "chart number",
            "practitioner",
            *(["location"] if several else []),
            "plan start",
            "baseline ODI",
            "baseline before treatment",
            "week-8 ODI",
            "change %",
            "visits due",
            "attended",
            "no-shows",
            "no-show %",
            "adherence %",
            "latest PGIC",
            "days to first relief",
            "Tui Na at first session",
            "baseline leg pain",
            "week-8 leg pain",
        ]
    )
    chart_numbers = []
    for row in report.cohort_rows(user=request.user, with_location=several, **filters):
        writer.writerow(row)
        chart_numbers.append(row[1])
    record_export(
        TreatmentPlan,
        description=_export_description(filters, len(chart_numbers)),
        export="outcomes-report-csv",
        filters={key: _filter_value(value) for key, value in filters.items()},
        chart_numbers=chart_numbers,
    )
    return response


LOCATION_COLUMNS = [
    "location",
    "patients",
    "courses with a baseline",
    "sessions per course",
    "courses with a week-4 ODI",
    "mean ODI change at week 4 (points)",
    "95% CI low",
    "95% CI high",
    "courses with a week-8 ODI",
    "mean ODI change at week 8 (%)",
    "95% CI low",
    "95% CI high",
    "week-8 responders",
    "responder rate (%)",
    "95% CI low",
    "95% CI high",
    "funnel plot",
    "courses with leg pain at baseline and week 8",
    "mean leg pain change (0-10)",
    "95% CI low",
    "95% CI high",
    "visits due",
    "no-shows",
    "no-show rate (%)",
    "baselines before the first session",
    "baseline before treatment (%)",
]


@require_safe
@permission_required("outcomes.view_report")
def outcomes_by_location_csv(request: HttpRequest) -> HttpResponse:
    """The side-by-side table as a spreadsheet, with the report's filters: figures only, no patient."""
    form = _report_filters(request)
    if form.is_bound and not form.is_valid():
        return _back_to_report(request)
    filters = {key: value for key, value in form.filters().items() if key != "location"}
    refresh_stale_outcomes()
    rows, _group = report.location_outcomes(locations=scope_of(request.user).visible, user=request.user, **filters)
    response, writer = _csv_download("outcomes-by-location")
    writer.writerow(LOCATION_COLUMNS)
    for row in rows:
        f, a = row.outcomes, row.attendance
        writer.writerow(
            [
                report.spreadsheet_cell(row.location.name),
                f.patients,
                f.with_baseline,
                f.sessions_per_plan,
                f.week4_reported,
                f.mean_week4_odi_points,
                *(f.week4_interval or ("", "")),
                f.cohort,
                f.mean_odi_change,
                *(f.mean_odi_change_interval or ("", "")),
                f.week8_responders,
                f.week8_responder_percent,
                *(f.week8_responder_interval or ("", "")),
                row.funnel,
                f.leg_pain_reported,
                f.mean_leg_pain_change,
                *(f.leg_pain_interval or ("", "")),
                a.due,
                a.no_shows,
                a.no_show_percent,
                f.baseline_before_treatment,
                f.before_treatment_percent,
            ]
        )
    record_export(
        TreatmentPlan,
        description=_export_description(filters, len(rows), what="Outcomes by location CSV", unit="locations"),
        export="outcomes-by-location-csv",
        filters={key: _filter_value(value) for key, value in filters.items()},
    )
    return response


def _filter_value(value):
    if isinstance(value, bool):
        return value
    return value.isoformat() if hasattr(value, "isoformat") else value.pk


def _export_description(filters: dict, count: int, *, what: str = "Outcomes report CSV", unit: str = "patients") -> str:
    """What the audit log page shows for the export: how many patients, chosen how."""
    scope = []
    if "start" in filters:
        scope.append(f"plans started from {filters['start']}")
    if "end" in filters:
        scope.append(f"to {filters['end']}")
    if "location" in filters:
        scope.append(f"courses given at {filters['location'].name}")
    if "practitioner" in filters:
        scope.append(f"practitioner {filters['practitioner'].get_full_name()}")
    if filters.get("before_treatment"):
        scope.append("baselines taken before the first session only")
    return f"{what}: {count} {unit}" + (f" ({', '.join(scope)})" if scope else "")
