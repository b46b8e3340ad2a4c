"""The weekly questionnaire as forms built from its data (outcomes/data), for patients and for staff.

Patients answer in four steps: the warning signs first, posted and acted on by themselves
(`WarningSignsForm`), then their pain, the ODI and the rest (`QuestionnaireForm` with `step`, one part of
it each; `STEPS`). Staff copy a paper form in one page (`PaperQuestionnaireForm`), whose warning-sign
answers are still saved alone when the rest is refused.
"""

from dataclasses import dataclass

from django import forms
from django.utils import timezone
from django.utils.dateformat import format as format_date

from clinic.forms import YES_NO, DateInput, past_record_date, yes_no
from intake.rules import CAUDA_EQUINA_KEYS, PHQ9_CHOICES, PHQ9_ITEMS
from outcomes.models import ODI_FIELDS, PAIN_FIELDS, PGIC_QUESTION, Pgic, Questionnaire
from outcomes.questionnaires import cauda_equina_questions, odi
from outcomes.scoring import pgic_asked
from outcomes.services import week_due

PAIN_CHOICES = [(n, str(n)) for n in range(11)]
DAY_CHOICES = [(n, str(n)) for n in range(8)]
PAIN_LABELS = {
    "back_pain_now": "Back pain now",
    "back_pain_worst": "Worst back pain in the past week",
    "leg_pain_now": "Leg pain now",
    "leg_pain_worst": "Worst leg pain in the past week",
}
TAMPERED = "That answer is not one of the choices. Please choose again."
NOT_AT_BASELINE = "The baseline (week 0) does not ask this: leave it blank, as the patient had no treatment yet."


@dataclass(frozen=True)
class Step:
    """One page of the patient's questionnaire, numbered as the patient sees it (1 is the warning signs)."""

    number: int
    key: str
    title: str

    @property
    def label(self) -> str:
        """The step as the audit log names it: "step 2 of 4 (your pain)"."""
        return f"step {self.number} of {STEP_COUNT} ({self.title})"


WARNING_SIGNS_STEP = Step(1, "warning-signs", "warning signs")
# Steps 2 to 4, each a part of `QuestionnaireForm`: the pain scales, the ODI, then everything else of
# the week (days, the PGIC from week 1, the PHQ-9 at weeks 4 and 12).
STEPS = (Step(2, "pain", "your pain"), Step(3, "odi", "everyday life"), Step(4, "rest", "the last questions"))
STEP_COUNT = 1 + len(STEPS)
_STEP_FIELDS = {"pain": PAIN_FIELDS, "odi": ODI_FIELDS}


def _int_or_none(value):
    return None if value in ("", None) else int(value)


def choice_field(label: str, choices, *, required: bool = True, coerce=int, **kwargs) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label,
        choices=choices,
        coerce=coerce,
        empty_value=None,
        required=required,
        widget=forms.RadioSelect,
        error_messages={"required": "Please choose an answer.", "invalid_choice": TAMPERED},
        **kwargs,
    )


def warning_sign_fields() -> dict[str, forms.Field]:
    return {question.key: choice_field(question.text, YES_NO, coerce=yes_no) for question in cauda_equina_questions()}


class WarningSignsMixin:
    """The six cauda equina questions, and what a form says of them even when other answers are refused."""

    def cauda_equina_fields(self):
        return [self[q.key] for q in cauda_equina_questions()]

    def warning_sign_answers(self) -> dict[str, bool]:
        """The warning-sign answers that are valid, whatever else the form holds (call after is_valid)."""
        cleaned = getattr(self, "cleaned_data", {})
        return {key: cleaned[key] for key in CAUDA_EQUINA_KEYS if cleaned.get(key) is not None}

    def reported_warning_signs(self) -> list[str]:
        return [key for key, answer in self.warning_sign_answers().items() if answer]

    def self_harm_answer(self) -> int | None:
        """PHQ-9 item 9 when it was validly answered above 0, whatever else the form holds."""
        answer = getattr(self, "cleaned_data", {}).get("phq9_9")
        return answer if answer else None


class WarningSignsForm(WarningSignsMixin, forms.Form):
    """Step 1 of the patient's questionnaire: the warning signs alone, saved the moment they are sent."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields.update(warning_sign_fields())


def pgic_field(*, required: bool) -> forms.TypedChoiceField:
    return choice_field(PGIC_QUESTION, Pgic.choices, required=required)


class QuestionnaireForm(WarningSignsMixin, forms.Form):
    """ODI (one section may be left blank), pain 0-10, days, the PGIC from week 1, and the PHQ-9 when due.

    With `step` (a key of `STEPS`) it holds that step's questions only, with the rules among them.
    """

    phq9_optional = False

    def __init__(self, *args, includes_phq9: bool = False, asks_pgic: bool = False, step: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        definition = odi()
        for name, section in zip(ODI_FIELDS, definition.sections, strict=True):
            self.fields[name] = choice_field(
                section.title, list(enumerate(section.statements)), required=False, coerce=_int_or_none
            )
        for name in PAIN_FIELDS:
            self.fields[name] = choice_field(
                PAIN_LABELS[name], PAIN_CHOICES, help_text="0 = no pain, 10 = worst imaginable"
            )
        self.fields["analgesic_days"] = choice_field(
            "On how many days in the past week did you take pain medication?", DAY_CHOICES
        )
        self.fields["work_days_off"] = choice_field(
            "How many days of work (or usual activities) did you miss in the past week because of your back?",
            DAY_CHOICES,
        )
        if asks_pgic:
            self.fields["pgic"] = pgic_field(required=True)
        self.phq9_names = []
        if includes_phq9:
            for n, item in enumerate(PHQ9_ITEMS, start=1):
                self.fields[f"phq9_{n}"] = choice_field(item, PHQ9_CHOICES, required=not self.phq9_optional)
                self.phq9_names.append(f"phq9_{n}")
        if step is not None:
            others = {name for names in _STEP_FIELDS.values() for name in names}
            kept = _STEP_FIELDS.get(step) or [name for name in self.fields if name not in others]
            self.fields = {name: field for name, field in self.fields.items() if name in kept}
            self.phq9_names = [name for name in self.phq9_names if name in self.fields]

    def clean(self):
        cleaned = super().clean()
        unanswered = [name for name in ODI_FIELDS if cleaned.get(name) is None and name not in self.errors]
        if ODI_FIELDS[0] in self.fields and len(unanswered) >= 2:
            for name in unanswered:
                self.add_error(name, "Please answer this section. Only one section may be left blank.")
        answered_phq9 = [name for name in self.phq9_names if cleaned.get(name) is not None]
        if answered_phq9 and len(answered_phq9) < len(self.phq9_names):
            for name in self.phq9_names:
                if cleaned.get(name) is None and name not in self.errors:
                    self.add_error(name, "Answer all nine PHQ-9 items, or none.")
        return cleaned

    # Groups for the template: one fieldset per part of the questionnaire.
    def odi_fields(self):
        return [self[name] for name in ODI_FIELDS]

    def pain_fields(self):
        return [self[name] for name in PAIN_FIELDS]

    def day_fields(self):
        return [self["analgesic_days"], self["work_days_off"]]

    def phq9_fields(self):
        return [self[name] for name in self.phq9_names]

    def pgic_fields(self):
        return [self["pgic"]] if "pgic" in self.fields else []

    def answers(self) -> dict:
        return {name: value for name, value in self.cleaned_data.items() if name != "due_date"}


class PaperQuestionnaireForm(QuestionnaireForm):
    """Staff copy a paper form: the same questions on one page, plus the date it was due."""

    due_date = forms.DateField(label="Due date", widget=DateInput())
    answered_on = forms.DateField(
        label="Filled in on",
        widget=DateInput(),
        help_text="The day the patient filled in the form: it tells whether a baseline came before the first needle.",
    )
    phq9_optional = True  # the paper packet has the PHQ-9 page at weeks 4 and 12 only

    def __init__(self, *args, patient=None, **kwargs):
        super().__init__(*args, includes_phq9=True, **kwargs)
        self.patient = patient
        self.fields.update(warning_sign_fields())
        # On every paper form, as the week is known only from the due date (checked in clean).
        self.fields["pgic"] = pgic_field(required=False)
        self.fields["answered_on"].initial = timezone.localdate()
        self.order_fields(["due_date", "answered_on", *CAUDA_EQUINA_KEYS])

    def clean_answered_on(self):
        return past_record_date(self.cleaned_data["answered_on"], what="a form cannot have been filled in")

    def clean_due_date(self):
        due_date = past_record_date(self.cleaned_data["due_date"], what="a questionnaire cannot be due")
        if self.patient is not None:
            # A form not already scheduled joins the latest plan (services.paper_questionnaire): not before it began.
            plans = self.patient.plans.order_by("-start_date", "-id")
            start = plans.values_list("start_date", flat=True).first()
            if (
                start is not None
                and due_date < start
                and not Questionnaire.objects.filter(patient=self.patient, due_date=due_date).exists()
            ):
                raise forms.ValidationError(
                    f"Check the date: it is before the start of the current plan ({format_date(start, 'M j, Y')})."
                )
        return due_date

    def clean(self):
        cleaned = super().clean()
        due_date = cleaned.get("due_date")
        if self.patient is not None and due_date is not None and "pgic" not in self.errors:
            asked = pgic_asked(week_due(patient=self.patient, due_date=due_date))
            if asked and cleaned.get("pgic") is None:
                self.add_error("pgic", "Please choose an answer: it is asked from week 1 on.")
            elif not asked and cleaned.get("pgic") is not None:
                self.add_error("pgic", NOT_AT_BASELINE)
        return cleaned
