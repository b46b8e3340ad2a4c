"""Schedule pages: book, move, cancel, check in; a course from a plan; the week view; the settings.

The day sheet shows intake and questionnaire state beside the appointments, so it lives on top, in
pages/ (pages:day-sheet), as the dashboard does.
"""

from datetime import date, datetime, time, timedelta

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from clinic.access import get_patient_for, permission_required, require_perm
from clinic.audit import record_list, record_view
from clinic.concurrency import StaleRecordError
from clinic.errors import conflict
from clinic.models import Patient
from scheduling import rules, services
from scheduling.access import get_appointment_for, get_plan_to_book
from scheduling.forms import AppointmentForm, CancelForm, CourseForm, MoveForm, ScheduleSettingsForm
from scheduling.models import Appointment, ScheduleSettings, Status, opening_hours
from scheduling.panels import course_figures
from treatments.models import PlanStatus, TreatmentPlan
from treatments.views import new_session_page

STALE_MESSAGE = "Someone else changed this appointment while you had it open. Here it is as it is now."


def _back(request: HttpRequest, appointment: Appointment) -> str:
    """Where an action returns: the page it was posted from (the day sheet, the week), else the appointment."""
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return appointment.get_absolute_url()


def _posted_version(request: HttpRequest) -> int | None:
    """The version of the appointment the form was loaded at (a stale form is then caught, not applied)."""
    value = request.POST.get("version", "")
    return int(value) if value.isdigit() else None


def _refusal_field(error: services.BookingRefused, form, default: str) -> str:
    """The form field a refusal goes beside: the start is the date and time the user typed."""
    field = {"start": "at"}.get(error.field, error.field) or default
    return field if field in form.fields else default


@require_http_methods(["GET", "POST"])
@permission_required("scheduling.add_appointment")
def appointment_create(request: HttpRequest, patient_pk: int) -> HttpResponse:
    patient = get_patient_for(request.user, patient_pk)
    plans = TreatmentPlan.objects.filter(patient=patient, status=PlanStatus.ACTIVE).order_by("-start_date")
    practitioners = services.practitioners()
    initial = {"day": timezone.localdate() + timedelta(days=1), "at": time(10)}
    if (plan := plans.first()) is not None:
        initial |= {"plan": plan.pk, "practitioner": plan.practitioner_id}
    form = AppointmentForm(request.POST or None, initial=initial, practitioners=practitioners, plans=plans)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            appointment = services.book_appointment(
                patient=patient,
                practitioner=data["practitioner"],
                start=data["start"],
                minutes=data["minutes"],
                kind=data["kind"],
                plan=data["plan"],
                notes=data["notes"],
                user=request.user,
            )
        except services.BookingRefused as refused:
            form.add_error(_refusal_field(refused, form, "at"), refused.message)
        else:
            local = timezone.localtime(appointment.start)
            messages.success(request, f"Booked for {local:%A} {local:%B} {local.day} at {local:%H:%M}.")
            return redirect(patient)
    if request.method == "GET":
        record_view(patient)
    status = 400 if form.errors else 200
    return render(request, "scheduling/appointment_form.html", {"form": form, "patient": patient}, status=status)


def _appointment_page(request, appointment, *, move=None, cancel=None, error: str = "", status: int = 200):
    in_series = appointment.series_id is not None
    start = timezone.localtime(appointment.start)
    context = {
        "appointment": appointment,
        "patient": appointment.patient,
        "move_form": move
        or MoveForm(
            initial={
                "day": start.date(),
                "at": start.time(),
                "minutes": appointment.minutes,
                "practitioner": appointment.practitioner_id,
            },
            practitioners=services.practitioners(),
            in_series=in_series,
        ),
        "cancel_form": cancel or CancelForm(in_series=in_series),
        "error": error,
        # Check-in is on the visit's day; a no-show or a session from that day on (local dates, not UTC).
        "on_the_day": start.date() == timezone.localdate(),
        "day_begun": start.date() <= timezone.localdate(),
    }
    return render(request, "scheduling/appointment_detail.html", context, status=status)


@require_safe
@permission_required("scheduling.view_appointment")
def appointment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    appointment = get_appointment_for(request.user, pk)
    record_view(appointment)
    return _appointment_page(request, appointment)


@require_POST
@permission_required("scheduling.change_appointment")
def appointment_move(request: HttpRequest, pk: int) -> HttpResponse:
    appointment = get_appointment_for(request.user, pk, "scheduling.change_appointment")
    form = MoveForm(request.POST, practitioners=services.practitioners(), in_series=appointment.series_id is not None)
    if form.is_valid():
        data = form.cleaned_data
        try:
            moved = services.move_appointment(
                appointment=appointment,
                start=data["start"],
                minutes=data["minutes"],
                practitioner=data["practitioner"],
                user=request.user,
                following=data.get("scope") == "following",
                version=_posted_version(request),
            )
        except services.BookingRefused as refused:
            form.add_error(_refusal_field(refused, form, "at"), refused.message)
        except StaleRecordError:
            form.add_error(None, STALE_MESSAGE)
        else:
            messages.success(request, f"Moved {len(moved)} visit{'s' if len(moved) != 1 else ''}.")
            return redirect(moved[0])
    return _appointment_page(request, appointment, move=form, status=400)


@require_POST
@permission_required("scheduling.change_appointment")
def appointment_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    appointment = get_appointment_for(request.user, pk, "scheduling.change_appointment")
    form = CancelForm(request.POST, in_series=appointment.series_id is not None)
    if form.is_valid():
        try:
            cancelled = services.cancel_appointment(
                appointment=appointment,
                reason=form.cleaned_data["reason"],
                note=form.cleaned_data["note"],
                user=request.user,
                following=form.cleaned_data.get("scope") == "following",
                version=_posted_version(request),
            )
        except services.BookingRefused as refused:
            form.add_error("reason", refused.message)
        except StaleRecordError:
            form.add_error(None, STALE_MESSAGE)
        else:
            messages.success(request, f"Cancelled {len(cancelled)} visit{'s' if len(cancelled) != 1 else ''}.")
            return redirect(_back(request, appointment))
    return _appointment_page(request, appointment, cancel=form, status=400)


def _state_change(request: HttpRequest, pk: int, action, done: str) -> HttpResponse:
    appointment = get_appointment_for(request.user, pk, "scheduling.change_appointment")
    try:
        action(appointment=appointment, user=request.user)
    except services.BookingRefused as refused:
        return _appointment_page(request, appointment, error=refused.message, status=409)
    messages.success(request, f"{appointment.patient.given_name} {appointment.patient.family_name}: {done}.")
    return redirect(_back(request, appointment))


@require_POST
@permission_required("scheduling.change_appointment")
def appointment_check_in(request: HttpRequest, pk: int) -> HttpResponse:
    return _state_change(request, pk, services.check_in, "checked in")


@require_POST
@permission_required("scheduling.change_appointment")
def appointment_no_show(request: HttpRequest, pk: int) -> HttpResponse:
    return _state_change(request, pk, services.mark_no_show, "marked as a no-show")


@require_http_methods(["GET", "POST"])
@permission_required("treatments.add_session")
def appointment_session(request: HttpRequest, pk: int) -> HttpResponse:
    """The session form from an arrived patient's appointment: the visit's time, the previous session's
    points; saving it completes the appointment (in the same transaction)."""
    appointment = get_appointment_for(request.user, pk)
    if appointment.session_id is not None:
        return redirect("treatments:session-detail", appointment.session_id)
    if not appointment.is_open:
        return conflict(
            request,
            f"This appointment is {appointment.get_status_display().lower()}: no session is logged from it.",
            back=appointment.get_absolute_url(),
            back_label="Back to the appointment",
        )
    plan = appointment.plan or (
        TreatmentPlan.objects.filter(patient=appointment.patient_id, status=PlanStatus.ACTIVE)
        .select_related("patient", "practitioner")
        .order_by("-start_date")
        .first()
    )
    if plan is None:
        return conflict(
            request,
            "This patient has no active course of care: create a plan first, then log the session from here.",
            back=reverse("treatments:plan-create", args=[appointment.patient_id]),
            back_label="Create a treatment plan",
        )
    require_perm(request.user, "treatments.view_treatmentplan")
    return new_session_page(
        request,
        plan,
        # The visit's time; a patient seen before it (checked in early) is dated now: a session is never in
        # the future, and the form would refuse the time it had filled in itself.
        started_at=min(appointment.start, timezone.now()),
        after_save=lambda session: services.complete_appointment(
            appointment=appointment, session=session, user=request.user
        ),
    )


@require_POST
@permission_required("scheduling.change_appointment")
def appointment_complete(request: HttpRequest, pk: int) -> HttpResponse:
    """An arrived patient whose session was logged on the day without the appointment: link the two."""
    appointment = get_appointment_for(request.user, pk, "scheduling.change_appointment")
    session = services.same_day_session(appointment)
    if session is None:
        return _appointment_page(
            request, appointment, error="No session of this patient was logged that day: log it first.", status=409
        )
    try:
        services.complete_appointment(appointment=appointment, session=session, user=request.user)
    except services.BookingRefused as refused:
        return _appointment_page(request, appointment, error=refused.message, status=409)
    messages.success(request, "Appointment completed with the session logged that day.")
    return redirect(_back(request, appointment))


@require_http_methods(["GET", "POST"])
@permission_required("scheduling.add_appointment")
def course_book(request: HttpRequest, plan_pk: int) -> HttpResponse:
    """Book a plan's course as a series: check shows every visit and what stands in its way; book saves
    the free ones and records the others as the series' exceptions."""
    plan = get_plan_to_book(request.user, plan_pk)
    config = ScheduleSettings.load()
    practitioners = services.practitioners()
    suggested = rules.suggest_phases(plan.frequency, max(plan.planned_sessions - plan.session_count, 1))
    form = CourseForm(
        request.POST or None,
        initial=CourseForm.initial_for(plan, suggested, config.treatment_minutes),
        practitioners=practitioners,
    )
    preview, status = None, 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            minutes = data["minutes"] or config.treatment_minutes
            args = {
                "plan": plan,
                "practitioner": data["practitioner"],
                "phases": data["phases"],
                "first_day": data["first_day"],
                "at": data["at"],
                "minutes": minutes,
            }
            if request.POST.get("action") == "book":
                try:
                    made = services.book_course(**args, user=request.user)
                except services.BookingRefused as refused:
                    form.add_error(_refusal_field(refused, form, "first_day"), refused.message)
                else:
                    messages.success(request, f"Course booked: {len(made)} visits.")
                    return redirect(reverse("scheduling:course-book", args=[plan.pk]))
            preview = services.preview_course(**args)
            status = 200 if not form.errors else 400
    if request.method == "GET":
        record_view(plan)
    context = {
        "plan": plan,
        "patient": plan.patient,
        "form": form,
        "preview": preview,
        "free": sum(1 for v in preview or [] if not v.problem),
        "figures": course_figures(plan),
        "booked": list(Appointment.objects.filter(plan=plan).select_related("practitioner").order_by("start")),
        "config": config,
    }
    return render(request, "scheduling/course_book.html", context, status=status)


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


@require_safe
@permission_required("scheduling.view_appointment")
def week_view(request: HttpRequest) -> HttpResponse:
    """One practitioner's week, Monday to Sunday, each day's visits in order."""
    practitioners = list(services.practitioners())
    chosen = next((p for p in practitioners if str(p.pk) == request.GET.get("practitioner")), None)
    if chosen is None:
        chosen = next(
            (p for p in practitioners if p.pk == request.user.pk), practitioners[0] if practitioners else None
        )
    try:
        week = _monday(date.fromisoformat(request.GET.get("week", "")))
    except ValueError:
        week = _monday(timezone.localdate())
    start = timezone.make_aware(datetime.combine(week, time.min))
    rows = (
        list(
            Appointment.objects.filter(practitioner=chosen, start__gte=start, start__lt=start + timedelta(days=7))
            .exclude(status=Status.CANCELLED)
            .values(
                "pk", "start", "minutes", "kind", "status", "patient_id", "patient__family_name", "patient__given_name"
            )
        )
        if chosen
        else []
    )
    days = [{"day": week + timedelta(days=n), "visits": []} for n in range(7)]
    for row in rows:
        row["start"] = timezone.localtime(row["start"])
        row["end"] = row["start"] + timedelta(minutes=row["minutes"])
        row["kind_label"] = dict(Appointment._meta.get_field("kind").choices)[row["kind"]]
        row["status_label"] = Status(row["status"]).label
        days[row["start"].weekday()]["visits"].append(row)
    record_list(Patient, page="Week view", rows=rows, patient_of=lambda row: row["patient_id"])
    hours = opening_hours()
    for entry in days:
        entry["hours"] = hours.get(entry["day"].weekday(), [])
    context = {
        "practitioners": practitioners,
        "chosen": chosen,
        "week": week,
        "days": days,
        "previous": week - timedelta(days=7),
        "next": week + timedelta(days=7),
        "today": timezone.localdate(),
    }
    return render(request, "scheduling/week_view.html", context)


@require_http_methods(["GET", "POST"])
@permission_required("scheduling.change_schedulesettings")
def schedule_settings(request: HttpRequest) -> HttpResponse:
    config = ScheduleSettings.load()
    form = ScheduleSettingsForm(request.POST or None, instance=config, hours=opening_hours())
    if request.method == "POST" and form.is_valid():
        services.save_schedule_settings(config=form.save(commit=False), hours=form.cleaned_data["hours"])
        messages.success(request, "Schedule settings saved.")
        return redirect("scheduling:schedule-settings")
    return render(request, "scheduling/schedule_settings.html", {"form": form}, status=400 if form.errors else 200)
