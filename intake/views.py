from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as format_date
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from clinic.access import get_patient_for, may_read_field, permission_required, require_perm
from clinic.audit import record_disclosure, record_view
from clinic.concurrency import StaleRecordError
from clinic.links import after_link, finish_link, handout_page, link_for_session, patient_page
from clinic.pdf import pdf_response
from intake import letters, rules, services
from intake.access import get_alert_for, get_intake_for, get_referral_for
from intake.forms import AlertAcknowledgeForm, ClinicalAssessmentForm, IntakeForm, OnlineIntakeForm, ReferralCloseForm
from intake.models import Alert, ClinicalAssessment, Intake, Referral


def _act_on_warning_signs(form, patient, user=None) -> tuple[Referral | None, bool]:
    """A form that cannot be saved yet still has what validated of its warning signs acted on, now, alone."""
    answers = getattr(form, "cleaned_data", {})  # an empty post leaves the form unbound
    return services.report_warning_signs(patient=patient, answers=answers, user=user)


def _staff_form_refused(request: HttpRequest, form, patient) -> None:
    """The staff intake form did not validate: act on its warning signs and say so above the form."""
    referral, self_harm = _act_on_warning_signs(form, patient, user=request.user)
    _announce(request, referral)
    if self_harm:
        messages.error(request, "PHQ-9 item 9 is above 0: a self-harm alert has been sent to the clinicians.")
    if referral is not None or self_harm:
        messages.warning(request, "The rest of the intake is not saved yet: correct the fields marked below.")


def _announce(request: HttpRequest, referral) -> None:
    if referral is not None:
        messages.error(
            request,
            f"Red flag: {referral.reason}. An urgent referral is open and no treatment may be given until a "
            "clinician records its outcome.",
        )


@require_http_methods(["GET", "POST"])
@permission_required("intake.add_intake")
def intake_create(request: HttpRequest, patient_pk: int) -> HttpResponse:
    patient = get_patient_for(request.user, patient_pk)
    # The patient on the new intake lets the form check the onset against their date of birth.
    form = IntakeForm(request.POST or None, instance=Intake(patient=patient))
    if request.method == "POST" and form.is_valid():
        intake = form.save(commit=False)
        intake.patient = patient
        intake, referral = services.record_intake(
            intake=intake,
            consent_modalities=form.cleaned_data["consent_modalities"],
            consent_name=form.cleaned_data["consent_name"].strip(),
            user=request.user,
        )
        messages.success(request, "Intake saved.")
        _announce(request, referral)
        return redirect(intake)
    if request.method == "GET":
        record_view(patient)  # the page shows the patient's header and red flags
    else:
        _staff_form_refused(request, form, patient)
    return render(request, "intake/intake_form.html", {"form": form, "patient": patient, "intake": None})


@require_http_methods(["GET", "POST"])
@permission_required("intake.change_intake")
def intake_update(request: HttpRequest, pk: int) -> HttpResponse:
    intake = get_intake_for(request.user, pk)
    show_phq9 = may_read_field(request.user, Intake, "phq9_9")
    form = IntakeForm(request.POST or None, instance=intake, show_phq9=show_phq9, reader=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            intake, referral = services.record_intake(
                intake=form.save(commit=False),
                consent_modalities=form.cleaned_data["consent_modalities"],
                consent_name=form.cleaned_data["consent_name"].strip(),
                user=request.user,
            )
        except StaleRecordError:
            form.add_stale_error(form.cleaned_data["version"])
        else:
            messages.success(request, "Intake saved.")
            _announce(request, referral)
            return redirect(intake)
    if request.method == "GET":
        record_view(intake)
    else:  # a warning sign is true of the patient whatever else the form holds, a stale version included
        _staff_form_refused(request, form, intake.patient)
    context = {"form": form, "patient": intake.patient, "intake": intake}
    return render(request, "intake/intake_form.html", context)


@require_safe
@permission_required("intake.view_intake")
def intake_detail(request: HttpRequest, pk: int) -> HttpResponse:
    intake = get_intake_for(request.user, pk)
    record_view(intake)
    assessment = None
    if request.user.has_perm("intake.view_clinicalassessment"):
        assessment = ClinicalAssessment.objects.select_related("assessed_by").filter(intake=intake).first()
    context = {
        "intake": intake,
        "patient": intake.patient,
        "assessment": assessment,
        "red_flags": [(flag, getattr(intake, flag.key)) for flag in rules.RED_FLAGS],
        "positive_flags": intake.positive_red_flags(assessment),
        "consents": list(intake.consents.all()),
        "phq9": list(zip(rules.PHQ9_ITEMS, intake.phq9_answers, strict=True)),
        "phq9_labels": dict(rules.PHQ9_CHOICES),
    }
    return render(request, "intake/intake_detail.html", context)


@require_http_methods(["GET", "POST"])
@permission_required("intake.change_clinicalassessment")
def assessment_update(request: HttpRequest, pk: int) -> HttpResponse:
    intake = get_intake_for(request.user, pk)
    assessment = ClinicalAssessment.objects.filter(intake=intake).first() or ClinicalAssessment()
    assessment.intake = intake  # read with its patient: the audit entry and str() need no more queries
    form = ClinicalAssessmentForm(request.POST or None, instance=assessment)
    if request.method == "POST" and form.is_valid():
        referral = services.record_assessment(assessment=form.save(commit=False), user=request.user)
        messages.success(request, "Clinical assessment saved.")
        _announce(request, referral)
        return redirect(intake)
    if request.method == "GET":
        # Before the first assessment the page shows the intake it will belong to.
        record_view(assessment if assessment.pk else intake)
    return render(request, "intake/assessment_form.html", {"form": form, "intake": intake, "patient": intake.patient})


@require_POST
@permission_required("intake.change_intake")
def intake_review(request: HttpRequest, pk: int) -> HttpResponse:
    intake = get_intake_for(request.user, pk)
    services.review_intake(intake=intake, user=request.user)
    messages.success(request, "Online intake reviewed: it is now the patient's intake on record.")
    return redirect(intake)


@require_POST
@permission_required("clinic.add_patientlink")
def intake_link_create(request: HttpRequest, patient_pk: int) -> HttpResponse:
    patient = get_patient_for(request.user, patient_pk)
    sent = services.send_intake_link(
        patient=patient,
        user=request.user,
        build_url=lambda token: request.build_absolute_uri(reverse("clinic:link-open", args=[token])),
    )
    return handout_page(request, "intake/intake_link.html", sent, {"patient": patient})


@require_http_methods(["GET", "POST"])
@permission_required("intake.view_referral")
def referral_detail(request: HttpRequest, pk: int) -> HttpResponse:
    referral = get_referral_for(request.user, pk)
    form = None
    can_close = referral.is_open and request.user.has_perm("intake.change_referral")
    if request.method == "POST":
        require_perm(request.user, "intake.change_referral")
        if not referral.is_open:
            messages.info(request, "This referral was already closed.")
            return redirect(referral)
    if can_close:
        form = ReferralCloseForm(request.POST or None, referral=referral)
        if request.method == "POST" and form.is_valid():
            services.close_referral(referral=referral, user=request.user, **form.cleaned_data)
            messages.success(request, "Referral closed.")
            return redirect(referral.patient)
    record_view(referral)
    return render(
        request, "intake/referral_detail.html", {"referral": referral, "patient": referral.patient, "form": form}
    )


@require_safe
@permission_required("intake.print_referral_letter")
def referral_letter(request: HttpRequest, pk: int) -> HttpResponse:
    """The letter the patient carries to the emergency department or their physician (an open referral's)."""
    referral = get_referral_for(request.user, pk)
    if not referral.is_open:
        closed = format_date(timezone.localtime(referral.closed_at), "M j, Y")
        messages.info(request, f"This referral was closed on {closed}: a letter is printed for an open referral only.")
        return redirect(referral)
    letter = letters.referral_letter(referral)
    record_disclosure(referral, document="Referral letter", to="the patient, for the physician who assesses them")
    filename = f"referral-{referral.patient.chart_number}-{letter.printed_on:%Y%m%d}.pdf"
    return pdf_response(letters.referral_letter_pdf(letter), filename)


def _acknowledged_message(request: HttpRequest, alert: Alert, acknowledged: bool) -> None:
    if acknowledged:
        messages.success(request, "Alert acknowledged: it will not be escalated.")
    else:
        who = alert.acknowledged_by.get_full_name() or alert.acknowledged_by.get_username()
        when = format_date(timezone.localtime(alert.acknowledged_at), "M j, H:i")
        messages.info(request, f"{who} had already acknowledged this alert ({when}); that acknowledgement stands.")


@require_http_methods(["GET", "POST"])
@permission_required("intake.view_alert")
def alert_detail(request: HttpRequest, pk: int) -> HttpResponse:
    alert = get_alert_for(request.user, pk)
    form = None
    if alert.is_open and request.user.has_perm("intake.change_alert"):
        form = AlertAcknowledgeForm(request.POST or None, alert=alert)
    if request.method == "POST":
        require_perm(request.user, "intake.change_alert")
        if form is None:  # acknowledged meanwhile: the first acknowledgement stands
            _acknowledged_message(request, alert, False)
            return redirect(alert)
        if form.is_valid():
            alert, acknowledged = services.acknowledge_alert(
                alert=alert, user=request.user, action_taken=form.cleaned_data["action_taken"]
            )
            _acknowledged_message(request, alert, acknowledged)
            return redirect(alert)
    record_view(alert)
    context = {
        "alert": alert,
        "patient": alert.patient,
        "form": form,
        "escalate_minutes": settings.ALERT_ESCALATE_MINUTES,
    }
    return render(request, "intake/alert_detail.html", context)


@require_POST
@permission_required("intake.change_alert")
def alert_acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    """One click from the dashboard, for a red-flag alert (its outcome goes on the referral)."""
    alert = get_alert_for(request.user, pk)
    if alert.needs_action_note and alert.is_open:
        messages.info(request, "A PHQ-9 item 9 alert is acknowledged with the action taken: record it here.")
        return redirect(alert)
    alert, acknowledged = services.acknowledge_alert(alert=alert, user=request.user)
    _acknowledged_message(request, alert, acknowledged)
    return redirect(settings.LOGIN_REDIRECT_URL)  # the dashboard, where open alerts are listed


# --- the patient's own pre-visit form ---------------------------------------------------------


@require_http_methods(["GET", "POST"])
@patient_page
def patient_intake(request: HttpRequest) -> HttpResponse:
    link = link_for_session(request, services.INTAKE_LINK)
    if link is None:
        return after_link(request, services.INTAKE_LINK)
    form = OnlineIntakeForm(request.POST or None, instance=Intake(patient=link.patient))
    urgent = crisis = False
    if request.method == "POST" and form.is_valid():
        result = services.submit_online_intake(
            link=link,
            intake=form.save(commit=False),
            consent_modalities=form.cleaned_data["consent_modalities"],
            consent_name=form.cleaned_data["consent_name"].strip(),
        )
        intake, referral = result if result else (None, None)
        done = {
            "emergency": bool(referral and referral.is_emergency),
            "flagged": referral is not None,
            "crisis": bool(intake and intake.self_harm_risk),
        }
        return finish_link(request, services.INTAKE_LINK, done)
    if request.method == "POST":
        # The rest needs correcting, but a red flag or thoughts of self-harm are acted on now, by themselves.
        referral, crisis = _act_on_warning_signs(form, link.patient)
        urgent = bool(referral and referral.is_emergency)
    context = {
        "form": form,
        "first_name": link.patient.given_name,
        "red_flag_fields": [form[key] for key in rules.RED_FLAG_KEYS],
        "phq9_fields": [form[f"phq9_{n}"] for n in range(1, 10)],
        "urgent": urgent,
        "crisis": crisis,
        "cauda_equina_keys": " ".join(rules.CAUDA_EQUINA_KEYS),
    }
    return render(request, "intake/patient_intake_form.html", context, status=400 if form.is_bound else 200)
