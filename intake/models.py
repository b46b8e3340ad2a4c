"""The intake of an episode of care, the referrals its red flags open, and the alerts that reach a person."""

from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from clinic.audit import audited
from clinic.concurrency import VersionedModel
from clinic.fields import Source, range_check, score_field
from clinic.models import LocatedQuerySet, Patient
from intake import rules


class PainSide(models.TextChoices):
    LEFT = "left", "Left"
    RIGHT = "right", "Right"
    BOTH = "both", "Both"


class SuspectedCause(models.TextChoices):
    DISC_HERNIATION = "disc_herniation", "Disc herniation"
    SPINAL_STENOSIS = "spinal_stenosis", "Spinal stenosis"
    PIRIFORMIS = "piriformis", "Piriformis syndrome"
    DEGENERATIVE_DISC = "degenerative_disc", "Degenerative disc disease"
    SPONDYLOLISTHESIS = "spondylolisthesis", "Spondylolisthesis"
    PREGNANCY = "pregnancy", "Pregnancy"
    INJURY = "injury", "Injury"
    UNKNOWN = "unknown", "Unknown"


class SleepQuality(models.TextChoices):
    GOOD = "good", "Good"
    FAIR = "fair", "Fair — wakes now and then"
    POOR = "poor", "Poor — wakes most nights"
    VERY_POOR = "very_poor", "Very poor — pain prevents sleep"


PAIN_LOCATIONS = [
    ("low_back", "Low back"),
    ("buttock", "Buttock"),
    ("thigh", "Thigh"),
    ("calf", "Calf"),
    ("foot", "Foot"),
]
PRIOR_TREATMENTS = [
    ("nsaids", "NSAIDs"),
    ("opioids", "Opioids"),
    ("physical_therapy", "Physical therapy"),
    ("injections", "Injections"),
    ("surgery", "Surgery"),
    ("chiropractic", "Chiropractic"),
]


class IntakeQuerySet(LocatedQuerySet):
    def current_for(self, patient: Patient) -> "Intake | None":
        # The assessment comes along: the treatment check reads its exam findings as red flags.
        return self.filter(patient=patient).select_related("assessment").order_by("-created_at", "-id").first()


def red_flag_field(key: str) -> models.BooleanField:
    return models.BooleanField(rules.RED_FLAGS_BY_KEY[key].label, null=True, default=None)


def phq9_field(number: int) -> models.PositiveSmallIntegerField:
    return score_field(0, 3, f"PHQ-9 item {number}", null=True, blank=True)


class Intake(VersionedModel):
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="intakes")
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.STAFF)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)

    # Pain history
    chief_complaint = models.TextField("chief complaint")
    pain_locations = models.JSONField("pain location", default=list, blank=True)
    pain_side = models.CharField("side", max_length=5, choices=PainSide.choices, blank=True)
    radiates_below_knee = models.BooleanField("pain radiates below the knee", default=False)
    onset_date = models.DateField("onset date", null=True, blank=True)
    suspected_cause = models.CharField(
        "suspected cause", max_length=20, choices=SuspectedCause.choices, default=SuspectedCause.UNKNOWN
    )
    aggravating_factors = models.TextField("aggravating factors", blank=True)
    easing_factors = models.TextField("easing factors", blank=True)
    numbness_tingling = models.BooleanField("numbness or tingling", default=False)
    weakness = models.BooleanField("weakness", default=False)
    pain_now = score_field(0, 10, "pain now (0-10)")
    pain_worst_week = score_field(0, 10, "worst pain in the past week (0-10)")
    sleep_quality = models.CharField("sleep quality", max_length=10, choices=SleepQuality.choices, blank=True)
    prior_treatments = models.JSONField("prior treatments", default=list, blank=True)
    imaging_findings = models.TextField("imaging findings", blank=True)
    analgesic_days_week = score_field(0, 7, "days with pain medication in the past week", null=True, blank=True)
    work_days_off_month = score_field(0, 31, "days off work in the past month", null=True, blank=True)

    # Red-flag screen: None means unanswered, which the forms refuse.
    saddle_anaesthesia = red_flag_field("saddle_anaesthesia")
    bladder_dysfunction = red_flag_field("bladder_dysfunction")
    bowel_incontinence = red_flag_field("bowel_incontinence")
    bilateral_sciatica = red_flag_field("bilateral_sciatica")
    motor_weakness = red_flag_field("motor_weakness")
    sexual_dysfunction = red_flag_field("sexual_dysfunction")
    night_pain = red_flag_field("night_pain")
    cancer_history = red_flag_field("cancer_history")
    weight_loss = red_flag_field("weight_loss")
    fever_infection = red_flag_field("fever_infection")
    immunosuppression = red_flag_field("immunosuppression")
    significant_trauma = red_flag_field("significant_trauma")

    # Contraindications and precautions
    pregnant = models.BooleanField("pregnant", default=False)
    pregnancy_weeks = score_field(1, 42, "weeks of pregnancy", null=True, blank=True)
    implanted_device = models.BooleanField("pacemaker or other implanted electrical device", default=False)
    anticoagulants = models.BooleanField("anticoagulants or bleeding disorder", default=False)
    needle_phobia = models.BooleanField("needle phobia", default=False)
    metal_allergy = models.BooleanField("metal allergy", default=False)
    skin_lesion = models.BooleanField("skin infection or lesion at treatment sites", default=False)
    skin_lesion_site = models.CharField("where", max_length=200, blank=True)
    medications = models.TextField("current medications", blank=True)
    allergies = models.TextField("allergies", blank=True)

    # PHQ-9 (past two weeks)
    phq9_1 = phq9_field(1)
    phq9_2 = phq9_field(2)
    phq9_3 = phq9_field(3)
    phq9_4 = phq9_field(4)
    phq9_5 = phq9_field(5)
    phq9_6 = phq9_field(6)
    phq9_7 = phq9_field(7)
    phq9_8 = phq9_field(8)
    phq9_9 = phq9_field(9)

    objects = IntakeQuerySet.as_manager()

    # The PHQ-9 answers are clinical (item 9 asks about self-harm): only staff with clinical read access
    # read them, on any page or message (clinic.access.may_read_field).
    field_read_permissions = {f"phq9_{n}": "intake.view_clinicalassessment" for n in range(1, 10)}

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["patient", "-created_at"], name="intake_patient_created_idx")]
        constraints = [
            range_check("pain_now", 0, 10),
            range_check("pain_worst_week", 0, 10),
            range_check("analgesic_days_week", 0, 7),
            range_check("work_days_off_month", 0, 31),
            range_check("pregnancy_weeks", 1, 42),
            *[range_check(f"phq9_{n}", 0, 3) for n in range(1, 10)],
            # A pregnancy without its weeks cannot drive the pregnancy rules reliably.
            models.CheckConstraint(
                condition=Q(pregnant=False) | Q(pregnancy_weeks__isnull=False),
                name="intake_pregnancy_has_weeks",
            ),
        ]

    def __str__(self) -> str:
        return f"Intake {timezone.localtime(self.created_at):%Y-%m-%d} for {self.patient}"

    def get_absolute_url(self) -> str:
        return reverse("intake:intake-detail", args=[self.pk])

    def get_additional_data(self) -> dict:
        return {"patient_id": self.patient_id}

    # --- derived values: read from the rules, never stored twice ---

    @property
    def red_flag_answers(self) -> dict[str, bool | None]:
        return {key: getattr(self, key) for key in rules.RED_FLAG_KEYS}

    def positive_red_flags(self, assessment: "ClinicalAssessment | None" = None) -> list[str]:
        strengths = (assessment.dorsiflexion_left, assessment.dorsiflexion_right) if assessment is not None else ()
        return rules.positive_red_flags(
            self.red_flag_answers,
            pain_side=self.pain_side,
            radiates_below_knee=self.radiates_below_knee,
            dorsiflexion_strength=strengths,
        )

    @property
    def phq9_answers(self) -> list[int | None]:
        return [getattr(self, f"phq9_{n}") for n in range(1, 10)]

    @property
    def phq9_total(self) -> int | None:
        answers = self.phq9_answers
        return rules.phq9_total(answers) if None not in answers else None

    @property
    def phq9_band(self) -> str | None:
        total = self.phq9_total
        return rules.phq9_band(total) if total is not None else None

    @property
    def phq9_flagged(self) -> bool:
        total = self.phq9_total
        return total is not None and rules.phq9_flagged(total)

    @property
    def self_harm_risk(self) -> bool:
        return rules.self_harm_risk(self.phq9_9)

    def duration_category(self, on: date | None = None) -> str | None:
        if self.onset_date is None:
            return None
        on = on or (self.created_at.date() if self.created_at else date.today())
        return rules.duration_category(self.onset_date, max(on, self.onset_date))

    @property
    def precautions(self) -> list[rules.Precaution]:
        return rules.precautions_from({f.attname: getattr(self, f.attname) for f in self._meta.concrete_fields})

    def pain_location_labels(self) -> list[str]:
        labels = dict(PAIN_LOCATIONS)
        return [labels.get(key, key) for key in self.pain_locations]

    def prior_treatment_labels(self) -> list[str]:
        labels = dict(PRIOR_TREATMENTS)
        return [labels.get(key, key) for key in self.prior_treatments]


class Grade(models.TextChoices):
    NORMAL = "normal", "Normal"
    REDUCED = "reduced", "Reduced"
    ABSENT = "absent", "Absent"
    INCREASED = "increased", "Increased"


class FemoralStretch(models.TextChoices):
    NEGATIVE = "negative", "Negative"
    LEFT = "left", "Positive left"
    RIGHT = "right", "Positive right"
    BOTH = "both", "Positive both"


class TcmPattern(models.TextChoices):
    KIDNEY_DEFICIENCY = "kidney_deficiency", "Kidney deficiency"
    BLOOD_STAGNATION = "blood_stagnation", "Blood stagnation"
    COLD_DAMP_BI = "cold_damp_bi", "Cold-Damp Bi"
    LIVER_QI_STAGNATION = "liver_qi_stagnation", "Liver Qi stagnation"
    LIVER_KIDNEY_YIN = "liver_kidney_yin", "Liver-Kidney Yin deficiency"
    DAMP_HEAT = "damp_heat", "Damp-Heat"
    OTHER = "other", "Other"


# A secondary pattern is one of the named patterns: "Other" names its pattern in the one free-text field, the
# primary's.
SECONDARY_PATTERNS = [(value, label) for value, label in TcmPattern.choices if value != TcmPattern.OTHER]


class TongueColour(models.TextChoices):
    PALE = "pale", "Pale"
    PALE_RED = "pale_red", "Pale red (normal)"
    RED = "red", "Red"
    DARK_RED = "dark_red", "Dark red"
    PURPLE = "purple", "Purple"


class TongueCoating(models.TextChoices):
    THIN_WHITE = "thin_white", "Thin white"
    THICK_WHITE = "thick_white", "Thick white"
    YELLOW = "yellow", "Yellow"
    GREASY = "greasy", "Greasy"
    PEELED = "peeled", "Peeled or none"


class TongueShape(models.TextChoices):
    NORMAL = "normal", "Normal"
    SWOLLEN = "swollen", "Swollen"
    THIN = "thin", "Thin"
    TEETH_MARKED = "teeth_marked", "Teeth-marked"
    CRACKED = "cracked", "Cracked"


PULSE_QUALITIES = [
    ("wiry", "Wiry"),
    ("slippery", "Slippery"),
    ("choppy", "Choppy"),
    ("deep", "Deep"),
    ("superficial", "Superficial"),
    ("thready", "Thready"),
    ("weak", "Weak"),
    ("tight", "Tight"),
    ("rapid", "Rapid"),
    ("slow", "Slow"),
]


def strength_field(verbose_name: str) -> models.PositiveSmallIntegerField:
    return score_field(0, 5, verbose_name, null=True, blank=True)


class ClinicalAssessmentQuerySet(LocatedQuerySet):
    location_paths = ("intake__patient__location",)


class ClinicalAssessment(models.Model):
    """The clinician's part of an intake: physical exam and TCM assessment (acupuncturists only)."""

    intake = models.OneToOneField(Intake, on_delete=models.CASCADE, related_name="assessment")
    assessed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    assessed_at = models.DateTimeField(auto_now=True)

    slr_left_positive = models.BooleanField("SLR left positive", default=False)
    slr_left_angle = score_field(0, 90, "SLR left angle (°)", null=True, blank=True)
    slr_right_positive = models.BooleanField("SLR right positive", default=False)
    slr_right_angle = score_field(0, 90, "SLR right angle (°)", null=True, blank=True)
    femoral_stretch = models.CharField(
        "femoral stretch test", max_length=10, choices=FemoralStretch.choices, default=FemoralStretch.NEGATIVE
    )
    sensory_l4 = models.CharField("sensation L4", max_length=10, choices=Grade.choices, default=Grade.NORMAL)
    sensory_l5 = models.CharField("sensation L5", max_length=10, choices=Grade.choices, default=Grade.NORMAL)
    sensory_s1 = models.CharField("sensation S1", max_length=10, choices=Grade.choices, default=Grade.NORMAL)
    reflex_knee = models.CharField("knee reflex (L4)", max_length=10, choices=Grade.choices, default=Grade.NORMAL)
    reflex_ankle = models.CharField("ankle reflex (S1)", max_length=10, choices=Grade.choices, default=Grade.NORMAL)
    dorsiflexion_left = strength_field("ankle dorsiflexion left (0-5)")
    dorsiflexion_right = strength_field("ankle dorsiflexion right (0-5)")
    plantarflexion_left = strength_field("ankle plantarflexion left (0-5)")
    plantarflexion_right = strength_field("ankle plantarflexion right (0-5)")
    gait = models.CharField("gait", max_length=200, blank=True)

    tongue_colour = models.CharField("tongue body colour", max_length=10, choices=TongueColour.choices, blank=True)
    tongue_coating = models.CharField("tongue coating", max_length=12, choices=TongueCoating.choices, blank=True)
    tongue_shape = models.CharField("tongue shape", max_length=12, choices=TongueShape.choices, blank=True)
    pulse_qualities = models.JSONField("pulse qualities", default=list, blank=True)
    tcm_pattern = models.CharField("primary TCM pattern", max_length=20, choices=TcmPattern.choices, blank=True)
    tcm_pattern_other = models.CharField("other pattern", max_length=200, blank=True)
    secondary_pattern = models.CharField("secondary TCM pattern", max_length=20, choices=SECONDARY_PATTERNS, blank=True)
    treatment_principle = models.TextField("treatment principle", blank=True)

    objects = ClinicalAssessmentQuerySet.as_manager()

    class Meta:
        constraints = [
            range_check("slr_left_angle", 0, 90),
            range_check("slr_right_angle", 0, 90),
            range_check("dorsiflexion_left", 0, 5),
            range_check("dorsiflexion_right", 0, 5),
            range_check("plantarflexion_left", 0, 5),
            range_check("plantarflexion_right", 0, 5),
            # A secondary pattern accompanies a primary one and is another pattern: the same pattern twice, or a
            # secondary alone, would misstate the assessment (the form says so first).
            models.CheckConstraint(
                condition=Q(secondary_pattern="")
                | (~Q(tcm_pattern="") & ~Q(secondary_pattern=F("tcm_pattern")) & ~Q(secondary_pattern="other")),
                name="clinicalassessment_secondary_pattern_differs",
            ),
        ]

    def __str__(self) -> str:
        return f"Clinical assessment for {self.intake}"

    def get_additional_data(self) -> dict:
        return {"patient_id": self.intake.patient_id}

    @property
    def pattern_label(self) -> str:
        """The primary pattern, by name."""
        if self.tcm_pattern == TcmPattern.OTHER:
            return self.tcm_pattern_other or "Other"
        return self.get_tcm_pattern_display()

    @property
    def patterns(self) -> list[tuple[str, str, str]]:
        """The patterns assessed, primary first: (rank, code, name) for each, none when no pattern was recorded."""
        found = [("primary", self.tcm_pattern, self.pattern_label)] if self.tcm_pattern else []
        if self.secondary_pattern:
            found.append(("secondary", self.secondary_pattern, self.get_secondary_pattern_display()))
        return found


class Modality(models.TextChoices):
    NEEDLING = "needling", "Acupuncture needling"
    ELECTROACUPUNCTURE = "electroacupuncture", "Electroacupuncture"
    CUPPING = "cupping", "Cupping"
    MOXIBUSTION = "moxibustion", "Moxibustion"
    TUI_NA = "tui_na", "Tui Na"
    HERBS = "herbs", "Herbal medicine"

    @property
    def in_sentence(self) -> str:
        """The label inside a sentence: "acupuncture needling", but "Tui Na" keeps its capitals."""
        return self.label if self == Modality.TUI_NA else self.label[0].lower() + self.label[1:]


class Consent(models.Model):
    """Informed consent for one modality: the patient's typed name and the time they gave it."""

    intake = models.ForeignKey(Intake, on_delete=models.CASCADE, related_name="consents")
    modality = models.CharField(max_length=20, choices=Modality.choices)
    typed_name = models.CharField("typed name", max_length=200)
    consented_at = models.DateTimeField()

    class Meta:
        ordering = ["modality"]
        constraints = [
            # One consent per modality per intake; withdrawing deletes it.
            models.UniqueConstraint(fields=["intake", "modality"], name="consent_one_per_modality"),
        ]

    def __str__(self) -> str:
        return f"{self.get_modality_display()} — {self.typed_name}"

    def get_additional_data(self) -> dict:
        return {"patient_id": self.intake.patient_id}


class ReferralDestination(models.TextChoices):
    GP = "gp", "GP / primary care"
    EMERGENCY = "emergency", "Emergency department"
    SPINE_SURGEON = "spine_surgeon", "Spine surgeon"
    OTHER = "other", "Other"


class ReferralOutcome(models.TextChoices):
    CLEARED = "cleared", "Cleared to treat"
    NOT_TO_TREAT = "not_to_treat", "Not to treat"


class ReferralSource(models.TextChoices):
    INTAKE = "intake", "Intake red-flag screen"
    QUESTIONNAIRE = "questionnaire", "Weekly questionnaire"
    EXAM = "exam", "Clinical exam"


class ReferralQuerySet(LocatedQuerySet):
    def open(self) -> "ReferralQuerySet":
        return self.filter(closed_at__isnull=True)


class Referral(models.Model):
    """An urgent referral a positive red flag opens. While open, no session may be logged."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="referrals")
    intake = models.ForeignKey(Intake, on_delete=models.SET_NULL, null=True, blank=True, related_name="referrals")
    source = models.CharField(max_length=15, choices=ReferralSource.choices)
    flags = models.JSONField(default=list)
    # Kept from the flags by save(), so the dashboard can put possible cauda equina first in SQL.
    is_emergency = models.BooleanField("possible cauda equina", default=False, editable=False)
    reason = models.TextField()
    opened_at = models.DateTimeField(auto_now_add=True)
    # When a weekly questionnaire last reported a warning sign into this referral, whether it opened the
    # referral or added to one already open: the dashboard puts these at the very top.
    reported_between_visits_at = models.DateTimeField(null=True, blank=True, editable=False)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    referred_to = models.CharField("referred to", max_length=15, choices=ReferralDestination.choices, blank=True)
    referred_to_detail = models.CharField("details", max_length=200, blank=True)
    referred_on = models.DateField("referred on", null=True, blank=True)
    outcome = models.CharField(max_length=15, choices=ReferralOutcome.choices, blank=True)
    outcome_notes = models.TextField("notes", blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = ReferralQuerySet.as_manager()

    class Meta:
        ordering = ["-opened_at", "-id"]
        permissions = [("print_referral_letter", "Can print the referral letter of an open referral")]
        indexes = [models.Index(fields=["patient", "closed_at"], name="referral_patient_open_idx")]
        constraints = [
            # A referral is closed only with where the patient went, when, and the result.
            models.CheckConstraint(
                condition=Q(closed_at__isnull=True)
                | (~Q(referred_to="") & Q(referred_on__isnull=False) & ~Q(outcome="") & Q(closed_by__isnull=False)),
                name="referral_closed_is_complete",
            ),
        ]

    def __str__(self) -> str:
        return f"Referral for {self.patient}: {self.reason}"

    def save(self, *args, **kwargs):
        self.is_emergency = rules.is_emergency(self.flags)
        if kwargs.get("update_fields") is not None and "flags" in kwargs["update_fields"]:
            kwargs["update_fields"] = {*kwargs["update_fields"], "is_emergency"}
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("intake:referral-detail", args=[self.pk])

    def get_additional_data(self) -> dict:
        return {"patient_id": self.patient_id}

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    @property
    def flag_labels(self) -> list[str]:
        return [rules.RED_FLAGS_BY_KEY[key].label for key in self.flags if key in rules.RED_FLAGS_BY_KEY]


class AlertKind(models.TextChoices):
    RED_FLAG_BETWEEN_VISITS = "red_flag_between_visits", "Warning sign reported between visits"
    RED_FLAG_AT_INTAKE = "red_flag_at_intake", "Red flag recorded at intake"
    SELF_HARM = "self_harm", "PHQ-9 item 9: thoughts of self-harm"


class AlertSeverity(models.TextChoices):
    EMERGENCY = "emergency", "Emergency: possible cauda equina"
    URGENT = "urgent", "Urgent: the same day"


class AlertQuerySet(LocatedQuerySet):
    def open(self) -> "AlertQuerySet":
        """Not yet acknowledged by anyone."""
        return self.filter(acknowledged_at__isnull=True)

    def most_urgent_first(self) -> "AlertQuerySet":
        """Emergencies first, then the longest waiting: the order the dashboard lists them in."""
        return self.order_by(
            models.Case(models.When(severity=AlertSeverity.EMERGENCY, then=0), default=1), "opened_at", "id"
        )


class Alert(models.Model):
    """Something a clinician must act on the same day, sent to a person at once.

    See docs/architecture.md, "A red flag is reported".

    Opened by the services that record a red flag or a PHQ-9 item 9 above 0; emailed after commit to the
    on-call addresses and the patient's practitioner; escalated to the managers when nobody has
    acknowledged it in time. The message sent names no patient and no finding: only a staff link.
    """

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="alerts")
    kind = models.CharField(max_length=25, choices=AlertKind.choices)
    severity = models.CharField(max_length=10, choices=AlertSeverity.choices)
    referral = models.ForeignKey(Referral, on_delete=models.PROTECT, null=True, blank=True, related_name="alerts")
    intake = models.ForeignKey(Intake, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    item9 = score_field(1, 3, "PHQ-9 item 9 answer", null=True, blank=True)
    # Told with the on-call addresses: the clinician treating the patient, when the reporting app knows one.
    practitioner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    opened_at = models.DateTimeField(auto_now_add=True)
    notified_at = models.DateTimeField("sent at", null=True, blank=True)
    notified_to = models.JSONField("sent to", default=list, blank=True)
    escalated_at = models.DateTimeField("escalated at", null=True, blank=True)
    escalated_to = models.JSONField("escalated to", default=list, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    action_taken = models.TextField("action taken", blank=True)

    objects = AlertQuerySet.as_manager()

    class Meta:
        ordering = ["-opened_at", "-id"]
        indexes = [
            # The dashboard and the escalation run read the open alerts only.
            models.Index(fields=["opened_at"], condition=Q(acknowledged_at__isnull=True), name="alert_open_idx"),
            models.Index(fields=["patient", "kind"], name="alert_patient_kind_idx"),
        ]
        constraints = [
            range_check("item9", 1, 3),
            # One open alert of a kind per patient: two reports at once add to one alert, not send two.
            models.UniqueConstraint(
                fields=["patient", "kind"], condition=Q(acknowledged_at__isnull=True), name="alert_one_open_per_kind"
            ),
            # Who acknowledged is part of the acknowledgement.
            models.CheckConstraint(
                condition=Q(acknowledged_at__isnull=True) | Q(acknowledged_by__isnull=False),
                name="alert_acknowledged_has_who",
            ),
            # A self-harm alert records its answer, and is closed only with the action taken (docs/clinical-rules.md).
            models.CheckConstraint(
                condition=~Q(kind=AlertKind.SELF_HARM)
                | (Q(item9__isnull=False) & (Q(acknowledged_at__isnull=True) | ~Q(action_taken=""))),
                name="alert_self_harm_has_answer_and_action",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.patient}"

    def get_absolute_url(self) -> str:
        return reverse("intake:alert-detail", args=[self.pk])

    def get_additional_data(self) -> dict:
        return {"patient_id": self.patient_id}

    @property
    def is_open(self) -> bool:
        return self.acknowledged_at is None

    @property
    def is_emergency(self) -> bool:
        return self.severity == AlertSeverity.EMERGENCY

    @property
    def needs_action_note(self) -> bool:
        """A self-harm alert is acknowledged with what was done; a red flag's outcome goes on its referral."""
        return self.kind == AlertKind.SELF_HARM

    @property
    def answer_label(self) -> str:
        return dict(rules.PHQ9_CHOICES).get(self.item9, "")


audited(Intake)
audited(ClinicalAssessment)
audited(Consent)
audited(Referral)
audited(Alert)
