"""Weekly outcome questionnaires: ODI 2.1a, back and leg pain, function, cauda equina screen, PHQ-9, PGIC."""

from datetime import date, timedelta
from functools import partial

from django.conf import settings
from django.db import models
from django.db.models import Q

from clinic.audit import audited
from clinic.fields import Source, range_check, score_field
from clinic.models import LocatedQuerySet, Patient
from intake.rules import CAUDA_EQUINA_KEYS, phq9_band, phq9_flagged
from treatments.models import TreatmentPlan

# Overdue is "due more than two days ago and not submitted" (issue 5).
OVERDUE_AFTER = timedelta(days=2)
# The ten ODI sections as field names, in the questionnaire's order (docs/clinical-rules.md, "Oswestry
# Disability Index").
ODI_FIELDS = (
    "odi_pain_intensity",
    "odi_personal_care",
    "odi_lifting",
    "odi_walking",
    "odi_sitting",
    "odi_standing",
    "odi_sleeping",
    "odi_sex_life",
    "odi_social_life",
    "odi_travelling",
)
PAIN_FIELDS = ("back_pain_now", "back_pain_worst", "leg_pain_now", "leg_pain_worst")
PHQ9_FIELDS = tuple(f"phq9_{n}" for n in range(1, 10))


class Pgic(models.IntegerChoices):
    """The Patient Global Impression of Change, 7 points, 1 best (docs/clinical-rules.md, "Patient global
    impression of change"): the validated wording, never reworded."""

    VERY_MUCH_IMPROVED = 1, "Very much improved"
    MUCH_IMPROVED = 2, "Much improved"
    MINIMALLY_IMPROVED = 3, "Minimally improved"
    NO_CHANGE = 4, "No change"
    MINIMALLY_WORSE = 5, "Minimally worse"
    MUCH_WORSE = 6, "Much worse"
    VERY_MUCH_WORSE = 7, "Very much worse"


# The PGIC's stem, its time anchor adapted from "the start of the study" to the patient's treatment here.
PGIC_QUESTION = "Since the start of my treatment at this clinic, my overall status is:"


class Kind(models.TextChoices):
    BASELINE = "baseline", "Baseline"
    WEEKLY = "weekly", "Weekly"
    FOLLOW_UP = "follow_up", "12-week follow-up"


def odi_field(title: str) -> models.PositiveSmallIntegerField:
    return score_field(0, 5, title, null=True, blank=True)


def pain_field(title: str) -> models.PositiveSmallIntegerField:
    return score_field(0, 10, title, null=True, blank=True)


# Named as when the model was called Response, like its indexes and unique constraint below: the
# database keeps those names (outcomes migration 0004), as renaming them would rebuild the table.
_range_check = partial(range_check, table="response")


class QuestionnaireQuerySet(LocatedQuerySet):
    def submitted(self) -> "QuestionnaireQuerySet":
        return self.filter(submitted_at__isnull=False)

    def pending(self) -> "QuestionnaireQuerySet":
        return self.filter(submitted_at__isnull=True)

    def overdue(self, today: date) -> "QuestionnaireQuerySet":
        return self.pending().filter(due_date__lt=today - OVERDUE_AFTER)

    def scored(self) -> "QuestionnaireQuerySet":
        return self.submitted().filter(odi_score__isnull=False)


class Questionnaire(models.Model):
    """One questionnaire falling due for a patient, and the answers once submitted.

    The row exists from its due date (the scheduler creates it), so "due and not answered" is a
    plain query; `submitted_at` marks the answers in.
    """

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="questionnaires")
    plan = models.ForeignKey(
        TreatmentPlan, on_delete=models.PROTECT, null=True, blank=True, related_name="questionnaires"
    )
    due_date = models.DateField("due date")
    week = models.PositiveSmallIntegerField(help_text="Weeks since the baseline (0 for the baseline).")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.WEEKLY)
    includes_phq9 = models.BooleanField("includes the PHQ-9", default=False)

    odi_version = models.CharField("ODI version", max_length=10, blank=True)
    odi_pain_intensity = odi_field("Pain intensity")
    odi_personal_care = odi_field("Personal care")
    odi_lifting = odi_field("Lifting")
    odi_walking = odi_field("Walking")
    odi_sitting = odi_field("Sitting")
    odi_standing = odi_field("Standing")
    odi_sleeping = odi_field("Sleeping")
    odi_sex_life = odi_field("Sex life")
    odi_social_life = odi_field("Social life")
    odi_travelling = odi_field("Travelling")
    odi_score = score_field(0, 100, "ODI (%)", null=True, blank=True)

    back_pain_now = pain_field("Back pain now")
    back_pain_worst = pain_field("Worst back pain in the past week")
    leg_pain_now = pain_field("Leg pain now")
    leg_pain_worst = pain_field("Worst leg pain in the past week")
    analgesic_days = score_field(0, 7, "days with pain medication in the past week", null=True, blank=True)
    work_days_off = score_field(0, 7, "days off work in the past week", null=True, blank=True)

    # The six cauda equina questions, named as the intake's red flags they reopen.
    saddle_anaesthesia = models.BooleanField(null=True, blank=True)
    bladder_dysfunction = models.BooleanField(null=True, blank=True)
    bowel_incontinence = models.BooleanField(null=True, blank=True)
    bilateral_sciatica = models.BooleanField(null=True, blank=True)
    motor_weakness = models.BooleanField(null=True, blank=True)
    sexual_dysfunction = models.BooleanField(null=True, blank=True)

    phq9_1 = score_field(0, 3, "PHQ-9 item 1", null=True, blank=True)
    phq9_2 = score_field(0, 3, "PHQ-9 item 2", null=True, blank=True)
    phq9_3 = score_field(0, 3, "PHQ-9 item 3", null=True, blank=True)
    phq9_4 = score_field(0, 3, "PHQ-9 item 4", null=True, blank=True)
    phq9_5 = score_field(0, 3, "PHQ-9 item 5", null=True, blank=True)
    phq9_6 = score_field(0, 3, "PHQ-9 item 6", null=True, blank=True)
    phq9_7 = score_field(0, 3, "PHQ-9 item 7", null=True, blank=True)
    phq9_8 = score_field(0, 3, "PHQ-9 item 8", null=True, blank=True)
    phq9_9 = score_field(0, 3, "PHQ-9 item 9", null=True, blank=True)
    phq9_total = score_field(0, 27, "PHQ-9 total", null=True, blank=True)
    # Asked from week 1 on (outcomes.scoring.pgic_asked), never at the baseline.
    pgic = score_field(1, 7, "global impression of change (PGIC)", choices=Pgic.choices, null=True, blank=True)

    # The patient's answers online, step by step (outcomes.forms.STEPS), kept until the questionnaire is
    # submitted and emptied then: a closed page loses nothing. Emptied too by the daily run once no link to
    # the questionnaire can be used (outcomes.services.drop_stale_drafts). Never scored, never shown to
    # staff: left out of the audit trail's changes (each save is an entry in words, without the answers)
    # and of the admin.
    draft = models.JSONField("answers saved so far (not yet sent)", default=dict, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    # The day the patient filled it in: a paper form's, as staff record it (they may type it in days
    # later); an online form's is the day it was sent. It tells whether a baseline came before treatment.
    answered_on = models.DateField("filled in on", null=True, blank=True)
    source = models.CharField(max_length=6, choices=Source.choices, blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reminded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = QuestionnaireQuerySet.as_manager()

    class Meta:
        ordering = ["-due_date", "-id"]
        permissions = [("view_report", "Can view the clinic outcomes report")]
        indexes = [
            models.Index(fields=["patient", "due_date"], name="response_patient_due_idx"),
            models.Index(fields=["plan", "week"], name="response_plan_week_idx"),
            # The dashboard's overdue list and the reminder run read pending rows by due date.
            models.Index(fields=["due_date"], condition=Q(submitted_at__isnull=True), name="response_pending_due_idx"),
            # The report's latest PGIC of each course reads the answered rows only.
            models.Index(fields=["plan", "due_date"], condition=Q(pgic__isnull=False), name="response_pgic_idx"),
        ]
        constraints = [
            # At most one questionnaire per patient per due date: a double submit or a second
            # scheduler run can never create another.
            models.UniqueConstraint(fields=["patient", "due_date"], name="response_one_per_due_date"),
            *[_range_check(name, 0, 5) for name in ODI_FIELDS],
            _range_check("odi_score", 0, 100),
            *[_range_check(name, 0, 10) for name in PAIN_FIELDS],
            _range_check("analgesic_days", 0, 7),
            _range_check("work_days_off", 0, 7),
            *[_range_check(name, 0, 3) for name in PHQ9_FIELDS],
            _range_check("phq9_total", 0, 27),
            _range_check("pgic", 1, 7),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} questionnaire due {self.due_date:%Y-%m-%d} for {self.patient}"

    def get_additional_data(self) -> dict:
        return {"patient_id": self.patient_id}

    @property
    def is_submitted(self) -> bool:
        return self.submitted_at is not None

    @property
    def odi_answers(self) -> list[int | None]:
        return [getattr(self, name) for name in ODI_FIELDS]

    @property
    def cauda_equina_answers(self) -> dict[str, bool | None]:
        return {key: getattr(self, key) for key in CAUDA_EQUINA_KEYS}

    @property
    def cauda_equina_positive(self) -> list[str]:
        return [key for key, answer in self.cauda_equina_answers.items() if answer]

    @property
    def warning_signs_done(self) -> bool:
        """Step 1 is behind the patient: every warning sign answered (a yes is acted on the moment it comes)."""
        return None not in self.cauda_equina_answers.values()

    @property
    def phq9_band(self) -> str | None:
        return phq9_band(self.phq9_total) if self.phq9_total is not None else None

    @property
    def phq9_flagged(self) -> bool:
        """A total of 10 or more: pain may respond more slowly (docs/clinical-rules.md, "PHQ-9")."""
        return self.phq9_total is not None and phq9_flagged(self.phq9_total)


audited(Questionnaire, exclude=("draft",))  # the answers not yet sent: see `draft`
