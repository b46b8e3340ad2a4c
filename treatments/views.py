from contextlib import nullcontext
from functools import wraps

from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, F, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from clinic.access import get_patient_for, permission_required
from clinic.audit import record_list, record_view
from clinic.concurrency import StaleRecordError
from clinic.errors import conflict
from clinic.formats import month_day_year_time, url_maker
from clinic.models import Patient
from clinic.pdf import pdf_response
from intake.safety import may_treat, treatment_check
from treatments import billing, services
from treatments.access import get_plan_for, get_session_for
from treatments.forms import AddendumForm, PaymentForm, PlanReviewForm, ProtocolForm, SessionEntry, TreatmentPlanForm
from treatments.models import (
    REVIEW_KEYS,
    Point,
    Protocol,
    ProtocolPoint,
    Session,
    SignedSessionError,
    TreatmentPlan,
    UnsignedSessionError,
    with_point_labels,
)
from treatments.panels import plan_panels
from treatments.superbill import billed_cpt_lines, build_superbill, superbill_pdf

LOCKED_MESSAGE = "This session is signed and locked. To correct or add to it, write an addendum below."


# --- plans -----------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@permission_required("treatments.add_treatmentplan")
def plan_create(request: HttpRequest, patient_pk: int) -> HttpResponse:
    patient = get_patient_for(request.user, patient_pk)
    initial = {"start_date": timezone.localdate()}
    form = TreatmentPlanForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        plan = form.save(commit=False)
        plan.patient = patient
        plan.practitioner = request.user
        plan.save()
        messages.success(request, "Treatment plan created.")
        return redirect(plan)
    if request.method == "GET":
        record_view(patient)  # the page shows the patient's header and red flags
    context = {"form": form, "patient": patient, "plan": None, "common_icd10": billing.COMMON_ICD10}
    return render(request, "treatments/plan_form.html", context)


@require_http_methods(["GET", "POST"])
@permission_required("treatments.change_treatmentplan")
def plan_update(request: HttpRequest, pk: int) -> HttpResponse:
    plan = get_plan_for(request.user, pk)
    form = TreatmentPlanForm(request.POST or None, instance=plan)
    if request.method == "POST" and form.is_valid():
        try:
            form.save()
        except StaleRecordError:
            form.add_stale_error(form.cleaned_data["version"])
        else:
            messages.success(request, "Treatment plan saved.")
            return redirect(plan)
    if request.method == "GET":
        record_view(plan)
    context = {"form": form, "patient": plan.patient, "plan": plan, "common_icd10": billing.COMMON_ICD10}
    return render(request, "treatments/plan_form.html", context)


@require_http_methods(["GET", "POST"])
@permission_required("treatments.view_treatmentplan")
def plan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    plan = get_plan_for(request.user, pk)
    review_form = PlanReviewForm(request.POST or None)
    if request.method == "POST":
        if not request.user.has_perm("treatments.change_treatmentplan"):
            raise PermissionDenied("Reviewing a plan needs the permission “Can change treatment plan”.")
        if review_form.is_valid():
            services.review_plan(plan=plan, **review_form.cleaned_data)
            messages.success(request, "Review recorded.")
            return redirect(plan)
    record_view(plan)
    sessions = with_point_labels(list(plan.sessions.order_by("started_at")))
    due = plan.review_due(len(sessions))
    context = {
        "plan": plan,
        "patient": plan.patient,
        "sessions": sessions,
        "session_count": len(sessions),
        "review_due": due,
        "review_key": REVIEW_KEYS.get(due, ""),
        "review_form": review_form,
        "diagnoses": [(code, billing.describe_icd10(code)) for code in plan.diagnosis_codes],
        "panels": plan_panels(request, plan),
    }
    return render(request, "treatments/plan_detail.html", context)


# --- sessions --------------------------------------------------------------------------------


def _point_rows(session: Session | None) -> list[dict]:
    if session is None:
        return []
    return [
        {
            "code": sp.point.code,
            "side": sp.side,
            "technique": sp.technique,
            "retention_minutes": sp.retention_minutes,
            "depth_mm": sp.depth_mm,
            "de_qi": sp.de_qi,
        }
        for sp in session.points.select_related("point")
    ]


def _electro_rows(session: Session | None) -> list[dict]:
    if session is None:
        return []
    return [
        {
            "point_a": pair.point_a.code,
            "point_b": pair.point_b.code,
            "frequency_hz": pair.frequency_hz,
            "waveform": pair.waveform,
            "minutes": pair.minutes,
            "intensity": pair.intensity,
        }
        for pair in session.electro_pairs.select_related("point_a", "point_b")
    ]


def _protocols_for(user):
    return Protocol.objects.filter(Q(owner__isnull=True) | Q(owner=user)).order_by("owner_id", "name")


def _prefill(plan: TreatmentPlan, protocols: list[Protocol], protocol_pk: str) -> dict:
    """Where a new session's rows start: the chosen protocol, else the patient's previous session.

    From the previous session come what is usually repeated: its points, electro pairs, contact minutes and
    re-insertions (the two together set the CPT units: copying one without the other billed a mismatch).
    Never copied: the pain scores and SOAP notes (a cloned note is not a record of this visit), the
    separately billed Tui Na, cupping and moxibustion (charged only when given and recorded again), the
    separate-region declaration behind modifier XS, and the safety acknowledgements (decided afresh).
    """
    protocol = next((p for p in protocols if str(p.pk) == protocol_pk), None)
    if protocol is not None:
        rows = ProtocolPoint.objects.filter(protocol=protocol).select_related("point")
        return {
            "points": [{"code": pp.point.code, "side": pp.side, "technique": pp.technique} for pp in rows],
            "source": f"protocol “{protocol.name}”",
        }
    previous = Session.objects.filter(patient=plan.patient).order_by("-started_at", "-id").first()
    if previous is None:
        return {}
    return {
        "points": _point_rows(previous),
        "electro": _electro_rows(previous),
        "contact_minutes": previous.contact_minutes,
        "reinsertions": previous.reinsertions,
        "source": f"previous session ({timezone.localtime(previous.started_at):%b %-d})",
    }


def _render_entry(request, *, entry: SessionEntry, plan: TreatmentPlan, session: Session | None, **extra):
    context = {
        "entry": entry,
        "plan": plan,
        "patient": plan.patient,
        "session": session,
        "precautions": entry.precautions,
        "points_catalogue": Point.objects.only("code", "pinyin", "english"),
        **extra,
    }
    return render(request, "treatments/session_form.html", context)


def _refused(request, plan: TreatmentPlan, decision) -> HttpResponse:
    context = {"plan": plan, "patient": plan.patient, "decision": decision}
    return render(request, "treatments/session_refused.html", context, status=409)


@require_http_methods(["GET", "POST"])
@permission_required("treatments.add_session")
def session_create(request: HttpRequest, plan_pk: int) -> HttpResponse:
    return new_session_page(request, get_plan_for(request.user, plan_pk))


def new_session_page(
    request: HttpRequest, plan: TreatmentPlan, *, started_at=None, location_id=None, after_save=None
) -> HttpResponse:
    """The new-session form of `plan`, shown and saved. An app above starts it from its own page: an
    appointment gives the visit's time (`started_at`) and place (`location_id`), and completes
    itself in the same transaction as the save (`after_save(session)`); else the patient's home location."""
    posted = request.method == "POST"
    # A POST is decided by save_session inside its transaction; the form needs only the precautions
    # and consents. A blank form is refused up front, and so is an invalid POST (below).
    check = treatment_check(plan.patient, decide=not posted)
    if check.decision is not None and not check.decision:
        return _refused(request, plan, check.decision)
    protocols = _protocols_for(request.user)  # read only when the form is shown
    session = Session(
        plan=plan,
        patient=plan.patient,
        practitioner=request.user,
        started_at=started_at or timezone.now(),
        location_id=location_id or plan.patient.location_id,
    )
    # The prefill is for the blank form only; a POST carries its own rows.
    prefill = _prefill(plan, list(protocols), request.GET.get("protocol", "")) if request.method == "GET" else {}
    if prefill.get("contact_minutes"):
        session.contact_minutes = prefill["contact_minutes"]
    if "reinsertions" in prefill:
        session.reinsertions = prefill["reinsertions"]
    entry = SessionEntry(
        request.POST or None,
        instance=session,
        precautions=check.precautions,
        consented=check.consented,
        initial_points=prefill.get("points", []),
        initial_electro=prefill.get("electro", []),
    )
    if request.method == "POST" and entry.is_valid():
        try:
            # One transaction with the caller's follow-up; without one, save_session's own (no savepoint).
            with transaction.atomic() if after_save is not None else nullcontext():
                session = services.save_session(
                    session=entry.form.save(commit=False),
                    point_rows=entry.point_rows(),
                    electro_rows=entry.electro_rows(),
                    adverse_rows=entry.adverse_rows(),
                    check=check,
                )
                if after_save is not None:
                    after_save(session)
        except services.TreatmentRefused as refused:
            return _refused(request, plan, refused.decision)
        messages.success(request, "Session saved. Review it and sign when the note is complete.")
        return redirect(session)
    if posted and not (decision := may_treat(plan.patient)):
        return _refused(request, plan, decision)
    if not posted:
        record_view(plan)  # the form shows the plan, its precautions and the previous session's points
    source = prefill.get("source", "")
    return _render_entry(request, entry=entry, plan=plan, session=None, protocols=protocols, source=source)


@require_http_methods(["GET", "POST"])
@permission_required("treatments.change_session")
def session_update(request: HttpRequest, pk: int) -> HttpResponse:
    session = get_session_for(request.user, pk, "treatments.change_session")
    if session.is_signed:
        messages.error(request, LOCKED_MESSAGE)
        if request.method == "POST":
            return render(
                request, "treatments/session_locked.html", {"session": session, "patient": session.patient}, status=409
            )
        return redirect(session)
    # As for a new session, save_session decides inside its transaction; the form needs only these.
    check = treatment_check(session.patient, decide=False)
    entry = SessionEntry(
        request.POST or None,
        instance=session,
        precautions=check.precautions,
        consented=check.consented,
        # Rows start from the saved note on GET only: a POST carries every row, and an initial value
        # would make an unchanged row look empty to the formset.
        initial_points=_point_rows(session) if request.method == "GET" else None,
        initial_electro=_electro_rows(session) if request.method == "GET" else None,
    )
    if request.method == "POST" and entry.is_valid():
        try:
            services.save_session(
                session=entry.form.save(commit=False),
                point_rows=entry.point_rows(),
                electro_rows=entry.electro_rows(),
                adverse_rows=entry.adverse_rows(),
                check=check,
            )
        except services.TreatmentRefused as refused:
            return _refused(request, session.plan, refused.decision)
        except SignedSessionError:
            messages.error(request, LOCKED_MESSAGE)
            return redirect(session)
        except StaleRecordError:
            entry.form.add_stale_error(entry.form.cleaned_data["version"])
            return _render_entry(request, entry=entry, plan=session.plan, session=session, protocols=[], source="")
        messages.success(request, "Session saved.")
        return redirect(session)
    if request.method == "GET":
        record_view(session)
    return _render_entry(request, entry=entry, plan=session.plan, session=session, protocols=[], source="")


def _session_page(request: HttpRequest, session: Session, addendum_form: AddendumForm, status: int = 200):
    points = list(session.points.select_related("point"))
    pairs = list(session.electro_pairs.select_related("point_a", "point_b"))
    context = {
        "session": session,
        "patient": session.patient,
        "plan": session.plan,
        "points": points,
        "needles": sum(p.needles for p in points),
        "pairs": pairs,
        "adverse_events": list(session.adverse_events.all()),
        "addenda": list(session.addenda.select_related("author")),
        "addendum_form": addendum_form,
        # The lines the superbill bills: "one initial code per day" applies across the patient's sessions.
        "cpt_lines": billed_cpt_lines(session),
        "can_sign": not session.is_signed and session.practitioner_id == request.user.pk,
    }
    return render(request, "treatments/session_detail.html", context, status=status)


@require_safe
@permission_required("treatments.view_session")
def session_detail(request: HttpRequest, pk: int) -> HttpResponse:
    session = get_session_for(request.user, pk)
    record_view(session)
    return _session_page(request, session, AddendumForm())


NOTES_PAGE_SIZE = 50


@require_safe
@permission_required("treatments.view_session")
def notes_to_sign(request: HttpRequest) -> HttpResponse:
    """Unsigned session notes, oldest first. One who signs notes sees their own (only a note's practitioner
    signs it, services.sign_session); one who reads notes without signing them (the manager) sees every
    practitioner's, to follow up the ones left open."""
    user = request.user
    own = user.has_perm("treatments.sign_session")
    notes = Session.objects.visible_to(user).unsigned()
    if own:
        notes = notes.filter(practitioner=user)
    page = Paginator(
        notes.order_by("started_at", "id").values(
            "pk",
            "patient_id",
            "started_at",
            family_name=F("patient__family_name"),
            given_name=F("patient__given_name"),
            chart_number=F("patient__chart_number"),
            practitioner_first_name=F("practitioner__first_name"),
            practitioner_last_name=F("practitioner__last_name"),
            practitioner_username=F("practitioner__username"),
        ),
        NOTES_PAGE_SIZE,
    ).get_page(request.GET.get("page"))
    detail = url_maker("treatments:session-detail")
    for row in page:
        row["url"], row["date_text"] = detail(row["pk"]), month_day_year_time(row["started_at"])
        full = f"{row['practitioner_first_name']} {row['practitioner_last_name']}".strip()
        row["practitioner"] = full or row["practitioner_username"]
    record_list(Patient, page="Notes to sign", rows=list(page), patient_of=lambda row: row["patient_id"])
    return render(request, "treatments/notes_to_sign.html", {"page": page, "own": own})


@require_POST
@permission_required("treatments.sign_session")
def session_sign(request: HttpRequest, pk: int) -> HttpResponse:
    session = get_session_for(request.user, pk)
    try:
        services.sign_session(session=session, user=request.user)
    except SignedSessionError:
        messages.info(request, "This session was already signed.")
    else:
        messages.success(request, "Session signed and locked.")
    return redirect(session)


@require_POST
@permission_required("treatments.add_addendum")
def addendum_create(request: HttpRequest, pk: int) -> HttpResponse:
    session = get_session_for(request.user, pk)
    form = AddendumForm(request.POST)
    if not session.is_signed:
        messages.error(request, "This session is not signed yet: edit the note itself.")
        return redirect(session)
    if form.is_valid():
        services.add_addendum(session=session, user=request.user, text=form.cleaned_data["text"])
        messages.success(request, "Addendum added.")
        return redirect(f"{reverse('treatments:session-detail', args=[session.pk])}#addenda")
    return _session_page(request, session, form, status=400)


# How long a payment form's submission is remembered, so sending it twice records it once.
PAYMENT_SUBMISSION_SECONDS = 24 * 60 * 60


def signed_for_billing(view):
    """The superbill's views take the signed session; while the note is unsigned they answer 409, not 403."""

    @wraps(view)
    def wrapped(request: HttpRequest, pk: int) -> HttpResponse:
        session = get_session_for(request.user, pk, "treatments.view_superbill")
        if not session.is_signed:
            reason = str(UnsignedSessionError().message)
            return conflict(request, reason, back=session.get_absolute_url(), back_label="Back to the session")
        return view(request, session)

    return wrapped


def _superbill_page(request: HttpRequest, session: Session, form: PaymentForm | None = None, status: int = 200):
    context = {
        "bill": build_superbill(session),
        "session": session,
        "payments": session.payments.select_related("recorded_by"),
        "payment_form": (form or PaymentForm()) if request.user.has_perm("treatments.add_payment") else None,
    }
    return render(request, "treatments/superbill.html", context, status=status)


@require_safe
@permission_required("treatments.view_superbill")
@signed_for_billing
def superbill(request: HttpRequest, session: Session) -> HttpResponse:
    record_view(session)
    return _superbill_page(request, session)


@require_safe
@permission_required("treatments.view_superbill")
@signed_for_billing
def superbill_pdf_view(request: HttpRequest, session: Session) -> HttpResponse:
    record_view(session)
    bill = build_superbill(session)
    filename = f"superbill-{session.patient.chart_number}-{bill.service_date:%Y%m%d}.pdf"
    return pdf_response(superbill_pdf(bill), filename)


@require_POST
@permission_required("treatments.add_payment")
@signed_for_billing
def payment_create(request: HttpRequest, session: Session) -> HttpResponse:
    """A payment recorded from the superbill page: amount, method, the date paid."""
    form = PaymentForm(request.POST)
    if not form.is_valid():
        return _superbill_page(request, session, form, status=400)
    fields = {name: form.cleaned_data[name] for name in ("amount", "method", "paid_on")}
    submission = form.cleaned_data["submission"]
    if submission and not cache.add(f"payment-submission:{submission}", session.pk, timeout=PAYMENT_SUBMISSION_SECONDS):
        messages.info(request, "This payment was already recorded (the form was sent twice).")
    else:
        payment = services.record_payment(session=session, user=request.user, **fields)
        messages.success(request, f"Payment of ${payment.amount:.2f} recorded.")
    return redirect("treatments:superbill", session.pk)


# --- protocols -------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@permission_required("treatments.view_protocol")
def protocol_list(request: HttpRequest) -> HttpResponse:
    form = ProtocolForm(request.POST or None)
    if request.method == "POST":
        if not request.user.has_perm("treatments.add_protocol"):
            raise PermissionDenied("Creating a protocol needs the permission “Can add protocol”.")
        if form.is_valid():
            protocol = form.save(commit=False)
            protocol.owner = None if form.cleaned_data["clinic_wide"] else request.user
            if Protocol.objects.filter(name=protocol.name, owner=protocol.owner).exists():
                form.add_error("name", "You already have a protocol with this name.")
            else:
                services.save_protocol(protocol=protocol, points=form.cleaned_data["codes"])
                messages.success(request, f"Protocol “{protocol.name}” saved.")
                return redirect("treatments:protocol-list")
    protocols = (
        _protocols_for(request.user)
        .select_related("owner")
        .annotate(point_count=Count("protocol_points"))
        .prefetch_related("protocol_points__point")
    )
    return render(request, "treatments/protocol_list.html", {"protocols": protocols, "form": form})


@require_safe
@permission_required("treatments.view_session")
def point_search(request: HttpRequest) -> HttpResponse:
    """The picker: points whose code starts with, or whose name contains, what was typed."""
    points = list(Point.objects.search(request.GET.get("q", ""))[:12])
    return render(request, "treatments/point_search.html", {"points": points})
