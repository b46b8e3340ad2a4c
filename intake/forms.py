from datetime import date

from crispy_forms.bootstrap import InlineCheckboxes, InlineRadios
from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Column, Div, Fieldset, Layout, Row
from django import forms
from django.utils import timezone

from clinic.concurrency import VersionedFormMixin
from clinic.forms import YES_NO, DateInput, past_record_date, yes_no
from intake import rules
from intake.models import (
    PAIN_LOCATIONS,
    PRIOR_TREATMENTS,
    PULSE_QUALITIES,
    Alert,
    ClinicalAssessment,
    Intake,
    Modality,
    PainSide,
    Referral,
    ReferralDestination,
    ReferralOutcome,
)


def yes_no_field(label: str) -> forms.TypedChoiceField:
    # No default: an unanswered red-flag question must be answered, never assumed "no".
    return forms.TypedChoiceField(
        label=label,
        choices=YES_NO,
        coerce=yes_no,
        widget=forms.RadioSelect,
        error_messages={"required": "Answer yes or no."},
    )


def phq9_field(number: int) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=f"{number}. {rules.PHQ9_ITEMS[number - 1]}",
        choices=[(str(value), label) for value, label in rules.PHQ9_CHOICES],
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose one answer."},
    )


def number_input(low: int, high: int) -> forms.NumberInput:
    return forms.NumberInput(attrs={"min": low, "max": high, "inputmode": "numeric"})


PATIENT_FIELDS = [
    "chief_complaint",
    "pain_locations",
    "pain_side",
    "radiates_below_knee",
    "onset_date",
    "suspected_cause",
    "aggravating_factors",
    "easing_factors",
    "numbness_tingling",
    "weakness",
    "pain_now",
    "pain_worst_week",
    "sleep_quality",
    "prior_treatments",
    "imaging_findings",
    "analgesic_days_week",
    "work_days_off_month",
    *rules.RED_FLAG_KEYS,
    "pregnant",
    "pregnancy_weeks",
    "implanted_device",
    "anticoagulants",
    "needle_phobia",
    "metal_allergy",
    "skin_lesion",
    "skin_lesion_site",
    "medications",
    "allergies",
    *[f"phq9_{n}" for n in range(1, 10)],
]


class IntakeForm(VersionedFormMixin, forms.ModelForm):
    """Everything but the clinician's section: the front desk fills it in with the keyboard alone."""

    pain_locations = forms.MultipleChoiceField(
        label="Pain location", choices=PAIN_LOCATIONS, required=False, widget=forms.CheckboxSelectMultiple
    )
    prior_treatments = forms.MultipleChoiceField(
        label="Prior treatments", choices=PRIOR_TREATMENTS, required=False, widget=forms.CheckboxSelectMultiple
    )
    consent_modalities = forms.MultipleChoiceField(
        label="Consents to", choices=Modality.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    consent_name = forms.CharField(label="Patient's full name, typed as a signature", max_length=200, required=False)

    class Meta:
        model = Intake
        fields = PATIENT_FIELDS
        widgets = {
            "onset_date": DateInput(),
            "chief_complaint": forms.Textarea(attrs={"rows": 2}),
            "aggravating_factors": forms.Textarea(attrs={"rows": 2}),
            "easing_factors": forms.Textarea(attrs={"rows": 2}),
            "imaging_findings": forms.Textarea(attrs={"rows": 2}),
            "medications": forms.Textarea(attrs={"rows": 2}),
            "allergies": forms.Textarea(attrs={"rows": 1}),
            "pain_now": number_input(0, 10),
            "pain_worst_week": number_input(0, 10),
            "analgesic_days_week": number_input(0, 7),
            "work_days_off_month": number_input(0, 31),
            "pregnancy_weeks": number_input(1, 42),
        }

    def __init__(self, *args, show_phq9: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        for flag in rules.RED_FLAGS:
            self.fields[flag.key] = yes_no_field(flag.question)
        # The PHQ-9's answers are clinical (item 9 asks about self-harm): staff without clinical read
        # access may enter a paper packet's answers once, but not read them back on a saved intake.
        self.phq9_hidden = not show_phq9 and any(
            getattr(self.instance, f"phq9_{number}") is not None for number in range(1, 10)
        )
        for number in range(1, 10):
            if self.phq9_hidden:
                del self.fields[f"phq9_{number}"]
            else:
                self.fields[f"phq9_{number}"] = phq9_field(number)
        self.fields["pain_side"].required = True
        self.fields["pain_side"].choices = PainSide.choices
        self.fields["pain_side"].widget = forms.RadioSelect(choices=PainSide.choices)
        if self.instance.pk:
            self.fields["consent_modalities"].initial = list(self.instance.consents.values_list("modality", flat=True))
            first = self.instance.consents.first()
            self.fields["consent_name"].initial = first.typed_name if first else ""
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = self.build_layout()

    def build_layout(self) -> Layout:
        return Layout(
            "version",  # hidden: without it a second save would silently overwrite the first
            Fieldset(
                "Pain history",
                "chief_complaint",
                Row(
                    Column(InlineCheckboxes("pain_locations"), css_class="col-md-6"),
                    Column(InlineRadios("pain_side"), css_class="col-md-3"),
                    Column("radiates_below_knee", css_class="col-md-3 pt-md-4"),
                ),
                Row(
                    Column("onset_date", css_class="col-md-3"),
                    Column("suspected_cause", css_class="col-md-3"),
                    Column("pain_now", css_class="col-md-2"),
                    Column("pain_worst_week", css_class="col-md-2"),
                    Column("sleep_quality", css_class="col-md-2"),
                ),
                Row(Column("aggravating_factors"), Column("easing_factors")),
                Row(
                    Column("numbness_tingling", css_class="col-md-3"),
                    Column("weakness", css_class="col-md-3"),
                    Column("analgesic_days_week", css_class="col-md-3"),
                    Column("work_days_off_month", css_class="col-md-3"),
                ),
                Row(Column(InlineCheckboxes("prior_treatments")), Column("imaging_findings")),
            ),
            Fieldset(
                "Red-flag screen — every question needs an answer",
                HTML('<p class="small text-secondary mb-1">Cauda equina signs</p>'),
                *[InlineRadios(key) for key in rules.CAUDA_EQUINA_KEYS],
                HTML('<p class="small text-secondary mb-1 mt-2">Serious pathology</p>'),
                *[InlineRadios(f.key) for f in rules.RED_FLAGS if f.group == rules.SERIOUS_PATHOLOGY],
                css_class="red-flag-screen",
            ),
            Fieldset(
                "Contraindications and precautions",
                Row(
                    Column("pregnant", css_class="col-md-2 pt-md-4"),
                    Column("pregnancy_weeks", css_class="col-md-2"),
                    Column("implanted_device", css_class="col-md-4 pt-md-4"),
                    Column("anticoagulants", css_class="col-md-4 pt-md-4"),
                ),
                Row(
                    Column("needle_phobia", css_class="col-md-2"),
                    Column("metal_allergy", css_class="col-md-2"),
                    Column("skin_lesion", css_class="col-md-4"),
                    Column("skin_lesion_site", css_class="col-md-4"),
                ),
                Row(Column("medications"), Column("allergies")),
            ),
            Fieldset(
                "PHQ-9 — over the last 2 weeks, how often has the patient been bothered by…",
                HTML('<p class="small text-secondary">Recorded; the answers are for the clinician.</p>')
                if self.phq9_hidden
                else Div(*[InlineRadios(f"phq9_{n}") for n in range(1, 10)]),
            ),
            Fieldset(
                "Consent",
                InlineCheckboxes("consent_modalities"),
                Div("consent_name", css_class="col-md-6"),
            ),
        )

    # How the onset check names the date of birth: the staff form says "the patient's", the patient's own "your".
    whose_birth = "the patient's date of birth"

    def clean_onset_date(self) -> date | None:
        onset = self.cleaned_data.get("onset_date")
        if onset is None:
            return None
        # The patient is known on every form but a new staff intake posted without one (none in the app).
        dob = self.instance.patient.date_of_birth if self.instance.patient_id else None
        return past_record_date(onset, what="the onset date cannot be", not_before=dob, before_what=self.whose_birth)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("pregnant"):
            if not cleaned.get("pregnancy_weeks"):
                self.add_error("pregnancy_weeks", "Enter how many weeks pregnant (1-42).")
        else:
            cleaned["pregnancy_weeks"] = None
        if cleaned.get("skin_lesion") and not cleaned.get("skin_lesion_site", "").strip():
            self.add_error("skin_lesion_site", "Say where the lesion is, so it can be avoided.")
        if cleaned.get("consent_modalities") and not cleaned.get("consent_name", "").strip():
            self.add_error("consent_name", "The patient types their full name to give consent.")
        if cleaned.get("consent_name") and not cleaned.get("consent_modalities"):
            self.add_error("consent_modalities", "Tick the modalities the patient consents to.")
        return cleaned


class OnlineIntakeForm(IntakeForm):
    """The same questions, worded for the patient, on their phone."""

    whose_birth = "your date of birth"

    class Meta(IntakeForm.Meta):
        fields = [f for f in PATIENT_FIELDS if f not in {"imaging_findings", "suspected_cause"}]
        labels = {
            "chief_complaint": "What brings you to the clinic?",
            "pain_side": "Which side?",
            "onset_date": "When did this pain start? (an approximate date is fine)",
            "pain_now": "Your pain right now, from 0 (none) to 10 (worst imaginable)",
            "pain_worst_week": "Your worst pain in the past week (0-10)",
            "analgesic_days_week": "On how many days in the past week did you take pain medication?",
            "work_days_off_month": "How many days off work have you had in the past month because of this pain?",
            "pregnant": "I am pregnant",
            "implanted_device": "I have a pacemaker, defibrillator or other implanted electrical device",
            "anticoagulants": "I take blood thinners or have a bleeding disorder",
            "needle_phobia": "I am very afraid of needles",
            "metal_allergy": "I am allergic to metals (such as nickel)",
            "skin_lesion": "I have a skin infection, rash or wound on my back or legs",
            "medications": "Medicines you take",
            "allergies": "Allergies",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["consent_name"].label = "Type your full name to sign"
        self.fields["consent_modalities"].label = "I consent to these treatments"
        self.helper = None  # the patient template lays the form out by hand, one group at a time


class ClinicalAssessmentForm(forms.ModelForm):
    pulse_qualities = forms.MultipleChoiceField(
        label="Pulse qualities", choices=PULSE_QUALITIES, required=False, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = ClinicalAssessment
        fields = [
            "slr_left_positive",
            "slr_left_angle",
            "slr_right_positive",
            "slr_right_angle",
            "femoral_stretch",
            "sensory_l4",
            "sensory_l5",
            "sensory_s1",
            "reflex_knee",
            "reflex_ankle",
            "dorsiflexion_left",
            "dorsiflexion_right",
            "plantarflexion_left",
            "plantarflexion_right",
            "gait",
            "tongue_colour",
            "tongue_coating",
            "tongue_shape",
            "pulse_qualities",
            "tcm_pattern",
            "tcm_pattern_other",
            "secondary_pattern",
            "treatment_principle",
        ]
        labels = {"tcm_pattern": "Primary pattern", "secondary_pattern": "Secondary pattern (if any)"}
        widgets = {
            "slr_left_angle": number_input(0, 90),
            "slr_right_angle": number_input(0, 90),
            "dorsiflexion_left": number_input(0, 5),
            "dorsiflexion_right": number_input(0, 5),
            "plantarflexion_left": number_input(0, 5),
            "plantarflexion_right": number_input(0, 5),
            "treatment_principle": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Fieldset(
                "Physical exam",
                Row(
                    Column("slr_left_positive", css_class="col-md-2 pt-md-4"),
                    Column("slr_left_angle", css_class="col-md-2"),
                    Column("slr_right_positive", css_class="col-md-2 pt-md-4"),
                    Column("slr_right_angle", css_class="col-md-2"),
                    Column("femoral_stretch", css_class="col-md-4"),
                ),
                Row(
                    Column("sensory_l4"),
                    Column("sensory_l5"),
                    Column("sensory_s1"),
                    Column("reflex_knee"),
                    Column("reflex_ankle"),
                ),
                Row(
                    Column("dorsiflexion_left"),
                    Column("dorsiflexion_right"),
                    Column("plantarflexion_left"),
                    Column("plantarflexion_right"),
                    Column("gait", css_class="col-md-4"),
                ),
            ),
            Fieldset(
                "TCM assessment",
                Row(Column("tongue_colour"), Column("tongue_coating"), Column("tongue_shape")),
                InlineCheckboxes("pulse_qualities"),
                Row(Column("tcm_pattern"), Column("tcm_pattern_other"), Column("secondary_pattern")),
                "treatment_principle",
            ),
        )

    def clean(self):
        cleaned = super().clean()
        for side in ("left", "right"):
            if cleaned.get(f"slr_{side}_positive") and cleaned.get(f"slr_{side}_angle") is None:
                self.add_error(f"slr_{side}_angle", "Record the angle at which the SLR was positive.")
        if cleaned.get("tcm_pattern") == "other" and not cleaned.get("tcm_pattern_other", "").strip():
            self.add_error("tcm_pattern_other", "Name the pattern.")
        primary, secondary = cleaned.get("tcm_pattern"), cleaned.get("secondary_pattern")
        if secondary and not primary:
            self.add_error("secondary_pattern", "Choose the primary pattern first (or record this one as the primary).")
        elif secondary and secondary == primary:
            self.add_error("secondary_pattern", "The secondary pattern must differ from the primary.")
        return cleaned


class ReferralCloseForm(forms.Form):
    referred_to = forms.ChoiceField(label="Referred to", choices=ReferralDestination.choices)
    referred_to_detail = forms.CharField(label="Details (name, service)", max_length=200, required=False)
    referred_on = forms.DateField(label="Referred on", widget=DateInput())
    outcome = forms.ChoiceField(label="Result", choices=ReferralOutcome.choices, widget=forms.RadioSelect)
    outcome_notes = forms.CharField(label="Notes", widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def __init__(self, *args, referral: Referral, **kwargs):
        super().__init__(*args, **kwargs)
        self.referral = referral
        # Possible cauda equina means the emergency department today; other red flags go to primary care.
        self.fields["referred_to"].initial = (
            ReferralDestination.EMERGENCY if referral.is_emergency else ReferralDestination.GP
        )
        self.helper = FormHelper()
        self.helper.form_tag = False

    def clean_referred_on(self) -> date:
        opened = timezone.localtime(self.referral.opened_at).date() if self.referral.opened_at else None
        return past_record_date(
            self.cleaned_data["referred_on"],
            what="the referral date cannot be",
            not_before=opened,
            before_what="the red flag was recorded",
        )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("referred_to") == ReferralDestination.OTHER and not cleaned.get("referred_to_detail"):
            self.add_error("referred_to_detail", "Say where the patient was referred.")
        return cleaned


class AlertAcknowledgeForm(forms.Form):
    """Taking an alert: a note of what was done; required for PHQ-9 item 9, whose referral is recorded here."""

    action_taken = forms.CharField(
        label="Action taken (who you contacted or referred to, what the patient was told)",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        required=False,
    )

    def __init__(self, *args, alert: Alert, **kwargs):
        super().__init__(*args, **kwargs)
        self.alert = alert
        if alert.needs_action_note:
            self.fields["action_taken"].required = True
            self.fields["action_taken"].error_messages["required"] = (
                "Record what you did: who you contacted or referred the patient to."
            )
        else:
            self.fields["action_taken"].label = "Note (optional: the referral's outcome is recorded on the referral)"
        self.helper = FormHelper()
        self.helper.form_tag = False

    def clean_action_taken(self) -> str:
        text = self.cleaned_data["action_taken"].strip()
        if self.alert.needs_action_note and not text:
            raise forms.ValidationError(self.fields["action_taken"].error_messages["required"])
        return text
