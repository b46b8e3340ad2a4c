"""The clinic's day: appointments, a course booked as a series, and the schedule's settings."""

from datetime import datetime, time, timedelta

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from clinic.audit import audited
from clinic.concurrency import VersionedModel
from clinic.fields import range_check
from clinic.models import LocatedQuerySet, Location, Patient
from scheduling.rules import WEEKDAY_NAMES, describe_rule
from treatments.models import Session, TreatmentPlan


class Kind(models.TextChoices):
    NEW_PATIENT = "new_patient", "New patient (with intake)"
    TREATMENT = "treatment", "Treatment"
    REVIEW = "review", "Review"


class Status(models.TextChoices):
    BOOKED = "booked", "Booked"
    ARRIVED = "arrived", "Arrived"
    COMPLETED = "completed", "Completed"
    NO_SHOW = "no_show", "No-show"
    CANCELLED = "cancelled", "Cancelled"


STATE_PHRASES = {
    Status.BOOKED: "is booked",
    Status.ARRIVED: "has been checked in",
    Status.COMPLETED: "is completed",
    Status.NO_SHOW: "was marked as a no-show",
    Status.CANCELLED: "was cancelled",
}

# The statuses whose appointment holds its time (its slot rows): the others have given it back.
HOLDING = (Status.BOOKED, Status.ARRIVED, Status.COMPLETED)


class CancelReason(models.TextChoices):
    PATIENT = "patient", "Patient cancelled"
    PATIENT_LATE = "patient_late", "Patient cancelled late (under 24 hours)"
    CLINIC = "clinic", "Clinic cancelled (practitioner away, closure)"
    MOVED = "moved", "Moved to another time"
    OTHER = "other", "Other"


# A cancellation the clinic made (or a move) is no missed visit: adherence does not count it as due.
CLINIC_SIDE = (CancelReason.CLINIC, CancelReason.MOVED)

DURATION_CHOICES = [(m, f"{m} minutes") for m in (15, 30, 45, 60, 75, 90, 105, 120)]


class ScheduleSettings(models.Model):
    """The clinic's schedule settings, one row (`load()`), set by the manager, the same at every location.
    Each location has its own beds (`Location.beds`) and opening hours (rows of `OpeningHours`)."""

    new_patient_minutes = models.PositiveSmallIntegerField("new patient visit", default=90, choices=DURATION_CHOICES)
    treatment_minutes = models.PositiveSmallIntegerField("treatment visit", default=60, choices=DURATION_CHOICES)
    review_minutes = models.PositiveSmallIntegerField("review visit", default=30, choices=DURATION_CHOICES)
    patients_per_practitioner = models.PositiveSmallIntegerField(
        "patients at once per practitioner",
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(10)],
        help_text="1 for one patient at a time; more for community acupuncture, where one practitioner "
        "treats several patients resting on beds.",
    )
    reminder_hours = models.PositiveSmallIntegerField(
        "send the reminder this many hours before",
        default=24,
        validators=[MinValueValidator(1), MaxValueValidator(168)],
    )

    class Meta:
        verbose_name_plural = "schedule settings"
        constraints = [
            range_check("patients_per_practitioner", 1, 10),
            range_check("reminder_hours", 1, 168),
        ]

    def __str__(self) -> str:
        return "Schedule settings"

    @classmethod
    def load(cls) -> "ScheduleSettings":
        """The one row, made with the defaults the first time it is asked for."""
        return cls.objects.get_or_create(pk=1)[0]

    def minutes_for(self, kind: str) -> int:
        return {
            Kind.NEW_PATIENT: self.new_patient_minutes,
            Kind.TREATMENT: self.treatment_minutes,
            Kind.REVIEW: self.review_minutes,
        }[kind]


# Monday to Friday 8:00-19:00, Saturday 9:00-13:00, until the manager sets the clinic's own.
DEFAULT_HOURS = [*((day, time(8), time(19)) for day in range(5)), (5, time(9), time(13))]


class OpeningHours(models.Model):
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="+")
    weekday = models.PositiveSmallIntegerField(choices=list(enumerate(WEEKDAY_NAMES)))
    opens = models.TimeField()
    closes = models.TimeField()

    class Meta:
        ordering = ["location", "weekday", "opens"]
        verbose_name_plural = "opening hours"
        constraints = [
            range_check("weekday", 0, 6),
            models.CheckConstraint(condition=Q(closes__gt=models.F("opens")), name="openinghours_closes_after_opens"),
        ]

    def __str__(self) -> str:
        return f"{WEEKDAY_NAMES[self.weekday]} {self.opens:%H:%M}–{self.closes:%H:%M}"


def opening_hours(location_ids) -> dict[int, dict[int, list[tuple[time, time]]]]:
    """Each location's week of opening periods by weekday (one query). A location with no hours yet gets the
    usual week's, the first time they are asked for."""
    wanted = set(location_ids)
    hours: dict[int, dict[int, list[tuple[time, time]]]] = {}
    for row in OpeningHours.objects.filter(location__in=wanted):
        hours.setdefault(row.location_id, {}).setdefault(row.weekday, []).append((row.opens, row.closes))
    missing = wanted - set(hours)
    if missing:
        OpeningHours.objects.bulk_create(
            OpeningHours(location_id=location, weekday=day, opens=opens, closes=closes)
            for location in missing
            for day, opens, closes in DEFAULT_HOURS
        )
        for location in missing:
            hours[location] = {day: [(opens, closes)] for day, opens, closes in DEFAULT_HOURS}
    return hours


class Series(models.Model):
    """One part of a course booked from a plan: an RRULE (RFC 5545) from its first visit (DTSTART), with the
    dates taken out of it (EXDATE: a conflict skipped at booking, a visit cancelled on its own). Its visits
    are Appointment rows, made when it is booked; the rule is what "this and following" reads."""

    plan = models.ForeignKey(TreatmentPlan, on_delete=models.PROTECT, related_name="series")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="series")
    practitioner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.TREATMENT)
    minutes = models.PositiveSmallIntegerField("duration (minutes)")
    dtstart = models.DateTimeField("first visit")
    rrule = models.CharField("recurrence rule (RFC 5545)", max_length=200)
    exdates = models.JSONField("dates taken out", default=list, blank=True)
    booked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = LocatedQuerySet.as_manager()

    class Meta:
        ordering = ["dtstart", "id"]
        verbose_name_plural = "series"

    def __str__(self) -> str:
        return f"{self.description} from {timezone.localtime(self.dtstart):%Y-%m-%d %H:%M} for {self.patient}"

    @property
    def description(self) -> str:
        return describe_rule(self.rrule)

    def get_additional_data(self) -> dict:
        return {"patient_id": self.patient_id}


def start_of_day(day) -> datetime:
    """Midnight at the start of `day` in the clinic's time zone."""
    return timezone.make_aware(datetime.combine(day, time.min))


def due_condition(moment) -> Q:
    """The visits that had fallen due by `moment`: started, and not called off by the clinic (adherence's
    denominator: a patient's cancellation and a no-show count as missed)."""
    return Q(start__lt=moment) & ~Q(status=Status.CANCELLED, cancel_reason__in=CLINIC_SIDE)


class AppointmentQuerySet(LocatedQuerySet):
    # Seen by the staff of the location it is at, and by the patient's own location's.
    location_paths = ("location", "patient__location")

    def on_day(self, day) -> "AppointmentQuerySet":
        return self.filter(start__gte=start_of_day(day), start__lt=start_of_day(day + timedelta(days=1)))

    def at(self, location) -> "AppointmentQuerySet":
        """The visits at `location`; all of them when None (no location filter chosen)."""
        return self if location is None else self.filter(location=location)

    def holding(self) -> "AppointmentQuerySet":
        return self.filter(status__in=HOLDING)

    def due_by(self, moment) -> "AppointmentQuerySet":
        return self.filter(due_condition(moment))


class Appointment(VersionedModel):
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="appointments")
    practitioner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # Where the visit is: the patient's home location, unless the booking names another.
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField("type", max_length=12, choices=Kind.choices, default=Kind.TREATMENT)
    start = models.DateTimeField("starts")
    minutes = models.PositiveSmallIntegerField("duration (minutes)", choices=DURATION_CHOICES)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.BOOKED)
    notes = models.TextField("notes for the front desk", blank=True)
    plan = models.ForeignKey(
        TreatmentPlan, on_delete=models.PROTECT, null=True, blank=True, related_name="appointments"
    )
    series = models.ForeignKey(Series, on_delete=models.PROTECT, null=True, blank=True, related_name="appointments")
    # The occurrence of the series this visit is (RECURRENCE-ID): where the rule put it before any move.
    occurrence = models.DateTimeField(null=True, blank=True)
    session = models.OneToOneField(Session, on_delete=models.PROTECT, null=True, blank=True, related_name="appointment")
    arrived_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField("reason", max_length=14, choices=CancelReason.choices, blank=True)
    cancel_note = models.CharField("cancellation note", max_length=200, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    status_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reminder_sent_at = models.DateTimeField(null=True, blank=True)
    booked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AppointmentQuerySet.as_manager()

    class Meta:
        ordering = ["start", "id"]
        indexes = [
            models.Index(fields=["start"], name="appointment_start_idx"),
            models.Index(fields=["location", "start"], name="appointment_location_idx"),
            models.Index(fields=["practitioner", "start"], name="appointment_practitioner_idx"),
            models.Index(fields=["patient", "start"], name="appointment_patient_idx"),
            models.Index(fields=["plan", "start"], name="appointment_plan_idx"),
        ]
        constraints = [
            range_check("minutes", 15, 240),
            # A cancellation says why and who; only a cancelled visit has one.
            models.CheckConstraint(
                condition=(
                    Q(status=Status.CANCELLED, cancelled_by__isnull=False, cancelled_at__isnull=False)
                    & ~Q(cancel_reason="")
                )
                | (~Q(status=Status.CANCELLED) & Q(cancel_reason="")),
                name="appointment_cancelled_has_reason",
            ),
            # A visit with its session note is completed, and a completed one has its note.
            models.CheckConstraint(
                condition=Q(session__isnull=True) | Q(status=Status.COMPLETED), name="appointment_session_completed"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {timezone.localtime(self.start):%Y-%m-%d %H:%M} for {self.patient}"

    def save(self, *args, **kwargs):
        if self.location_id is None:
            self.location_id = self.patient.location_id
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("scheduling:appointment-detail", args=[self.pk])

    def get_additional_data(self) -> dict:
        return {"patient_id": self.patient_id}

    @property
    def end(self):
        return self.start + timedelta(minutes=self.minutes)

    @property
    def state_sentence(self) -> str:
        """How its state reads in a sentence: "This appointment was cancelled", for a refusal's message."""
        return f"This appointment {STATE_PHRASES[self.status]}"

    @property
    def is_open(self) -> bool:
        """Still to happen or happening: it can be moved, cancelled, checked in."""
        return self.status in (Status.BOOKED, Status.ARRIVED)


class AppointmentSlot(models.Model):
    """A quarter hour an appointment holds: the rows the database keeps unique, so two bookings of the same
    time cannot both commit, whichever form or server they come from (docs/architecture.md, "The schedule").

    `lane` is which of the practitioner's patients-at-once this is (1 when they treat one at a time);
    `place` which of the location's beds. Derived from the appointment and written with it by the services;
    the appointment's own audit entries record the booking.
    """

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="slots")
    practitioner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="+")
    slot = models.DateTimeField()
    lane = models.PositiveSmallIntegerField()
    place = models.PositiveSmallIntegerField()

    class Meta:
        constraints = [
            # The practitioner is never double-booked past their patients-at-once.
            models.UniqueConstraint(fields=["practitioner", "slot", "lane"], name="slot_practitioner_lane_once"),
            # No more patients at a location at once than it has beds.
            models.UniqueConstraint(fields=["location", "slot", "place"], name="slot_location_place_once"),
        ]

    def __str__(self) -> str:
        return f"{timezone.localtime(self.slot):%Y-%m-%d %H:%M} lane {self.lane} bed {self.place}"


audited(Appointment)
audited(Series)
audited(ScheduleSettings)
audited(OpeningHours)
