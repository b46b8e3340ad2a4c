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
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from clinic.access import get_patient_for, permission_required, require_perm
from clinic.audit import record_list, record_view
from clinic.concurrency import UNVERSIONED_MESSAGE, StaleRecordError
from clinic.errors import conflict
from clinic.forms import location_field
from clinic.locations import NO_LOCATION_MESSAGE, chosen_location, scope_of
from clinic.models import Location, Patient
from clinic.security import safe_next
from scheduling import rules, services
from scheduling.access import get_appointment_for, get_plan_to_book
from scheduling.forms import AppointmentForm, CancelForm, CourseForm, MoveForm, ScheduleSettingsForm
from scheduling.models import Appointment, ScheduleSettings, Status, opening_hours, start_of_day
from scheduling.panels import as_visit_row, course_figures
from treatments.models import PlanStatus, TreatmentPlan
from treatments.views import new_session_page

STALE_MESSAGE = "Someone else changed this appointment while you had it open. Here it is as it is now."


def _back(request: HttpRequest, appointment: Appointment) -> str:
    """Where an action returns: the page it was posted from (the day sheet, the week), else the appointment."""
    return safe_next(request, appointment.get_absolute_url())


def _posted_version(request: HttpRequest) -> int | None:
    """The version of the appointment the form was loaded at (a stale form is then caught, not applied);
    None when the page sent none or nonsense."""
    value = request.POST.get("version", "")
    return int(value) if value.isascii() and value.isdigit() and len(value) < 10 else None


def _refusal_field(error: services.BookingRefused, form, default: str | None) -> str | None:
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
    form = AppointmentForm(
        request.POST or None,
        initial=initial,
        practitioners=practitioners,
        plans=plans,
        location=location_field(request.user, initial=patient.location_id),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            appointment = services.book_appointment(
                location=data.get("location"),
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
    record_view(appointment)  # every page that shows it, refusals included
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
        "has_begun": appointment.start <= timezone.now(),  # a no-show only once the visit's time has come
    }
    return render(request, "scheduling/appointment_detail.html", context, status=status)


@require_safe
@permission_required("scheduling.view_appointment")
def appointment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _appointment_page(request, get_appointment_for(request.user, pk))


def _change(request: HttpRequest, appointment: Appointment, form, form_name: str, act) -> HttpResponse:
    """A move or a cancellation: refusals beside the form's fields, or above them when the appointment can
    no longer be changed at all (its forms are then not shown); a stale or unversioned form is refused."""
    version = _posted_version(request)
    if form.is_valid():
        if version is None:
            form.add_error(None, UNVERSIONED_MESSAGE)
        else:
            try:
                return act(form.cleaned_data, version)
            except services.BookingRefused as refused:
                if appointment.status != Status.BOOKED:
                    return _appointment_page(request, appointment, error=refused.message, status=409)
                form.add_error(_refusal_field(refused, form, next(iter(form.fields))), refused.message)
            except StaleRecordError:
                form.add_error(None, STALE_MESSAGE)
    return _appointment_page(request, appointment, **{form_name: form}, status=400)


@require_POST
@permission_required("scheduling.change_appointment")
def appointment_move(request: HttpRequest, pk: int) -> HttpResponse:
    appointment = get_appointment_for(request.user, pk, "scheduling.change_appointment")
    form = MoveForm(request.POST, practitioners=services.practitioners(), in_series=appointment.series_id is not None)

    def move(data: dict, version: int) -> HttpResponse:
        moved = services.move_appointment(
            appointment=appointment,
            start=data["start"],
            minutes=data["minutes"],
            practitioner=data["practitioner"],
            user=request.user,
            following=data.get("scope") == "following",
            version=version,
        )
        messages.success(request, f"Moved {len(moved)} visit{'s' if len(moved) != 1 else ''}.")
        return redirect(moved[0])

    return _change(request, appointment, form, "move", move)


@require_POST
@permission_required("scheduling.change_appointment")
def appointment_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    appointment = get_appointment_for(request.user, pk, "scheduling.change_appointment")
    form = CancelForm(request.POST, in_series=appointment.series_id is not None)

    def cancel(data: dict, version: int) -> HttpResponse:
        cancelled = services.cancel_appointment(
            appointment=appointment,
            reason=data["reason"],
            note=data["note"],
            user=request.user,
            following=data.get("scope") == "following",
            version=version,
        )
        messages.success(request, f"Cancelled {len(cancelled)} visit{'s' if len(cancelled) != 1 else ''}.")
        return redirect(_back(request, appointment))

    return _change(request, appointment, form, "cancel", cancel)


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


KEPT_ELSEWHERE = (
    "This patient's records are kept at another location, so their session cannot be logged or linked here. "
    "Ask the clinic manager to move the patient to your location (their whole history goes with them), or to "
    "let you see every location."
)


def _patient_kept_elsewhere(request: HttpRequest, appointment: Appointment) -> HttpResponse | None:
    """A visit at the user's location by a patient of another (the desk checks them in): their clinical record
    stays out of reach, so no session is logged or linked from it; a 409 page saying why, or None."""
    if Patient.objects.visible_to(request.user).filter(pk=appointment.patient_id).exists():
        return None
    return conflict(request, KEPT_ELSEWHERE, back=appointment.get_absolute_url(), back_label="Back to the appointment")


@require_http_methods(["GET", "POST"])
@permission_required("treatments.add_session")
def appointment_session(request: HttpRequest, pk: int) -> HttpResponse:
    """The session form from an arrived patient's appointment: the visit's time, the previous session's
    points; saving it completes the appointment (in the same transaction).

    A note being typed is never lost to the schedule: if the desk changed the appointment meanwhile (a
    no-show, a cancellation), the session is still saved, without the appointment, and the clinician told.
    """
    appointment = get_appointment_for(request.user, pk)
    if appointment.session_id is not None:
        return redirect("treatments:session-detail", appointment.session_id)
    back = {"back": appointment.get_absolute_url(), "back_label": "Back to the appointment"}
    if timezone.localtime(appointment.start).date() > timezone.localdate():
        return conflict(request, "This visit is on a later day: its session is logged on the day.", **back)
    if request.method == "GET" and not appointment.is_open:
        return conflict(request, f"{appointment.state_sentence}: no session is logged from it.", **back)
    if (refused := _patient_kept_elsewhere(request, appointment)) is not None:
        return refused
    plan = appointment.plan or (
        TreatmentPlan.objects.visible_to(request.user)
        .filter(patient=appointment.patient_id, status=PlanStatus.ACTIVE)
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

    def complete(session) -> None:
        try:
            services.complete_appointment(appointment=appointment, session=session, user=request.user)
        except services.BookingRefused as refused:
            messages.warning(
                request, f"{refused.message} The session was saved on its own; the appointment was left as it is."
            )

    return new_session_page(
        request,
        plan,
        # The visit's time; a patient seen before it (checked in early) is dated now: a session is never in
        # the future, and the form would refuse the time it had filled in itself.
        started_at=min(appointment.start, timezone.now()),
        location_id=appointment.location_id,
        after_save=complete,
    )


@require_POST
@permission_required("scheduling.change_appointment")
def appointment_complete(request: HttpRequest, pk: int) -> HttpResponse:
    """An arrived patient whose session was logged on the day without the appointment: link the two."""
    appointment = get_appointment_for(request.user, pk, "scheduling.change_appointment")
    if (refused := _patient_kept_elsewhere(request, appointment)) is not None:
        return refused
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
    if plan.status != PlanStatus.ACTIVE:
        return conflict(
            request,
            f"This course of care is {plan.get_status_display().lower()}: book visits for the patient's current plan.",
            back=plan.patient.get_absolute_url(),
            back_label="Back to the patient",
        )
    config = ScheduleSettings.load()
    figures = course_figures(plan)
    # The sessions still to book: planned, less those logged and those already booked to come.
    unbooked = plan.planned_sessions - plan.session_count - figures["booked"]
    suggested = rules.suggest_phases(plan.frequency, max(unbooked, 1))
    form = CourseForm(
        request.POST or None,
        initial=CourseForm.initial_for(plan, suggested, config.treatment_minutes),
        practitioners=services.practitioners(),
    )
    preview, status = None, 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            args = {
                "plan": plan,
                "practitioner": data["practitioner"],
                "phases": data["phases"],
                "first_day": data["first_day"],
                "at": data["at"],
                "minutes": data["minutes"] or config.treatment_minutes,
            }
            # Booking books exactly the visits the user checked: the free dates of the preview come back with it.
            checked = _posted_starts(request)
            if request.POST.get("action") == "book" and checked is not None:
                try:
                    made = services.book_course(**args, user=request.user, expected=checked)
                except services.BookingRefused as refused:
                    form.add_error(_refusal_field(refused, form, None), refused.message)
                else:
                    messages.success(request, f"Course booked: {len(made)} visits.")
                    return redirect(reverse("scheduling:course-book", args=[plan.pk]))
            preview = services.preview_course(**args)
            status = 200 if not form.errors else 400
    record_view(plan)
    context = {
        "plan": plan,
        "patient": plan.patient,
        "form": form,
        "preview": preview,
        "free": sum(1 for v in preview or [] if not v.problem),
        "figures": figures,
        "unbooked": unbooked,
        "booked": list(Appointment.objects.filter(plan=plan).select_related("practitioner").order_by("start")),
    }
    return render(request, "scheduling/course_book.html", context, status=status)


def _posted_starts(request: HttpRequest) -> list[datetime] | None:
    """The free visits the preview showed, as the booking form sends them back (None: no preview was seen)."""
    starts = request.POST.getlist("visit")
    try:
        return [datetime.fromisoformat(value) for value in starts] if starts else None
    except ValueError:
        return []  # altered: matches no preview, so the dates are checked again


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
    week = _monday(rules.day_from(request.GET.get("week", ""), timezone.localdate()))
    start = start_of_day(week)
    location = chosen_location(request.user, request.GET.get("location"))
    visible = Appointment.objects.visible_to(request.user).at(location)
    rows = (
        list(
            visible.filter(practitioner=chosen, start__gte=start, start__lt=start + timedelta(days=7))
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
        as_visit_row(row)
        days[row["start"].weekday()]["visits"].append(row)
    record_list(Patient, page="Week view", rows=rows, patient_of=lambda row: row["patient_id"])
    # The opening hours of the location shown (of the one location the user sees, when no filter names one).
    scope = scope_of(request.user)
    hours_of = location or (scope.visible[0] if len(scope.visible) == 1 else None)
    hours = opening_hours([hours_of.pk])[hours_of.pk] if hours_of else None
    for entry in days:
        entry["hours"] = hours.get(entry["day"].weekday(), []) if hours is not None else None
    context = {
        "practitioners": practitioners,
        "chosen": chosen,
        "location": location,
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
    """The visit lengths and reminders of the whole clinic, and one location's beds and opening hours."""
    config = ScheduleSettings.load()
    scope = scope_of(request.user)
    location = chosen_location(request.user, request.GET.get("location")) or next(iter(scope.visible), None)
    if location is None:
        return conflict(request, NO_LOCATION_MESSAGE)
    location = Location.objects.get(pk=location.pk)  # its beds as stored now, not as the session last read them
    hours = opening_hours([location.pk])[location.pk]
    form = ScheduleSettingsForm(request.POST or None, instance=config, hours=hours, location=location)
    if request.method == "POST" and form.is_valid():
        services.save_schedule_settings(
            config=form.save(commit=False),
            location=location,
            beds=form.cleaned_data["beds"],
            hours=form.cleaned_data["hours"],
        )
        messages.success(
            request, f"Schedule settings saved for {location}." if scope.several else "Schedule settings saved."
        )
        here = reverse("scheduling:schedule-settings")
        return redirect(f"{here}?location={location.pk}" if scope.several else here)
    context = {"form": form, "location": location}
    return render(request, "scheduling/schedule_settings.html", context, status=400 if form.errors else 200)
