"""Point catalogue, protocols, the course of care, sessions and their parts, addenda and fees."""

from decimal import Decimal
from html import escape  # Django's escape() is this, wrapped in a SafeString per call

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe

from clinic.audit import audited
from clinic.concurrency import VersionedModel
from clinic.fields import range_check
from clinic.formats import month_day_year, month_day_year_time, url_maker
from clinic.models import LocatedQuerySet, Location, Patient
from intake.models import TcmPattern

# TreatmentPlan's column the questionnaire schedule sets once (outcomes.services): no plan edit writes it.
SCHEDULE_FIELDS = frozenset({"questionnaires_from"})
# TreatmentPlan's outcome summary, computed from its questionnaires and session days by the outcomes app
# (outcomes.summary.refresh_outcomes), which treatments never imports; and its session count, kept by
# treatments.services. No edit of the plan writes them.
OUTCOME_FIELDS = frozenset(
    {
        "baseline_odi",
        "baseline_before_treatment",
        "week4_odi",
        "week8_odi",
        "latest_odi",
        "latest_odi_week",
        "no_improvement",
        "baseline_analgesic",
        "week8_analgesic",
        "baseline_work",
        "week8_work",
        "baseline_leg_pain",
        "week8_leg_pain",
        "odi_at_session_4",
        "odi_at_session_8",
        "odi_at_session_12",
        "first_relief_days",
        "tuina_first_session",
    }
)
DERIVED_FIELDS = OUTCOME_FIELDS | {"session_count", "outcome_stale"}


class SignedSessionError(ValidationError):
    """Raised by every write path that would change a signed session or anything in it."""

    def __init__(self):
        super().__init__("This session is signed and locked. Add an addendum to correct or add to it.")


class UnsignedSessionError(ValidationError):
    """A superbill, the payments recorded on it and addenda come only from a signed session."""

    def __init__(self, message: str = "A superbill is printed only from a signed session. Sign the note first."):
        super().__init__(message)


# --- catalogue -------------------------------------------------------------------------------


class PointQuerySet(models.QuerySet):
    def search(self, text: str) -> "PointQuerySet":
        """Points whose code starts with the typed code, or whose names contain the text."""
        from treatments.codes import normalise_point_code

        # A NUL cannot be in any name, and PostgreSQL refuses it in a query: nothing matches.
        text = (text or "").strip()[:40]
        if not text or "\x00" in text:
            return self.none()
        code = normalise_point_code(text)
        prefix = code or text.upper().replace(" ", "").replace("-", "")
        return self.filter(
            Q(code__istartswith=prefix) | Q(pinyin__icontains=text) | Q(english__icontains=text) | Q(hanzi=text)
        ).order_by("meridian", "number")


class Point(models.Model):
    code = models.CharField(max_length=10, unique=True)
    meridian = models.CharField(max_length=6)
    number = models.PositiveSmallIntegerField()
    pinyin = models.CharField(max_length=40)
    hanzi = models.CharField(max_length=20)
    english = models.CharField(max_length=80)
    region = models.CharField(max_length=20)

    objects = PointQuerySet.as_manager()

    class Meta:
        ordering = ["meridian", "number"]

    def __str__(self) -> str:
        return f"{self.code} {self.pinyin}"


class Protocol(models.Model):
    """A named point set; clinic-wide when it has no owner."""

    name = models.CharField(max_length=100)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="protocols",
        help_text="Leave empty for a clinic-wide protocol.",
    )
    description = models.TextField(blank=True)
    points = models.ManyToManyField(Point, through="ProtocolPoint", related_name="+")

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["name", "owner"], name="protocol_unique_name_per_owner")]

    def __str__(self) -> str:
        return self.name if self.owner_id is None else f"{self.name} ({self.owner})"


class Side(models.TextChoices):
    LEFT = "L", "Left"
    RIGHT = "R", "Right"
    BILATERAL = "B", "Bilateral"
    MIDLINE = "M", "Midline"


class Technique(models.TextChoices):
    EVEN = "even", "Even"
    TONIFY = "tonify", "Tonify"
    REDUCE = "reduce", "Reduce"


class ProtocolPoint(models.Model):
    protocol = models.ForeignKey(Protocol, on_delete=models.CASCADE, related_name="protocol_points")
    point = models.ForeignKey(Point, on_delete=models.PROTECT)
    side = models.CharField(max_length=1, choices=Side.choices, default=Side.BILATERAL)
    technique = models.CharField(max_length=6, choices=Technique.choices, default=Technique.EVEN)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return f"{self.point_id} in {self.protocol_id}"


# --- course of care --------------------------------------------------------------------------


class PlanStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    COMPLETED = "completed", "Completed"
    DISCONTINUED = "discontinued", "Discontinued"


REVIEW_SESSION = 4


# The reviews a plan asks for, by the key the review form posts.
REVIEWS = {
    "final": "End-of-course review",
    "no_improvement": "Review: no improvement by week 6",
    "4": f"Session {REVIEW_SESSION} review",
}
# review_due names a review by its label; the form and the dashboard post its key.
REVIEW_KEYS = {label: key for key, label in REVIEWS.items()}
# What review_due reads of a plan (the dashboard reads exactly these columns).
REVIEW_FIELDS = (
    "status",
    "planned_sessions",
    "session_count",
    "review_at_4",
    "final_review_at",
    "no_improvement",
    "no_improvement_review_at",
)


def review_due(
    *,
    status: str,
    planned_sessions: int,
    session_count: int,
    review_at_4,
    final_review_at,
    no_improvement: bool = False,
    no_improvement_review_at=None,
) -> str:
    """The review a plan is waiting for ('' when none): the end of the course first, then no improvement by
    week 6 (guidelines advise reassessing and referring), then session 4."""
    if status != PlanStatus.ACTIVE:
        return ""
    if session_count >= planned_sessions and final_review_at is None:
        return REVIEWS["final"]
    if no_improvement and no_improvement_review_at is None:
        return REVIEWS["no_improvement"]
    if session_count >= REVIEW_SESSION and review_at_4 is None:
        return REVIEWS["4"]
    return ""


def review_due_condition() -> Q:
    """Active plans at or past session 4 without the first review, at their end without the last, or
    with no improvement by week 6 and no review of it.

    One expression for the queryset and for the partial index that serves it, so the database can
    see that the index covers the query.
    """
    return Q(status=PlanStatus.ACTIVE) & (
        Q(session_count__gte=REVIEW_SESSION, review_at_4__isnull=True)
        | Q(session_count__gte=F("planned_sessions"), final_review_at__isnull=True)
        | Q(no_improvement=True, no_improvement_review_at__isnull=True)
    )


class TreatmentPlanQuerySet(LocatedQuerySet):
    def reviews_due(self) -> "TreatmentPlanQuerySet":
        return self.filter(review_due_condition())


class TreatmentPlan(VersionedModel):
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="plans")
    # Where the course is given: the patient's home location when the plan is made (the report compares
    # locations by it, so a patient who moves later leaves their finished course where it was given).
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+")
    practitioner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    diagnosis_codes = models.JSONField("ICD-10-CM diagnosis codes", default=list)
    tcm_pattern = models.CharField("TCM pattern", max_length=20, choices=TcmPattern.choices)
    planned_sessions = models.PositiveSmallIntegerField(
        "planned sessions", default=10, validators=[MinValueValidator(1), MaxValueValidator(60)]
    )
    frequency = models.CharField(max_length=200, default="Twice weekly for 3 weeks, then weekly")
    start_date = models.DateField("start date")
    goals = models.TextField()
    status = models.CharField(max_length=12, choices=PlanStatus.choices, default=PlanStatus.ACTIVE)
    review_at_4 = models.DateTimeField("session 4 review", null=True, blank=True)
    final_review_at = models.DateTimeField("end-of-course review", null=True, blank=True)
    review_notes = models.TextField("review notes", blank=True)
    # Derived data (DERIVED_FIELDS), so progress, reviews due and the outcomes report read one row per
    # plan (docs/architecture.md): never written by an edit of the plan.
    session_count = models.PositiveSmallIntegerField("sessions logged", default=0, editable=False)
    # Set when sessions are added or moved: the outcome summary, which counts by session day, is then
    # recomputed (outcomes.summary.refresh_stale_outcomes) before the report or its CSV reads it.
    outcome_stale = models.BooleanField("outcome summary out of date", default=False, editable=False)
    baseline_odi = models.PositiveSmallIntegerField("baseline ODI (%)", null=True, editable=False)
    # False when the baseline was answered after the first session had begun: its change is then
    # measured from a score the first needles may already have moved (None: no baseline yet).
    baseline_before_treatment = models.BooleanField("baseline before treatment", null=True, editable=False)
    week4_odi = models.PositiveSmallIntegerField("week-4 ODI (%)", null=True, editable=False)
    week8_odi = models.PositiveSmallIntegerField("week-8 ODI (%)", null=True, editable=False)
    baseline_analgesic = models.PositiveSmallIntegerField("baseline analgesic days", null=True, editable=False)
    week8_analgesic = models.PositiveSmallIntegerField("week-8 analgesic days", null=True, editable=False)
    baseline_work = models.PositiveSmallIntegerField("baseline days off work", null=True, editable=False)
    week8_work = models.PositiveSmallIntegerField("week-8 days off work", null=True, editable=False)
    # Leg pain now (0-10) in the baseline and week-8 questionnaires: the report's leg pain change.
    baseline_leg_pain = models.PositiveSmallIntegerField("baseline leg pain (0-10)", null=True, editable=False)
    week8_leg_pain = models.PositiveSmallIntegerField("week-8 leg pain (0-10)", null=True, editable=False)
    odi_at_session_4 = models.PositiveSmallIntegerField("ODI by session 4 (%)", null=True, editable=False)
    odi_at_session_8 = models.PositiveSmallIntegerField("ODI by session 8 (%)", null=True, editable=False)
    odi_at_session_12 = models.PositiveSmallIntegerField("ODI by session 12 (%)", null=True, editable=False)
    latest_odi = models.PositiveSmallIntegerField("latest ODI (%)", null=True, editable=False)
    latest_odi_week = models.PositiveSmallIntegerField("week of the latest ODI", null=True, editable=False)
    # From week 6 the latest ODI is no meaningful change from the baseline: the plan asks for a review.
    no_improvement = models.BooleanField("no improvement by week 6", default=False, editable=False)
    no_improvement_review_at = models.DateTimeField("no-improvement review", null=True, blank=True)
    # Time to first relief (outcomes.relief.first_relief): whole days from the first session to the first pain
    # at least 2 points and 30 % below the pain before it (None: not yet); and whether any session up to then
    # gave Tui Na (None: no session yet, or a pain before it under 2, so no relief is possible).
    first_relief_days = models.PositiveSmallIntegerField("days to first relief", null=True, editable=False)
    tuina_first_session = models.BooleanField("Tui Na at the first session", null=True, editable=False)
    # Week 0 of the plan's questionnaires, fixed when they are first scheduled (its start date then), so that
    # neither a paper form for an unscheduled day nor a later edit of the start date shifts its weeks.
    questionnaires_from = models.DateField("questionnaires from", null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TreatmentPlanQuerySet.as_manager()

    class Meta:
        ordering = ["-start_date", "-id"]
        indexes = [
            models.Index(fields=["patient", "status"], name="plan_patient_status_idx"),
            # The dashboard's reviews-due list: the plans waiting for a review, oldest first, first 15.
            # An index of exactly those rows, in that order, gives the 15 ids from the index alone.
            models.Index(fields=["start_date", "id"], condition=review_due_condition(), name="plan_review_due_idx"),
        ]
        constraints = [range_check("planned_sessions", 1, 60)]

    def __str__(self) -> str:
        return f"Plan {self.start_date:%Y-%m-%d} for {self.patient}"

    def save(self, *args, **kwargs):
        if self.location_id is None:
            self.location_id = self.patient.location_id
        # The derived columns belong to their services, and the schedule's week 0 to the scheduler: an edit
        # of the plan never writes back a count, a score or a week 0 it read before they were set.
        if not self._state.adding and kwargs.get("update_fields") is None:
            kwargs["update_fields"] = [
                f.name
                for f in self._meta.concrete_fields
                if not f.primary_key and f.name not in DERIVED_FIELDS | SCHEDULE_FIELDS
            ]
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("treatments:plan-detail", args=[self.pk])

    def get_additional_data(self) -> dict:
        return {"patient_id": self.patient_id}

    def review_due(self, session_count: int) -> str:
        """The review this plan is waiting for, given how many sessions it has ('' when none)."""
        return review_due(
            status=self.status,
            planned_sessions=self.planned_sessions,
            session_count=session_count,
            review_at_4=self.review_at_4,
            final_review_at=self.final_review_at,
            no_improvement=self.no_improvement,
            no_improvement_review_at=self.no_improvement_review_at,
        )


# --- sessions --------------------------------------------------------------------------------


class CuppingKind(models.TextChoices):
    NONE = "", "None"
    STATIONARY = "stationary", "Stationary (dry)"
    MOVING = "moving", "Moving / sliding"
    FLASH = "flash", "Flash"
    WET = "wet", "Wet"


class MoxaKind(models.TextChoices):
    NONE = "", "None"
    STICK = "stick", "Moxa stick"
    NEEDLE = "needle", "Warm needle"
    CONE = "cone", "Cone (indirect)"
    BOX = "box", "Moxa box"


class Waveform(models.TextChoices):
    CONTINUOUS = "continuous", "Continuous"
    DENSE_DISPERSE = "dense_disperse", "Dense-disperse"
    INTERMITTENT = "intermittent", "Intermittent"


TUINA_TECHNIQUES = [
    ("rolling", "Rolling (gun fa)"),
    ("pressing", "Pressing (an fa)"),
    ("kneading", "Kneading (rou fa)"),
    ("pushing", "Pushing (tui fa)"),
    ("grasping", "Grasping (na fa)"),
    ("stretching", "Stretching (ba shen fa)"),
]


class SessionQuerySet(LocatedQuerySet):
    def unsigned(self) -> "SessionQuerySet":
        """Notes still open: drafts their practitioner has not signed and locked."""
        return self.filter(signed_at__isnull=True)

    def update(self, **kwargs):
        if self.filter(signed_at__isnull=False).exists():
            raise SignedSessionError()
        return super().update(**kwargs)

    def delete(self):
        if self.filter(signed_at__isnull=False).exists():
            raise SignedSessionError()
        return super().delete()


def with_point_labels(sessions: list["Session"]) -> list["Session"]:
    """Ready each session for the session lists of the chart and the plan: `point_labels`, its points in
    needling order ("BL23", "GB30" with a one-sided L/R as a subscript), from one query; and its row's link,
    date, pain and signature texts (clinic.formats: the same text as the template filters, made once)."""
    labels: dict[int, list[str]] = {s.pk: [] for s in sessions}
    rows = (
        SessionPoint.objects.filter(session__in=list(labels))
        .order_by("session_id", "position", "id")
        .values_list("session_id", "point__code", "side")
    )
    one_sided = {Side.LEFT: "<sub>L</sub>", Side.RIGHT: "<sub>R</sub>"}
    for session_id, code, side in rows:
        labels[session_id].append(escape(code) + one_sided.get(side, ""))
    detail = url_maker("treatments:session-detail")
    for session in sessions:
        session.point_labels = mark_safe(", ".join(labels[session.pk]))  # noqa: S308 - every part escaped above
        session.url, session.date_text = detail(session.pk), month_day_year(session.started_at)
        after = "" if session.pain_after is None else f" → {session.pain_after}"
        session.pain_text = f"{session.pain_before}{after}"
        session.signed_text = month_day_year_time(session.signed_at) if session.signed_at else ""
    return sessions


# Re-insertions recorded on one session: 240 minutes of contact bill at most 15 add-on units.
MAX_REINSERTIONS = 20


class Session(VersionedModel):
    plan = models.ForeignKey(TreatmentPlan, on_delete=models.PROTECT, related_name="sessions")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="sessions")
    # Where the session was given: its appointment's location, else the patient's home location.
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+")
    practitioner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField("date and time")
    contact_minutes = models.PositiveSmallIntegerField(
        "one-on-one contact (minutes)", validators=[MinValueValidator(0), MaxValueValidator(240)]
    )
    reinsertions = models.PositiveSmallIntegerField(
        "needle re-insertions",
        default=0,
        validators=[MinValueValidator(0), MaxValueValidator(MAX_REINSERTIONS)],
        help_text="Each re-insertion after the first 15 minutes allows one additional-15-minute code.",
    )
    pain_before = models.PositiveSmallIntegerField(
        "pain before (0-10)", validators=[MinValueValidator(0), MaxValueValidator(10)]
    )
    pain_after = models.PositiveSmallIntegerField(
        "pain after (0-10)", null=True, blank=True, validators=[MinValueValidator(0), MaxValueValidator(10)]
    )

    tuina_minutes = models.PositiveSmallIntegerField(
        "Tui Na (minutes)", default=0, validators=[MinValueValidator(0), MaxValueValidator(120)]
    )
    tuina_techniques = models.JSONField("Tui Na techniques", default=list, blank=True)
    tuina_regions = models.CharField("Tui Na regions", max_length=200, blank=True)
    # Declared by the practitioner, never inferred: Tui Na was given to an anatomic region separate from the
    # region(s) needled that day. Only then does 97140 beside acupuncture carry modifier XS (billing.py).
    tuina_separate_region = models.BooleanField(
        "Tui Na to a region separate from the needling",
        default=False,
        help_text="Tick only when the Tui Na regions above are apart from every region needled that day: "
        "the superbill then bills 97140 with modifier XS. Unticked, 97140 is expected to bundle into the "
        "acupuncture codes.",
    )
    cupping_kind = models.CharField("cupping", max_length=12, choices=CuppingKind.choices, blank=True)
    cupping_minutes = models.PositiveSmallIntegerField(
        "cupping (minutes)", null=True, blank=True, validators=[MaxValueValidator(60)]
    )
    moxibustion_kind = models.CharField("moxibustion", max_length=10, choices=MoxaKind.choices, blank=True)
    moxibustion_points = models.CharField("moxibustion points", max_length=200, blank=True)
    gua_sha = models.CharField("gua sha (regions)", max_length=200, blank=True)
    herbal_formula = models.CharField("herbal formula", max_length=300, blank=True)
    home_exercises = models.TextField("home exercises", blank=True)

    subjective = models.TextField("S — subjective", blank=True)
    objective = models.TextField("O — objective", blank=True)
    assessment = models.TextField("A — assessment", blank=True)
    plan_notes = models.TextField("P — plan", blank=True)

    # Safety: what the clinician recorded against the intake's precautions.
    override_reason = models.TextField("pregnancy override reason", blank=True)
    cautions_acknowledged = models.BooleanField("cautions acknowledged", default=False)

    signed_at = models.DateTimeField(null=True, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SessionQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at", "-id"]
        permissions = [
            ("sign_session", "Can sign a session note"),
            ("view_superbill", "Can print a superbill"),
        ]
        indexes = [
            models.Index(fields=["patient", "-started_at"], name="session_patient_started_idx"),
            models.Index(fields=["-started_at"], name="session_started_idx"),
            models.Index(fields=["plan", "started_at"], name="session_plan_started_idx"),
            # Notes to sign and the navigation's count on every page: a practitioner's few unsigned notes,
            # found without reading through their years of signed ones.
            models.Index(
                fields=["practitioner", "started_at"], condition=Q(signed_at__isnull=True), name="session_unsigned_idx"
            ),
        ]
        constraints = [
            range_check("pain_before", 0, 10),
            range_check("pain_after", 0, 10),
            range_check("contact_minutes", 0, 240),
            range_check("tuina_minutes", 0, 120),
            # Backs the form for every other write path (admin, bulk inserts): a re-insertion count is never
            # negative, and one far past what 240 minutes can bill is a typo.
            range_check("reinsertions", 0, MAX_REINSERTIONS),
            # A signature needs its signer, and the signer is the only one who can sign.
            models.CheckConstraint(
                condition=Q(signed_at__isnull=True) | Q(signed_by__isnull=False), name="session_signed_has_signer"
            ),
        ]

    def __str__(self) -> str:
        return f"Session {timezone.localtime(self.started_at):%Y-%m-%d %H:%M} for {self.patient}"

    def save(self, *args, **kwargs):
        # The lock is checked against the stored row, so no in-memory edit can slip past it.
        if self._stored_signed():
            raise SignedSessionError()
        if self.location_id is None:
            self.location_id = self.patient.location_id
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("treatments:session-detail", args=[self.pk])

    def delete(self, *args, **kwargs):
        if self._stored_signed():
            raise SignedSessionError()
        return super().delete(*args, **kwargs)

    def get_additional_data(self) -> dict:
        return {"patient_id": self.patient_id}

    @property
    def is_signed(self) -> bool:
        return self.signed_at is not None

    def _stored_signed(self) -> bool:
        return self.pk is not None and Session.objects.filter(pk=self.pk, signed_at__isnull=False).exists()


class SessionPartQuerySet(models.QuerySet):
    def update(self, **kwargs):
        if self.filter(session__signed_at__isnull=False).exists():
            raise SignedSessionError()
        return super().update(**kwargs)

    def delete(self):
        if self.filter(session__signed_at__isnull=False).exists():
            raise SignedSessionError()
        return super().delete()


class SessionPart(models.Model):
    """A row that belongs to a session and is locked with it."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE)

    objects = SessionPartQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self._session_signed():
            raise SignedSessionError()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self._session_signed():
            raise SignedSessionError()
        return super().delete(*args, **kwargs)

    def get_additional_data(self) -> dict:
        return {"patient_id": self.session.patient_id}

    def _session_signed(self) -> bool:
        return Session.objects.filter(pk=self.session_id, signed_at__isnull=False).exists()


class SessionPoint(SessionPart):
    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="points")
    point = models.ForeignKey(Point, on_delete=models.PROTECT, related_name="+")
    side = models.CharField(max_length=1, choices=Side.choices, default=Side.BILATERAL)
    technique = models.CharField(max_length=6, choices=Technique.choices, default=Technique.EVEN)
    retention_minutes = models.PositiveSmallIntegerField(
        "retention (min)", null=True, blank=True, validators=[MaxValueValidator(120)]
    )
    depth_mm = models.PositiveSmallIntegerField(
        "depth (mm)", null=True, blank=True, validators=[MaxValueValidator(100)]
    )
    de_qi = models.BooleanField("de qi", default=False)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [range_check("retention_minutes", 0, 120), range_check("depth_mm", 0, 100)]

    def __str__(self) -> str:
        return f"{self.point.code} {self.side}"

    @property
    def needles(self) -> int:
        return 2 if self.side == Side.BILATERAL else 1


class ElectroPair(SessionPart):
    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="electro_pairs")
    point_a = models.ForeignKey(Point, on_delete=models.PROTECT, related_name="+")
    point_b = models.ForeignKey(Point, on_delete=models.PROTECT, related_name="+")
    frequency_hz = models.DecimalField(
        "frequency (Hz)",
        max_digits=5,
        decimal_places=1,
        validators=[MinValueValidator(Decimal(1)), MaxValueValidator(Decimal(200))],
    )
    waveform = models.CharField(max_length=15, choices=Waveform.choices, default=Waveform.DENSE_DISPERSE)
    minutes = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(60)])
    intensity = models.CharField(max_length=50, blank=True, help_text="e.g. 'to tolerance', '3 mA'")

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(frequency_hz__gte=1, frequency_hz__lte=200), name="electropair_frequency_range"
            ),
            range_check("minutes", 1, 60),
        ]

    def __str__(self) -> str:
        return f"{self.point_a.code}–{self.point_b.code} {self.frequency_hz} Hz"


class AdverseEventKind(models.TextChoices):
    BRUISING = "bruising", "Bruising"
    BLEEDING = "bleeding", "Bleeding"
    SORENESS = "soreness", "Soreness"
    FAINTING = "fainting", "Fainting / needle shock"
    STUCK_NEEDLE = "stuck_needle", "Stuck needle"
    OTHER = "other", "Other"


class Severity(models.TextChoices):
    MILD = "mild", "Mild"
    MODERATE = "moderate", "Moderate"
    SEVERE = "severe", "Severe"


class AdverseEvent(SessionPart):
    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="adverse_events")
    kind = models.CharField(max_length=15, choices=AdverseEventKind.choices)
    severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.MILD)
    description = models.CharField(max_length=300, blank=True)
    action_taken = models.CharField("action taken", max_length=300, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.get_severity_display()})"


class Addendum(models.Model):
    """A correction or addition to a signed session: the note itself never changes."""

    session = models.ForeignKey(Session, on_delete=models.PROTECT, related_name="addenda")
    text = models.TextField()
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name_plural = "addenda"

    def __str__(self) -> str:
        return f"Addendum {timezone.localtime(self.created_at):%Y-%m-%d %H:%M} to {self.session}"

    def save(self, *args, **kwargs):
        # Addenda are append-only, like the note they amend.
        if self.pk is not None and Addendum.objects.filter(pk=self.pk).exists():
            raise ValidationError("An addendum cannot be changed; add another one.")
        super().save(*args, **kwargs)

    def get_additional_data(self) -> dict:
        return {"patient_id": self.session.patient_id}


class Fee(models.Model):
    """The clinic's fee per CPT code, printed on superbills (the manager edits them in the admin)."""

    cpt_code = models.CharField("CPT code", max_length=5, unique=True)
    amount = models.DecimalField(max_digits=8, decimal_places=2)

    class Meta:
        ordering = ["cpt_code"]

    def __str__(self) -> str:
        return f"{self.cpt_code}: ${self.amount}"


class PaymentMethod(models.TextChoices):
    CARD = "card", "Card"
    CASH = "cash", "Cash"
    CHECK = "check", "Check"
    HSA = "hsa", "HSA / FSA card"
    INSURANCE = "insurance", "Insurance"
    OTHER = "other", "Other"


class Payment(models.Model):
    """Money received for a session; kept apart from the note, so a signed session can still be paid.

    Recorded from the superbill page (`treatments.services.record_payment`); never edited afterwards.
    """

    session = models.ForeignKey(Session, on_delete=models.PROTECT, related_name="payments")
    amount = models.DecimalField(
        max_digits=8,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal("99999.99"))],
    )
    method = models.CharField(max_length=20, choices=PaymentMethod.choices)
    paid_on = models.DateField("date paid")
    received_at = models.DateTimeField(auto_now_add=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["paid_on", "id"]
        constraints = [
            # Money received is positive: a refund is not a payment.
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"${self.amount:.2f} by {self.get_method_display().lower()} on {self.paid_on:%Y-%m-%d}"

    def get_additional_data(self) -> dict:
        return {"patient_id": self.session.patient_id}


audited(TreatmentPlan, exclude=tuple(DERIVED_FIELDS | SCHEDULE_FIELDS))  # computed, not entered
audited(Session)
audited(SessionPoint)
audited(ElectroPair)
audited(AdverseEvent)
audited(Addendum)
audited(Payment)
audited(Protocol)
audited(ProtocolPoint)
