import secrets
from datetime import date, timedelta

from crispy_forms.helper import FormHelper
from django import forms
from django.utils import timezone
from django.utils.dateformat import format as format_date

from clinic.concurrency import VersionedFormMixin
from clinic.forms import EARLIEST_RECORD_DATE, DateInput, past_record_date
from intake.models import Modality, TcmPattern
from intake.rules import Precaution
from treatments import billing
from treatments.codes import normalise_point_code, split_point_codes, suggest
from treatments.models import (
    MAX_REINSERTIONS,
    REVIEWS,
    TUINA_TECHNIQUES,
    AdverseEventKind,
    Payment,
    PlanStatus,
    Point,
    Protocol,
    Session,
    Severity,
    Side,
    Technique,
    TreatmentPlan,
    Waveform,
)
from treatments.safety import PlannedPoint, session_problems

CLOCK_SKEW = timedelta(minutes=2)
# A course of care is planned at most this far ahead; a later start date is a mistyped year.
PLAN_START_AHEAD = timedelta(days=365)


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


def code_input(placeholder: str = "e.g. BL23") -> forms.TextInput:
    return forms.TextInput(
        attrs={"list": "point-options", "autocomplete": "off", "placeholder": placeholder, "class": "point-code"}
    )


class DiagnosisCodesField(forms.CharField):
    """ICD-10-CM codes typed as a comma- or space-separated list, each checked and normalised."""

    def to_python(self, value):
        text = super().to_python(value) or ""
        return [part for part in text.replace(",", " ").split() if part]

    def prepare_value(self, value):
        return ", ".join(value) if isinstance(value, list) else value

    def validate(self, value):
        if self.required and not value:
            raise forms.ValidationError("Enter at least one ICD-10-CM code, such as M54.42.")

    def clean(self, value):
        codes = self.to_python(value)
        self.validate(codes)
        cleaned, errors = [], []
        for raw in codes:
            try:
                cleaned.append(billing.validate_icd10(raw))
            except ValueError as error:
                errors.append(str(error))
        if errors:
            raise forms.ValidationError(errors)
        cleaned = list(dict.fromkeys(cleaned))
        # Codes an Excludes1 note forbids together are refused here, so a claim never carries them.
        conflicts = billing.excludes1_conflicts(cleaned)
        if conflicts:
            raise forms.ValidationError(conflicts)
        return cleaned


class TreatmentPlanForm(VersionedFormMixin, forms.ModelForm):
    diagnosis_codes = DiagnosisCodesField(
        label="ICD-10-CM diagnosis codes",
        help_text="Separate several with commas. Common: "
        + ", ".join(f"{code} {text}" for code, text in billing.COMMON_ICD10[:6])
        + " …",
        widget=forms.TextInput(attrs={"list": "icd10-options", "autocomplete": "off"}),
    )

    class Meta:
        model = TreatmentPlan
        fields = ["diagnosis_codes", "tcm_pattern", "planned_sessions", "frequency", "start_date", "goals", "status"]
        widgets = {"start_date": DateInput(), "goals": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tcm_pattern"].choices = TcmPattern.choices
        if self.instance.pk is None:
            del self.fields["status"]
        self.helper = FormHelper()
        self.helper.form_tag = False

    def clean_start_date(self) -> date:
        start = self.cleaned_data["start_date"]
        if start < EARLIEST_RECORD_DATE:
            raise forms.ValidationError(f"Check the year: a plan cannot start before {EARLIEST_RECORD_DATE.year}.")
        if start > timezone.localdate() + PLAN_START_AHEAD:
            raise forms.ValidationError("Check the year: a plan cannot start more than a year from today.")
        if self.instance.pk is not None and "start_date" in self.changed_data:
            first = self.instance.sessions.order_by("started_at").values_list("started_at", flat=True).first()
            if first is not None and start > timezone.localtime(first).date():
                raise forms.ValidationError(
                    f"The plan's first session was on {format_date(timezone.localtime(first), 'M j, Y')}: "
                    "the plan cannot start after it."
                )
        return start


class PlanReviewForm(forms.Form):
    review = forms.ChoiceField(choices=list(REVIEWS.items()))
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label="Review notes")
    status = forms.ChoiceField(
        label="Plan status after review",
        choices=[("", "Keep active"), (PlanStatus.COMPLETED, "Completed"), (PlanStatus.DISCONTINUED, "Discontinued")],
        required=False,
    )


class SessionForm(VersionedFormMixin, forms.ModelForm):
    tuina_techniques = forms.MultipleChoiceField(
        label="Tui Na techniques", choices=TUINA_TECHNIQUES, required=False, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = Session
        fields = [
            "started_at",
            "contact_minutes",
            "reinsertions",
            "pain_before",
            "pain_after",
            "tuina_minutes",
            "tuina_techniques",
            "tuina_regions",
            "tuina_separate_region",
            "cupping_kind",
            "cupping_minutes",
            "moxibustion_kind",
            "moxibustion_points",
            "gua_sha",
            "herbal_formula",
            "home_exercises",
            "subjective",
            "objective",
            "assessment",
            "plan_notes",
            "override_reason",
            "cautions_acknowledged",
        ]
        widgets = {
            "started_at": DateTimeInput(),
            "reinsertions": forms.NumberInput(attrs={"min": 0, "max": MAX_REINSERTIONS, "class": "form-control-sm"}),
            "home_exercises": forms.Textarea(attrs={"rows": 2}),
            "subjective": forms.Textarea(attrs={"rows": 2}),
            "objective": forms.Textarea(attrs={"rows": 2}),
            "assessment": forms.Textarea(attrs={"rows": 2}),
            "plan_notes": forms.Textarea(attrs={"rows": 2}),
            "override_reason": forms.Textarea(attrs={"rows": 2}),
        }

    def clean_started_at(self):
        started_at = self.cleaned_data["started_at"]
        if started_at > timezone.now() + CLOCK_SKEW:
            raise forms.ValidationError("The session time cannot be in the future.")
        # The year first: a year-1 time is not converted between time zones (it may not fit).
        if started_at.year < EARLIEST_RECORD_DATE.year:
            year = EARLIEST_RECORD_DATE.year
            raise forms.ValidationError(f"Check the year: a session cannot be dated before {year}.")
        born = self.instance.patient.date_of_birth
        if timezone.localtime(started_at).date() < born:
            # The plan's start is not checked against the birth date (a plan may start ahead): this is.
            raise forms.ValidationError(
                f"Check the date: a session cannot be dated before the patient's date of birth "
                f"({format_date(born, 'M j, Y')})."
            )
        plan_start = self.instance.plan.start_date
        if timezone.localtime(started_at).date() < plan_start:
            # A typo such as 0202 for 2020 would also schedule a questionnaire for every week since.
            raise forms.ValidationError(
                f"Check the date: the session is before its plan started ({format_date(plan_start, 'M j, Y')}). "
                "If the plan really started earlier, correct the plan's start date first."
            )
        return started_at

    def clean_moxibustion_points(self):
        # Checked against the catalogue with the needling rows' codes, in their one query (SessionEntry).
        self.moxibustion_codes = split_point_codes(self.cleaned_data["moxibustion_points"])
        return self.cleaned_data["moxibustion_points"]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("moxibustion_points") and not cleaned.get("moxibustion_kind"):
            self.add_error("moxibustion_kind", "Choose the kind of moxibustion used on these points.")
        if cleaned.get("tuina_techniques") and not cleaned.get("tuina_minutes"):
            self.add_error("tuina_minutes", "Enter the Tui Na minutes for the techniques ticked.")
        if cleaned.get("tuina_separate_region"):
            # The record must show the separate region that modifier XS claims (docs/clinical-rules.md).
            if not cleaned.get("tuina_minutes"):
                self.add_error("tuina_separate_region", "Enter the Tui Na minutes, or untick the separate region.")
            if not (cleaned.get("tuina_regions") or "").strip() and "tuina_regions" not in self.errors:
                message = "Name the region Tui Na was given to: it is the region billed as separate."
                self.add_error("tuina_regions", message)
        if cleaned.get("cupping_kind") and not cleaned.get("cupping_minutes"):
            self.add_error("cupping_minutes", "Enter how long the cups stayed on.")
        return cleaned


class SessionPointForm(forms.Form):
    code = forms.CharField(label="Point", max_length=20, required=False, widget=code_input())
    side = forms.ChoiceField(choices=Side.choices, initial=Side.BILATERAL)
    technique = forms.ChoiceField(choices=Technique.choices, initial=Technique.EVEN)
    retention_minutes = forms.IntegerField(label="Retention (min)", min_value=0, max_value=120, required=False)
    depth_mm = forms.IntegerField(label="Depth (mm)", min_value=0, max_value=100, required=False)
    de_qi = forms.BooleanField(label="De qi", required=False)

    def clean(self):
        cleaned = super().clean()
        # Side and technique always post their defaults: only what was typed makes a row the user meant.
        typed = any(
            name in self.errors or cleaned.get(name) is not None and cleaned.get(name) is not False
            for name in ("retention_minutes", "depth_mm", "de_qi")
        )
        if typed and not cleaned.get("code") and "code" not in self.errors:
            self.add_error("code", "Enter the point code.")
        return cleaned


class ElectroPairForm(forms.Form):
    point_a = forms.CharField(label="From", max_length=20, required=False, widget=code_input("e.g. BL25"))
    point_b = forms.CharField(label="To", max_length=20, required=False, widget=code_input("e.g. BL40"))
    frequency_hz = forms.DecimalField(
        label="Hz", min_value=1, max_value=200, max_digits=5, decimal_places=1, required=False
    )
    waveform = forms.ChoiceField(choices=Waveform.choices, initial=Waveform.DENSE_DISPERSE)
    minutes = forms.IntegerField(min_value=1, max_value=60, required=False)
    intensity = forms.CharField(max_length=50, required=False)

    def clean(self):
        cleaned = super().clean()
        # The waveform always posts its default: any other value typed makes this a pair to complete.
        typed = ("point_a", "point_b", "frequency_hz", "minutes", "intensity")
        if any(name in self.errors or cleaned.get(name) not in (None, "") for name in typed):
            for name in ("point_a", "point_b", "frequency_hz", "minutes"):
                if cleaned.get(name) in (None, "") and name not in self.errors:
                    self.add_error(name, "Required for an electroacupuncture pair.")
        return cleaned


class AdverseEventForm(forms.Form):
    kind = forms.ChoiceField(choices=[("", "—"), *AdverseEventKind.choices], required=False)
    severity = forms.ChoiceField(choices=Severity.choices, initial=Severity.MILD)
    description = forms.CharField(max_length=300, required=False)
    action_taken = forms.CharField(max_length=300, required=False)

    def clean(self):
        cleaned = super().clean()
        # Severity always posts its default: only a typed description or action makes a row the user meant.
        typed = any(name in self.errors or cleaned.get(name) for name in ("description", "action_taken"))
        if typed and not cleaned.get("kind") and "kind" not in self.errors:
            self.add_error("kind", "Choose the kind of event.")
        return cleaned


def resolve_point_codes(raw_codes: set[str]) -> dict[str, Point | None]:
    """Each typed code's catalogue point (None for a code the catalogue lacks), in one query."""
    normalised = {raw: normalise_point_code(raw) for raw in raw_codes}
    catalogue = {p.code: p for p in Point.objects.filter(code__in={c for c in normalised.values() if c})}
    return {raw: catalogue.get(code) if code else None for raw, code in normalised.items()}


def unknown_point_messages(raw_codes: set[str]) -> dict[str, str]:
    """A message for each code the catalogue lacks, with the nearest codes it has."""
    known = list(Point.objects.values_list("code", flat=True)) if raw_codes else []
    messages = {}
    for raw in raw_codes:
        code = normalise_point_code(raw)
        near = suggest(code, known) if code else []
        hint = f" Did you mean {', '.join(near)}?" if near else ""
        messages[raw] = f"“{code or raw}” is not a point in the catalogue.{hint}"
    return messages


class SessionRowsFormSet(forms.BaseFormSet):
    default_error_messages = {
        "missing_management_form": "These rows arrived incomplete (%(field_names)s missing), so none of them "
        "could be read. Nothing was saved: enter them again.",
    }


class PointRowsFormSet(SessionRowsFormSet):
    """Resolves every typed point code against the catalogue in one query.

    `extra_codes`, set before validation, are looked up in the same query (the session's moxibustion
    points); `resolved` then holds every code's point.
    """

    code_fields: tuple[str, ...] = ()
    extra_codes: tuple[str, ...] = ()

    def clean(self):
        super().clean()
        raw_codes = {
            form.cleaned_data.get(name)
            for form in self.forms
            if hasattr(form, "cleaned_data")
            for name in self.code_fields
            if form.cleaned_data.get(name)
        }
        self.resolved = resolve_point_codes(raw_codes | set(self.extra_codes))
        unknown = unknown_point_messages({raw for raw in raw_codes if self.resolved[raw] is None})
        for form in self.forms:
            if not hasattr(form, "cleaned_data"):
                continue
            for name in self.code_fields:
                raw = form.cleaned_data.get(name)
                if not raw:
                    continue
                point = self.resolved[raw]
                if point is None:
                    form.add_error(name, unknown[raw])
                else:
                    form.cleaned_data[f"{name}_point"] = point
                    form.cleaned_data[name] = point.code


class SessionPointFormSet(PointRowsFormSet):
    code_fields = ("code",)


class ElectroPairFormSet(PointRowsFormSet):
    code_fields = ("point_a", "point_b")


PointFormSet = forms.formset_factory(SessionPointForm, formset=SessionPointFormSet, extra=3, max_num=40)
ElectroFormSet = forms.formset_factory(ElectroPairForm, formset=ElectroPairFormSet, extra=1, max_num=10)
AdverseEventFormSet = forms.formset_factory(AdverseEventForm, formset=SessionRowsFormSet, extra=1, max_num=10)


class SessionEntry:
    """The session form and its point, electroacupuncture and adverse-event rows, validated together.

    The intake's precautions and consents come in from the view; the safety rules are pure
    functions (`treatments.safety`) whose problems land beside the field they concern.
    """

    def __init__(
        self,
        data=None,
        *,
        instance: Session,
        precautions: list[Precaution],
        consented: set[str],
        initial_points: list[dict] | None = None,
        initial_electro: list[dict] | None = None,
    ):
        self.instance = instance
        self.precautions = precautions
        self.consented = consented
        self.form = SessionForm(data, instance=instance, prefix="session")
        self.points = PointFormSet(data, prefix="points", initial=initial_points)
        self.electro = ElectroFormSet(data, prefix="electro", initial=initial_electro)
        self.adverse = AdverseEventFormSet(data, prefix="adverse")
        self.safety_errors: list[str] = []

    def point_rows(self) -> list[dict]:
        return [
            f.cleaned_data
            for f in self.points.forms
            if f.cleaned_data.get("code_point") and not f.cleaned_data.get("DELETE")
        ]

    def electro_rows(self) -> list[dict]:
        return [f.cleaned_data for f in self.electro.forms if f.cleaned_data.get("point_a_point")]

    def adverse_rows(self) -> list[dict]:
        return [f.cleaned_data for f in self.adverse.forms if f.cleaned_data.get("kind")]

    def moxibustion_points(self) -> list[Point]:
        """The moxibustion points typed, each checked against the catalogue; an unknown one is a field error."""
        codes = getattr(self.form, "moxibustion_codes", [])
        resolved = getattr(self.points, "resolved", {})
        points, unknown = [], set()
        for raw in codes:
            point = resolved.get(raw)
            if point is None:
                unknown.add(raw)
            elif point not in points:
                points.append(point)
        if unknown:
            for message in unknown_point_messages(unknown).values():
                self.form.add_error("moxibustion_points", message)
        elif codes:  # stored in the catalogue's spelling, as the needling rows are
            normalised = ", ".join(p.code for p in points)
            self.form.cleaned_data["moxibustion_points"] = self.form.instance.moxibustion_points = normalised
        return points

    def is_valid(self) -> bool:
        form_valid = self.form.is_valid()
        self.points.extra_codes = tuple(getattr(self.form, "moxibustion_codes", ()))
        valid = all([form_valid, self.points.is_valid(), self.electro.is_valid(), self.adverse.is_valid()])
        moxibustion = self.moxibustion_points() if self.points.is_valid() else []
        if not valid or self.form.errors:
            return False
        cleaned = self.form.cleaned_data
        points = [PlannedPoint(r["code_point"].code, r["code_point"].region) for r in self.point_rows()]
        electro = [
            PlannedPoint(p.code, p.region)
            for r in self.electro_rows()
            for p in (r["point_a_point"], r["point_b_point"])
        ]
        used = {
            # Electroacupuncture is current through needles: it is needling too.
            Modality.NEEDLING: bool(points or electro),
            Modality.ELECTROACUPUNCTURE: bool(electro),
            Modality.CUPPING: bool(cleaned.get("cupping_kind")),
            Modality.MOXIBUSTION: bool(cleaned.get("moxibustion_kind")),
            Modality.TUI_NA: bool(cleaned.get("tuina_minutes")),
            Modality.HERBS: bool(cleaned.get("herbal_formula")),
        }
        modalities = {modality for modality, yes in used.items() if yes}
        problems = session_problems(
            precautions=self.precautions,
            points=points,
            electro_points=electro,
            moxibustion_points=[PlannedPoint(p.code, p.region) for p in moxibustion],
            override_reason=cleaned.get("override_reason", ""),
            cautions_acknowledged=cleaned.get("cautions_acknowledged", False),
            modalities_used=modalities,
            consented=self.consented,
        )
        for problem in problems:
            if problem.field == "electro":
                self.safety_errors.append(problem.message)
            elif problem.field == "__all__":
                self.form.add_error(None, problem.message)
            else:
                self.form.add_error(problem.field, problem.message)
        return not problems

    @property
    def has_errors(self) -> bool:
        return bool(
            self.form.errors
            or self.safety_errors
            or any(self.points.errors)
            or any(self.electro.errors)
            or any(self.adverse.errors)
            or self.points.non_form_errors()
            or self.electro.non_form_errors()
            or self.adverse.non_form_errors()
        )


class AddendumForm(forms.Form):
    text = forms.CharField(label="Addendum", widget=forms.Textarea(attrs={"rows": 3}), max_length=5000)


class PaymentForm(forms.ModelForm):
    # One per form shown: a second click of "Record payment" posts the same value and records nothing more.
    submission = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)

    class Meta:
        model = Payment
        fields = ["amount", "method", "paid_on"]
        labels = {"amount": "Amount ($)"}
        widgets = {"paid_on": DateInput(), "amount": forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"})}
        error_messages = {
            "amount": {
                "min_value": "Enter the amount received, at least $0.01.",
                "max_value": "Check the amount: it is over $99,999.99.",
                "max_decimal_places": "Enter dollars and cents, e.g. 85.00.",
                "max_digits": "Check the amount: it is over $99,999.99.",
                "invalid": "Enter an amount in dollars and cents, e.g. 85.00.",
            },
        }

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {"paid_on": timezone.localdate(), "submission": secrets.token_urlsafe(24)})
        super().__init__(*args, **kwargs)
        self.fields["method"].choices = [("", "Choose…"), *self.fields["method"].choices[1:]]

    def clean_paid_on(self) -> date:
        return past_record_date(self.cleaned_data["paid_on"], what="a payment cannot be dated")


class ProtocolForm(forms.ModelForm):
    codes = forms.CharField(
        label="Points",
        help_text="Point codes separated by spaces or commas, e.g. BL23 BL25 BL40 GB30 GB34",
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    clinic_wide = forms.BooleanField(label="Share with the whole clinic", required=False)

    class Meta:
        model = Protocol
        fields = ["name", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}

    def clean_codes(self) -> list[Point]:
        raw_codes = self.cleaned_data["codes"].replace(",", " ").split()
        normalised = [(raw, normalise_point_code(raw)) for raw in raw_codes]
        catalogue = {p.code: p for p in Point.objects.filter(code__in=[c for _, c in normalised if c])}
        unknown = [raw for raw, code in normalised if code not in catalogue]
        if unknown:
            raise forms.ValidationError(f"Not in the catalogue: {', '.join(unknown)}.")
        return list({catalogue[code].code: catalogue[code] for _, code in normalised}.values())
