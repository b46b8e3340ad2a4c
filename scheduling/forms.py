"""Schedule forms: validate and normalise only. The services decide whether the time is free."""

from datetime import datetime, time, timedelta

from django import forms
from django.utils import timezone

from clinic.forms import DateInput
from clinic.models import Location
from scheduling import rules
from scheduling.models import DURATION_CHOICES, CancelReason, Kind, ScheduleSettings

WEEKDAY_CHOICES = [(str(day), name[:3]) for day, name in enumerate(rules.WEEKDAY_NAMES)]
# How far ahead a single visit can be booked (a course has its own limit: rules.MAX_SERIES_DAYS).
BOOK_AHEAD = timedelta(days=366)


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, **kwargs):
        super().__init__(format="%H:%M", attrs={"step": rules.SLOT_MINUTES * 60, **kwargs.pop("attrs", {})})


def practitioner_field(queryset) -> forms.ModelChoiceField:
    field = forms.ModelChoiceField(queryset=queryset, label="Practitioner", empty_label=None)
    field.label_from_instance = lambda user: user.get_full_name() or user.username
    return field


def minutes_field(**kwargs) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label="Duration",
        choices=[("", "The type's usual length"), *DURATION_CHOICES],
        coerce=int,
        empty_value=None,
        **kwargs,
    )


class WhenMixin:
    """`day` and `at` as one aware start, refused in the past (beside the field that makes it so)."""

    def clean(self):
        cleaned = super().clean()
        day, at = cleaned.get("day"), cleaned.get("at")
        if day is None or at is None:
            return cleaned
        start = timezone.make_aware(datetime.combine(day, at))
        now = timezone.now()
        if start < now:
            field = "day" if day < timezone.localdate() else "at"
            self.add_error(field, "This is in the past: a booking is for a time from now on.")
        elif start > now + BOOK_AHEAD:
            self.add_error("day", "Check the year: appointments are booked up to a year ahead.")
        elif at.minute % rules.SLOT_MINUTES:
            self.add_error("at", "Appointments start on the quarter hour (:00, :15, :30, :45).")
        cleaned["start"] = start
        return cleaned


class AppointmentForm(WhenMixin, forms.Form):
    kind = forms.ChoiceField(label="Type", choices=Kind.choices, initial=Kind.TREATMENT)
    day = forms.DateField(label="Date", widget=DateInput())
    at = forms.TimeField(label="Time", widget=TimeInput())
    minutes = minutes_field(required=False)
    plan = forms.ModelChoiceField(queryset=None, label="Course of care", required=False, empty_label="None")
    notes = forms.CharField(
        label="Notes for the front desk", required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, practitioners, plans, location=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields = {"practitioner": practitioner_field(practitioners), **self.fields}
        if location is not None:  # a choice for those who see several locations (clinic.forms.location_field)
            location.help_text = "Where the visit is: the patient's home location unless you choose another."
            self.fields["location"] = location
        self.fields["plan"].queryset = plans
        self.fields["plan"].label_from_instance = lambda plan: (
            f"Course from {plan.start_date:%b} {plan.start_date.day}, {plan.start_date.year}"
        )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("minutes") is None and cleaned.get("kind"):
            cleaned["minutes"] = ScheduleSettings.load().minutes_for(cleaned["kind"])
        return cleaned


class MoveForm(WhenMixin, forms.Form):
    SCOPES = [("this", "This visit only"), ("following", "This and the following visits of the series")]
    day = forms.DateField(label="New date", widget=DateInput())
    at = forms.TimeField(label="New time", widget=TimeInput())
    minutes = forms.TypedChoiceField(label="Duration", choices=DURATION_CHOICES, coerce=int)
    scope = forms.ChoiceField(label="Move", choices=SCOPES, initial="this", widget=forms.RadioSelect)

    def __init__(self, *args, practitioners, in_series: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields = {"practitioner": practitioner_field(practitioners), **self.fields}
        if not in_series:
            del self.fields["scope"]


class CancelForm(forms.Form):
    prefix = "cancel"  # beside the move form on the appointment page
    reason = forms.ChoiceField(
        label="Reason", choices=[("", "Choose…"), *[(k, v) for k, v in CancelReason.choices if k != CancelReason.MOVED]]
    )
    note = forms.CharField(label="Note (optional)", required=False, max_length=200)
    scope = forms.ChoiceField(label="Cancel", choices=MoveForm.SCOPES, initial="this", widget=forms.RadioSelect)

    def __init__(self, *args, in_series: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not in_series:
            del self.fields["scope"]


class CourseForm(forms.Form):
    """A course as up to two phases ("twice weekly on Mon/Thu for 3 weeks, then weekly for 4")."""

    first_day = forms.DateField(label="From", widget=DateInput())
    at = forms.TimeField(label="Time", widget=TimeInput())
    minutes = minutes_field(required=False)
    days_1 = forms.MultipleChoiceField(label="Days", choices=WEEKDAY_CHOICES, widget=forms.CheckboxSelectMultiple)
    weeks_1 = forms.IntegerField(label="for weeks", min_value=1, max_value=52)
    days_2 = forms.MultipleChoiceField(
        label="then on", choices=WEEKDAY_CHOICES, widget=forms.CheckboxSelectMultiple, required=False
    )
    weeks_2 = forms.IntegerField(label="for weeks", min_value=1, max_value=52, required=False)

    def __init__(self, *args, practitioners, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields = {"practitioner": practitioner_field(practitioners), **self.fields}

    def clean_first_day(self):
        day = self.cleaned_data["first_day"]
        if day < timezone.localdate():
            raise forms.ValidationError("This is in the past: a course is booked from today on.")
        if day > timezone.localdate() + BOOK_AHEAD:
            raise forms.ValidationError("Check the year: a course starts within a year from today.")
        return day

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("at") and cleaned["at"].minute % rules.SLOT_MINUTES:
            self.add_error("at", "Appointments start on the quarter hour (:00, :15, :30, :45).")
        if bool(cleaned.get("days_2")) != bool(cleaned.get("weeks_2")):
            field = "weeks_2" if cleaned.get("days_2") else "days_2"
            self.add_error(field, "A second part needs both its days and its number of weeks (or neither).")
        if self.errors:
            return cleaned
        phases = [rules.Phase(tuple(int(d) for d in cleaned["days_1"]), cleaned["weeks_1"])]
        if cleaned.get("days_2"):
            phases.append(rules.Phase(tuple(int(d) for d in cleaned["days_2"]), cleaned["weeks_2"]))
        visits = sum(p.visits for p in phases)
        field = "weeks_2" if len(phases) > 1 else "weeks_1"
        if visits > rules.MAX_SERIES_VISITS:
            self.add_error(
                field, f"That is {visits} visits: a course booked at once has {rules.MAX_SERIES_VISITS} at most."
            )
            return cleaned
        planned = rules.course_dates(phases, cleaned["first_day"], cleaned["at"], timezone.get_current_timezone())
        last = planned[-1][2][-1].date()
        if rules.runs_past_a_year(planned[0][1].date(), last):
            self.add_error(
                field,
                f"That runs to {last:%b} {last.day}, {last.year}: a course booked at once runs for a year at most.",
            )
            return cleaned
        cleaned["phases"] = phases
        return cleaned

    @staticmethod
    def initial_for(plan, phases: list[rules.Phase], minutes: int) -> dict:
        start = max(plan.start_date, timezone.localdate())
        initial = {"first_day": start, "at": time(10), "practitioner": plan.practitioner_id}
        for number, phase in enumerate(phases[:2], start=1):
            initial[f"days_{number}"] = [str(d) for d in phase.weekdays]
            initial[f"weeks_{number}"] = phase.weeks
        return initial


class ScheduleSettingsForm(forms.ModelForm):
    class Meta:
        model = ScheduleSettings
        fields = [
            "new_patient_minutes",
            "treatment_minutes",
            "review_minutes",
            "patients_per_practitioner",
            "reminder_hours",
        ]

    # Two periods a day at most (a morning and an afternoon, around a lunch break); suffix "" and "2".
    PERIODS = (("", "opens", "closes"), ("2", "reopens", "closes again"))

    def __init__(self, *args, hours: dict, location: Location, **kwargs):
        super().__init__(*args, **kwargs)
        # The chosen location's beds: a field of the location, edited here beside its hours.
        beds = Location._meta.get_field("beds")
        self.fields["beds"] = forms.IntegerField(
            label=beds.verbose_name.capitalize(),
            min_value=1,
            max_value=40,
            initial=location.beds,
            help_text=beds.help_text,
        )
        for day, name in enumerate(rules.WEEKDAY_NAMES):
            periods = hours.get(day, [])
            for index, (suffix, opens_word, closes_word) in enumerate(self.PERIODS):
                opens, closes = periods[index] if index < len(periods) else (None, None)
                self.fields[f"opens{suffix}_{day}"] = forms.TimeField(
                    label=f"{name} {opens_word}", required=False, widget=TimeInput(), initial=opens
                )
                self.fields[f"closes{suffix}_{day}"] = forms.TimeField(
                    label=f"{name} {closes_word}", required=False, widget=TimeInput(), initial=closes
                )

    def clean(self):
        cleaned = super().clean()
        hours = []
        for day, name in enumerate(rules.WEEKDAY_NAMES):
            previous_close = None
            for suffix, _, _ in self.PERIODS:
                opens, closes = cleaned.get(f"opens{suffix}_{day}"), cleaned.get(f"closes{suffix}_{day}")
                if opens is None and closes is None:
                    continue  # closed that day, or no second period
                if opens is None or closes is None:
                    self.add_error(
                        f"opens{suffix}_{day}" if opens is None else f"closes{suffix}_{day}",
                        f"Give both times for {name}, or neither if closed.",
                    )
                elif closes <= opens:
                    self.add_error(f"closes{suffix}_{day}", f"{name} must close after it opens.")
                elif previous_close is not None and opens < previous_close:
                    self.add_error(f"opens{suffix}_{day}", f"{name}'s second period starts before the first ends.")
                else:
                    hours.append((day, opens, closes))
                    previous_close = closes
        cleaned["hours"] = hours
        return cleaned

    def weekday_rows(self):
        return [
            (name, *(self[f"{part}{suffix}_{day}"] for suffix, _, _ in self.PERIODS for part in ("opens", "closes")))
            for day, name in enumerate(rules.WEEKDAY_NAMES)
        ]
