"""Schedule workflows: book, book a course, move, cancel, check in, no-show, complete, remind.

Every booking writes its appointment and the quarter hours it holds (`AppointmentSlot`) in one
transaction; the slot rows' unique constraints are what keep two bookings of the same time from both
committing (docs/architecture.md, "The schedule"). The forms ask `problems()` first, for a friendly message
beside the field; the constraint is the last word when two people book at the same moment.
"""

from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from clinic.audit import log_rows
from clinic.locations import contact_details
from clinic.models import Location, Patient
from clinic.roles import ACUPUNCTURIST
from scheduling import rules
from scheduling.models import (
    HOLDING,
    Appointment,
    AppointmentSlot,
    Kind,
    OpeningHours,
    ScheduleSettings,
    Series,
    Status,
    opening_hours,
    start_of_day,
)
from scheduling.reminders import appointment_email
from treatments.models import Session, TreatmentPlan

TAKEN_MESSAGE = (
    "Someone else booked this time a moment ago, so this booking was not saved. "
    "Everything you typed is still here: pick another time."
)


CHANGED_MESSAGE = (
    "The dates are not the ones you checked: the days or time were changed, or someone booked one of these "
    "times meanwhile. Nothing was booked; here they are again, checked now."
)


class BookingRefused(Exception):
    """A booking, move or state change that cannot be made; `field` is the form field it belongs beside."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


def practitioners():
    """The staff who can be booked: active acupuncturists."""
    return (
        get_user_model()
        .objects.filter(groups__name=ACUPUNCTURIST, is_active=True)
        .order_by("last_name", "first_name", "username")
    )


@dataclass(frozen=True)
class Proposal:
    practitioner_id: int
    start: datetime
    minutes: int
    location_id: int
    patient_id: int | None = None


def problems(proposals: list[Proposal], *, exclude: AbstractSet[int] = frozenset(), now=None) -> list[str]:
    """What stands in the way of each proposed visit ('' when nothing): the past, the grid, the location's
    opening hours (on its clock), the practitioner's other patients, the location's beds. Five queries for any
    number of visits; the visits proposed together count against each other as well (a course cannot
    double-book itself)."""
    now = now or timezone.now()
    config = ScheduleSettings.load()
    locations = Location.objects.in_bulk({p.location_id for p in proposals})
    hours = opening_hours(locations)
    lanes, places = _taken({slot for p in proposals for slot in rules.slot_starts(p.start, p.minutes)}, exclude)
    own = _patients_visits(proposals, exclude)
    out = []
    for p in proposals:
        location = locations[p.location_id]
        local = timezone.localtime(p.start, ZoneInfo(location.time_zone))
        if p.start < now:
            out.append(f"{local:%b} {local.day} at {local:%H:%M} has already passed: choose a time from now on.")
            continue
        if not rules.on_grid(local, p.minutes):
            out.append("Appointments start on the quarter hour (:00, :15, :30, :45).")
            continue
        if not rules.within_hours(local, p.minutes, hours[location.pk]):
            end = local + timedelta(minutes=p.minutes)
            where = f" at {location.name}" if Location.objects.count() > 1 else ""
            out.append(
                f"{local:%H:%M}–{end:%H:%M} is outside opening hours{where}. "
                f"{rules.hours_text(hours[location.pk], local.weekday())}"
            )
            continue
        problem = next(
            (
                f"This patient already has an appointment at {timezone.localtime(start):%H:%M} that day."
                for start, end in (own.get(p.patient_id, []) if p.patient_id is not None else [])
                if start < p.start + timedelta(minutes=p.minutes) and p.start < end
            ),
            "",
        )
        for slot in rules.slot_starts(p.start, p.minutes) if not problem else []:
            at = f"{timezone.localtime(slot, local.tzinfo):%H:%M}"
            lane_taken = lanes.setdefault((p.practitioner_id, slot), set())
            place_taken = places.setdefault((location.pk, slot), set())
            if len(lane_taken) >= config.patients_per_practitioner:
                problem = f"The practitioner is already booked at {at}."
                break
            if len(place_taken) >= location.beds:
                problem = f"All {location.beds} treatment beds are taken at {at}."
                break
        if not problem:  # the visit takes its places, so the next proposal sees them
            for slot in rules.slot_starts(p.start, p.minutes):
                _take_lowest(lanes[(p.practitioner_id, slot)])
                _take_lowest(places[(location.pk, slot)])
        out.append(problem)
    return out


def _take_lowest(taken: set[int]) -> None:
    """Take the lowest place not yet taken (one of 1..n+1 always is), as booking would."""
    taken.add(min(set(range(1, len(taken) + 2)) - taken))


def _patients_visits(proposals: list[Proposal], exclude) -> dict[int, list[tuple[datetime, datetime]]]:
    """Each proposed patient's visits that hold time in the proposals' span: nobody is booked twice at once."""
    patients = {p.patient_id for p in proposals if p.patient_id is not None}
    if not patients:
        return {}
    first = min(p.start for p in proposals) - timedelta(hours=4)
    last = max(p.start for p in proposals) + timedelta(hours=4)
    visits = Appointment.objects.filter(patient__in=patients, status__in=HOLDING, start__gte=first, start__lte=last)
    own: dict[int, list[tuple[datetime, datetime]]] = {}
    for patient_id, start, minutes in visits.exclude(pk__in=exclude).values_list("patient_id", "start", "minutes"):
        own.setdefault(patient_id, []).append((start, start + timedelta(minutes=minutes)))
    return own


Taken = dict[tuple[int, datetime], set[int]]


def _taken(slots: set[datetime], exclude) -> tuple[Taken, Taken]:
    """The lanes each practitioner and the beds each location already use in these quarter hours (one query),
    keyed by (practitioner, quarter hour) and (location, quarter hour)."""
    lanes: Taken = {}
    places: Taken = {}
    held = AppointmentSlot.objects.filter(slot__in=slots).exclude(appointment__in=exclude)
    rows = held.values_list("slot", "practitioner_id", "location_id", "lane", "place")
    for slot, practitioner_id, location_id, lane, place in rows:
        lanes.setdefault((practitioner_id, slot), set()).add(lane)
        places.setdefault((location_id, slot), set()).add(place)
    return lanes, places


def hold_slots(appointments: list[Appointment]) -> None:
    """Write the slot rows of `appointments` (saved, holding). Lanes and beds are the lowest free ones;
    a row another transaction wrote first breaks a unique constraint, and the booking is refused. The
    services call it for every booking; the demo data for the past visits it writes directly."""
    config = ScheduleSettings.load()
    beds = dict(Location.objects.filter(pk__in={a.location_id for a in appointments}).values_list("pk", "beds"))
    wanted = {slot for a in appointments for slot in rules.slot_starts(a.start, a.minutes)}
    lanes, places = _taken(wanted, {a.pk for a in appointments})
    rows = []
    for appointment in appointments:
        for slot in rules.slot_starts(appointment.start, appointment.minutes):
            lane = rules.free_place(
                lanes.setdefault((appointment.practitioner_id, slot), set()), config.patients_per_practitioner
            )
            here = (appointment.location_id, slot)
            place = rules.free_place(places.setdefault(here, set()), beds[appointment.location_id])
            if lane is None or place is None:
                raise BookingRefused(TAKEN_MESSAGE, field="start")
            lanes[(appointment.practitioner_id, slot)].add(lane)
            places[here].add(place)
            rows.append(
                AppointmentSlot(
                    appointment=appointment,
                    practitioner_id=appointment.practitioner_id,
                    location_id=appointment.location_id,
                    slot=slot,
                    lane=lane,
                    place=place,
                )
            )
    try:
        with transaction.atomic():  # a savepoint, so the refusal leaves the outer transaction usable
            AppointmentSlot.objects.bulk_create(rows)
    except IntegrityError as error:
        raise BookingRefused(TAKEN_MESSAGE, field="start") from error


def _refuse_problems(proposals: list[Proposal], *, exclude: AbstractSet[int] = frozenset()) -> None:
    found = [text for text in problems(proposals, exclude=exclude) if text]
    if found:
        raise BookingRefused(found[0], field="start")


@transaction.atomic
def book_appointment(
    *,
    patient: Patient,
    practitioner,
    start: datetime,
    minutes: int,
    kind: str,
    user,
    plan: TreatmentPlan | None = None,
    notes: str = "",
    location: Location | None = None,
) -> Appointment:
    """One visit, checked and held; refused (BookingRefused) with the reason beside the start field. At
    `location`, else the patient's home location (where they are looked after now, even if a course of theirs
    began elsewhere)."""
    location_id = location.pk if location else patient.location_id
    _refuse_problems([Proposal(practitioner.pk, start, minutes, location_id, patient.pk)])
    appointment = Appointment.objects.create(
        patient=patient,
        location_id=location_id,
        practitioner=practitioner,
        start=start,
        minutes=minutes,
        kind=kind,
        plan=plan,
        notes=notes,
        booked_by=user,
    )
    hold_slots([appointment])
    return appointment


@dataclass(frozen=True)
class CourseVisit:
    phase: int
    start: datetime
    problem: str


def preview_course(
    *, plan: TreatmentPlan, practitioner, phases: list[rules.Phase], first_day, at, minutes: int
) -> list[CourseVisit]:
    """Every visit the course would book, each with what stands in its way, before anything is saved."""
    planned = rules.course_dates(phases, first_day, at, timezone.get_current_timezone())
    visits = [(index, start) for index, (_, _, starts) in enumerate(planned) for start in starts]
    home = plan.patient.location_id  # the course's visits are where the patient is looked after now
    found = problems([Proposal(practitioner.pk, start, minutes, home, plan.patient_id) for _, start in visits])
    return [CourseVisit(index, start, problem) for (index, start), problem in zip(visits, found, strict=True)]


@transaction.atomic
def book_course(
    *,
    plan: TreatmentPlan,
    practitioner,
    phases: list[rules.Phase],
    first_day,
    at,
    minutes: int,
    user,
    kind=Kind.TREATMENT,
    expected: list[datetime] | None = None,
) -> list[Appointment]:
    """The course as one series per phase, each visit an appointment. The visits with a problem (shown
    before saving) are left out and recorded as the series' exceptions (EXDATE), never skipped unseen."""
    tz = timezone.get_current_timezone()
    planned = rules.course_dates(phases, first_day, at, tz)
    last = planned[-1][2][-1]
    if rules.runs_past_a_year(planned[0][1].date(), last.date()):
        raise BookingRefused("A course booked at once runs for a year at most: book fewer weeks.", field="weeks")
    if sum(len(starts) for _, _, starts in planned) > rules.MAX_SERIES_VISITS:
        raise BookingRefused(f"A course booked at once has {rules.MAX_SERIES_VISITS} visits at most.", field="weeks")
    visits = preview_course(
        plan=plan, practitioner=practitioner, phases=phases, first_day=first_day, at=at, minutes=minutes
    )
    if expected is not None and [v.start for v in visits if not v.problem] != expected:
        raise BookingRefused(CHANGED_MESSAGE)
    if all(v.problem for v in visits):
        raise BookingRefused(
            "None of these visits can be booked: change the days, time or practitioner.", field="start"
        )
    made = []
    for index, (phase, first, _) in enumerate(planned):
        skipped = sorted(
            {timezone.localtime(v.start).date().isoformat() for v in visits if v.phase == index and v.problem}
        )
        series = Series.objects.create(
            plan=plan,
            patient=plan.patient,
            practitioner=practitioner,
            kind=kind,
            minutes=minutes,
            dtstart=first,
            rrule=phase.rule(),
            exdates=skipped,
            booked_by=user,
        )
        made += [
            Appointment(
                patient=plan.patient,
                location_id=plan.patient.location_id,
                practitioner=practitioner,
                kind=kind,
                start=v.start,
                occurrence=v.start,
                minutes=minutes,
                plan=plan,
                series=series,
                booked_by=user,
            )
            for v in visits
            if v.phase == index and not v.problem
        ]
    made = Appointment.objects.bulk_create(made)
    log_rows(created=made)  # bulk rows: one audit entry each
    hold_slots(made)
    return made


def _local(moment: datetime) -> datetime:
    """Wall-clock time in the clinic, without the zone: shifts are made on the clock, not in UTC."""
    return timezone.localtime(moment).replace(tzinfo=None)


def _aware(wall: datetime) -> datetime:
    return wall.replace(tzinfo=timezone.get_current_timezone())


def _following(appointment: Appointment) -> list[Appointment]:
    """This visit and the later booked visits of its course booked as series (every part of it), in the
    order the rules put them (their occurrence, not where a move of one visit put it)."""
    series = appointment.series
    if series is None:
        return [appointment]
    rest = Appointment.objects.select_for_update(of=("self",)).filter(
        series__plan_id=series.plan_id, occurrence__gte=_occurrence(appointment), status=Status.BOOKED
    )
    # The visit itself as the caller locked it (with the version its form was loaded at), the rest as stored.
    return sorted({a.pk: a for a in [*rest, appointment]}.values(), key=_occurrence)


def _occurrence(appointment: Appointment) -> datetime:
    """Where its series' rule put the visit (RECURRENCE-ID); only a visit of a series has one."""
    if appointment.occurrence is None:
        raise ValueError(f"Appointment {appointment.pk} is not part of a series: it has no occurrence.")
    return appointment.occurrence


def _locked(appointment: Appointment, version: int | None = None) -> Appointment:
    """The appointment as stored, locked. With the `version` a form was loaded at, a change someone else
    saved since is caught by the version check on save (StaleRecordError), not overwritten."""
    current = Appointment.objects.select_for_update(of=("self",)).select_related("series").get(pk=appointment.pk)
    if version is not None:
        current.version = version
    return current


def _refuse_unless_booked(appointment: Appointment, action: str) -> None:
    field = "reason" if action == "cancelled" else "start"
    if appointment.status == Status.ARRIVED:
        raise BookingRefused(
            f"The patient has been checked in: it cannot be {action}. Record the session, or a no-show if they "
            "left untreated.",
            field=field,
        )
    if appointment.status != Status.BOOKED:
        raise BookingRefused(f"{appointment.state_sentence}: it cannot be {action}.", field=field)


@transaction.atomic
def move_appointment(
    *,
    appointment: Appointment,
    start: datetime,
    minutes: int,
    practitioner,
    user,
    following: bool = False,
    version: int | None = None,
) -> list[Appointment]:
    """Move this visit, or this and the course's following ones by the same shift, to a new time.

    "This one" keeps its place in the series (its occurrence, RECURRENCE-ID). "This and following" moves
    the rule itself: each following visit goes where its occurrence plus the shift puts it (a one-off move
    of one of them is replaced), and the series are cut and shifted to match, so they still expand to
    exactly the visits booked."""
    appointment = _locked(appointment, version)
    _refuse_unless_booked(appointment, "moved")
    following = following and appointment.series_id is not None
    if following:
        shift = _local(start) - _local(_occurrence(appointment))
        targets = [(a, _aware(_local(_occurrence(a)) + shift)) for a in _following(appointment)]
    else:
        targets = [(appointment, start)]
    ids = {a.pk for a, _ in targets}
    found = problems(
        [Proposal(practitioner.pk, new, minutes, a.location_id, a.patient_id) for a, new in targets], exclude=ids
    )
    for (a, _), problem in zip(targets, found, strict=True):
        if problem:
            local = timezone.localtime(a.start)
            prefix = f"The visit of {local:%b} {local.day} cannot move: " if len(targets) > 1 else ""
            raise BookingRefused(prefix + problem, field="start")
    AppointmentSlot.objects.filter(appointment__in=ids).delete()
    if following:
        _shift_series(appointment, targets, shift, practitioner, minutes)
    for a, new in targets:
        # A patient already reminded of the old time is told of the new one (and gets the reminder again).
        reminded = a.reminder_sent_at is not None
        a.start, a.minutes, a.practitioner = new, minutes, practitioner
        a.reminder_sent_at = None  # a reminder of the old time no longer holds
        a.status_changed_by = user
        a.save(
            update_fields=[
                "start",
                "minutes",
                "practitioner",
                "reminder_sent_at",
                "status_changed_by",
                "series",
                "occurrence",
                "updated_at",
            ]
        )
        if reminded:
            _tell_patient(a, "moved")
    hold_slots([a for a, _ in targets])
    return [a for a, _ in targets]


def _occurrences(series: Series) -> list[datetime]:
    """Every occurrence of the series' rule, exceptions included (its COUNT counts them too)."""
    return rules.expand(series.rrule, timezone.localtime(series.dtstart))


def _shift_series(appointment: Appointment, targets, shift, practitioner, minutes: int) -> None:
    """The course's series from this visit on, moved by `shift`: the series it is in ends the day before it
    and a shifted copy of its rest takes over; later series are shifted whole."""
    mark = _occurrence(appointment)
    days = (_local(mark) + shift).date() - _local(mark).date()
    moved_to: dict[int, Series] = {}
    for series in _course_series(appointment):
        later = [o for o in _occurrences(series) if o >= mark]
        if not later:
            continue
        exdates = [d for d in series.exdates if d >= _local(later[0]).date().isoformat()]
        fields = {
            "dtstart": _aware(_local(later[0]) + shift),
            "rrule": rules.shift_weekdays(series.rrule, days.days, len(later)),
            "exdates": sorted((date.fromisoformat(d) + days).isoformat() for d in exdates),
            "practitioner": practitioner,
            "minutes": minutes,
        }
        if series.dtstart >= mark:  # the whole series moves
            for name, value in fields.items():
                setattr(series, name, value)
            series.save()
            moved_to[series.pk] = series
        else:
            moved_to[series.pk] = Series.objects.create(
                plan=series.plan, patient=series.patient, kind=series.kind, booked_by=series.booked_by, **fields
            )
            series.rrule = rules.until(series.rrule, _local(mark).date() - timedelta(days=1))
            series.exdates = [d for d in series.exdates if d < _local(mark).date().isoformat()]
            series.save(update_fields=["rrule", "exdates"])
    for a, new in targets:
        a.series = moved_to.get(a.series_id, a.series)
        a.occurrence = new


def _course_series(appointment: Appointment) -> list[Series]:
    """The series of the visit's course that reach its occurrence: its own and the parts after it, locked."""
    if appointment.series is None:
        return []
    return list(
        Series.objects.select_for_update()
        .filter(plan_id=appointment.series.plan_id)
        .filter(Q(pk=appointment.series_id) | Q(dtstart__gte=appointment.occurrence))
        .order_by("dtstart", "pk")
    )


@transaction.atomic
def cancel_appointment(
    *,
    appointment: Appointment,
    reason: str,
    note: str = "",
    user,
    following: bool = False,
    version: int | None = None,
) -> list[Appointment]:
    """Cancel this visit (or this and the course's following ones), saying why; the time is given back.
    The series record it: one visit as an exception (EXDATE), the following ones by ending the rules."""
    appointment = _locked(appointment, version)
    _refuse_unless_booked(appointment, "cancelled")
    following = following and appointment.series_id is not None
    cancelled = _following(appointment) if following else [appointment]
    now = timezone.now()
    AppointmentSlot.objects.filter(appointment__in=[a.pk for a in cancelled]).delete()
    for a in cancelled:
        a.status, a.cancel_reason, a.cancel_note, a.cancelled_at, a.cancelled_by = (
            Status.CANCELLED,
            reason,
            note,
            now,
            user,
        )
        a.status_changed_by = user
        a.save(
            update_fields=[
                "status",
                "cancel_reason",
                "cancel_note",
                "cancelled_at",
                "cancelled_by",
                "status_changed_by",
                "updated_at",
            ]
        )
        if a.reminder_sent_at is not None:  # reminded of it: the calendar entry is taken back
            _tell_patient(a, "cancelled")
    if following:
        # Every part of the course from here ends the day before this visit (a part not yet begun then has none).
        day_before = _local(_occurrence(appointment)).date() - timedelta(days=1)
        for series in _course_series(appointment):
            series.rrule = rules.until(series.rrule, day_before)
            series.save(update_fields=["rrule"])
    elif appointment.series_id is not None:
        series = Series.objects.select_for_update().get(pk=appointment.series_id)
        series.exdates = sorted({*series.exdates, _local(_occurrence(appointment)).date().isoformat()})
        series.save(update_fields=["exdates"])
    return cancelled


def _set_status(appointment: Appointment, status: str, user, **fields) -> Appointment:
    appointment.status = status
    appointment.status_changed_by = user
    for name, value in fields.items():
        setattr(appointment, name, value)
    appointment.save(update_fields=["status", "status_changed_by", "updated_at", *fields])
    return appointment


@transaction.atomic
def check_in(*, appointment: Appointment, user) -> Appointment:
    appointment = _locked(appointment)
    if appointment.status == Status.ARRIVED:
        return appointment  # checked in twice: the first stands
    if appointment.status != Status.BOOKED:
        raise BookingRefused(
            f"{appointment.state_sentence}, so the patient cannot be checked in "
            "to it. Book a new appointment for today if they are here to be seen."
        )
    if timezone.localtime(appointment.start).date() != timezone.localdate():
        raise BookingRefused("Patients are checked in on the day of their appointment.")
    return _set_status(appointment, Status.ARRIVED, user, arrived_at=timezone.now())


@transaction.atomic
def mark_no_show(*, appointment: Appointment, user) -> Appointment:
    appointment = _locked(appointment)
    if appointment.status == Status.NO_SHOW:
        return appointment
    if appointment.status not in (Status.BOOKED, Status.ARRIVED):
        raise BookingRefused(f"{appointment.state_sentence}: it cannot be a no-show.")
    if appointment.start > timezone.now():
        raise BookingRefused("A visit that has not started yet cannot be a no-show: cancel it instead.")
    AppointmentSlot.objects.filter(appointment=appointment).delete()
    return _set_status(appointment, Status.NO_SHOW, user)


@transaction.atomic
def complete_appointment(*, appointment: Appointment, session: Session, user) -> Appointment:
    """The visit's session is logged: the appointment is completed and points at its note."""
    appointment = Appointment.objects.select_for_update().get(pk=appointment.pk)
    if appointment.session_id == session.pk:
        return appointment
    if appointment.session_id is not None:
        raise BookingRefused("This appointment is already completed, with another session.")
    if appointment.status not in (Status.BOOKED, Status.ARRIVED):
        raise BookingRefused(f"{appointment.state_sentence}: no session completes it now.")
    fields: dict[str, object] = {"session": session}
    if appointment.arrived_at is None:
        fields["arrived_at"] = session.started_at
    if appointment.plan_id is None:
        fields["plan"] = session.plan
    return _set_status(appointment, Status.COMPLETED, user, **fields)


def same_day_session(appointment: Appointment) -> Session | None:
    """A session of the patient logged on the visit's day without going through the appointment."""
    day = timezone.localtime(appointment.start).date()
    start = start_of_day(day)
    return (
        Session.objects.filter(
            patient=appointment.patient_id, started_at__gte=start, started_at__lt=start + timedelta(days=1)
        )
        .filter(appointment__isnull=True)
        .order_by("started_at")
        .first()
    )


@transaction.atomic
def save_schedule_settings(
    *, config: ScheduleSettings, location: Location, beds: int, hours: list[tuple[int, time, time]]
) -> ScheduleSettings:
    """The manager's settings, and one location's beds and week of opening hours. Only what really changed is
    written (each with its own audit entry): an unchanged save leaves no entry."""
    config.save()
    if location.beds != beds:
        location.beds = beds
        location.save(update_fields=["beds"])
    wanted = set(hours)
    for row in OpeningHours.objects.filter(location=location):
        if (row.weekday, row.opens, row.closes) in wanted:
            wanted.discard((row.weekday, row.opens, row.closes))
        else:
            row.delete()
    for weekday, opens, closes in sorted(wanted):
        OpeningHours.objects.create(location=location, weekday=weekday, opens=opens, closes=closes)
    return config


def send_appointment_reminders(*, now=None) -> int:
    """Email each booked patient their reminder once, the clinic's set number of hours before, with an
    .ics file. Idempotent: each reminder is claimed by a conditional UPDATE before it is sent, so a second
    run (or a second host) sends nothing twice. Returns how many were sent."""
    now = now or timezone.now()
    config = ScheduleSettings.load()
    due = Appointment.objects.filter(
        status=Status.BOOKED,
        reminder_sent_at__isnull=True,
        start__gt=now,
        start__lte=now + timedelta(hours=config.reminder_hours),
    ).exclude(patient__email="")
    sent = 0
    for appointment in due.select_related("patient", "location").order_by("start")[:1000]:
        with transaction.atomic():
            claimed = Appointment.objects.filter(
                pk=appointment.pk, status=Status.BOOKED, reminder_sent_at__isnull=True
            ).update(reminder_sent_at=now)
            if not claimed:
                continue
            log_rows(updated=[(appointment, _with_reminder(appointment, now))])
            message: EmailMessage = appointment_email(appointment, clinic=contact_details(appointment.location))
            transaction.on_commit(message.send)
            sent += 1
    return sent


def _with_reminder(appointment: Appointment, now) -> Appointment:
    after = Appointment(**{f.attname: getattr(appointment, f.attname) for f in Appointment._meta.concrete_fields})
    after.reminder_sent_at = now
    return after


def _tell_patient(appointment: Appointment, kind: str) -> None:
    """Email the patient about a change to a visit they hold in their calendar, after commit."""
    if appointment.patient.email:
        message = appointment_email(appointment, clinic=contact_details(appointment.location), kind=kind)
        transaction.on_commit(message.send)
