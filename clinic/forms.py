from datetime import date

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Fieldset, Layout, Row
from django import forms
from django.utils import timezone

from clinic.locations import scope_of
from clinic.models import Location, Patient

# No clinical record of this clinic is dated before this: an earlier year is a typo (0202 for 2020).
EARLIEST_RECORD_DATE = date(1900, 1, 1)
# No patient is older than this: an earlier date of birth is a typo.
MAX_AGE_YEARS = 120
# Every yes/no question, staff's and patients', offers the answers in this order.
YES_NO = [(True, "Yes"), (False, "No")]


def yes_no(value):
    """A posted "True" or "False" as a bool (the coerce of a yes/no TypedChoiceField)."""
    return {"True": True, "False": False}.get(value, value)


def past_record_date(day: date, *, what: str, not_before: date | None = None, before_what: str = "") -> date:
    """A record's date that has happened: not in the future, not before EARLIEST_RECORD_DATE (a typo such as
    0202 for 2020), and not before `not_before` where one is given (an onset before the patient's birth).

    The one check of every past date a form takes. `what` completes "… cannot be …": "a questionnaire … be
    due", say; `before_what` names `not_before`: "the patient's date of birth".
    """
    if day > timezone.localdate():
        raise forms.ValidationError(f"{what[0].upper()}{what[1:]} in the future.")
    if day < EARLIEST_RECORD_DATE:
        raise forms.ValidationError(f"Check the year: {what} before {EARLIEST_RECORD_DATE.year}.")
    if not_before is not None and day < not_before:
        when = f"{not_before:%b} {not_before.day}, {not_before.year}"
        raise forms.ValidationError(f"Check the date: {what} before {before_what} ({when}).")
    return day


def oldest_birth_date(today: date) -> date:
    """The earliest plausible date of birth: 120 years before today (Feb 29 falling back to Feb 28)."""
    try:
        return today.replace(year=today.year - MAX_AGE_YEARS)
    except ValueError:
        return today.replace(year=today.year - MAX_AGE_YEARS, day=28)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


def location_field(user, *, label: str = "Location", initial: int | None = None) -> forms.ModelChoiceField | None:
    """A choice among the locations the user sees, or None where there is one location (no page names it)."""
    scope = scope_of(user)
    if not scope.several:
        return None
    choices = scope.visible
    return forms.ModelChoiceField(
        queryset=Location.objects.filter(pk__in=[loc.pk for loc in choices]),
        label=label,
        empty_label=None if choices else "No location: ask the clinic manager to add yours",
        initial=initial if initial is not None else next((loc.pk for loc in choices if loc.pk in scope.own), None),
    )


class PatientForm(forms.ModelForm):
    confirm_not_duplicate = forms.BooleanField(
        required=False,
        label="I have checked: this is a different person with the same name and date of birth",
    )

    class Meta:
        model = Patient
        fields = [
            "given_name",
            "family_name",
            "date_of_birth",
            "sex",
            "phone",
            "email",
            "preferred_contact",
            "address_line",
            "city",
            "state",
            "postal_code",
            "emergency_contact_name",
            "emergency_contact_relationship",
            "emergency_contact_phone",
            "location",
            "is_active",
        ]
        widgets = {"date_of_birth": DateInput()}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.duplicates: list[Patient] = []
        self.user, self.elsewhere = user, 0
        if self.instance.pk is None:
            del self.fields["is_active"]
        home = location_field(
            user, label="Home location", initial=self.instance.location_id if self.instance.pk else None
        )
        if home is None:
            del self.fields["location"]
        else:
            home.help_text = "Its staff look after the patient. A move keeps every record."
            self.fields["location"] = home
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Fieldset(
                "Patient",
                Row(Column("given_name"), Column("family_name")),
                Row(Column("date_of_birth"), Column("sex")),
            ),
            Fieldset(
                "Contact",
                Row(Column("phone"), Column("email"), Column("preferred_contact")),
                "address_line",
                Row(Column("city"), Column("state"), Column("postal_code")),
            ),
            Fieldset(
                "Emergency contact",
                Row(
                    Column("emergency_contact_name"),
                    Column("emergency_contact_relationship"),
                    Column("emergency_contact_phone"),
                ),
            ),
            *(["location"] if "location" in self.fields else []),
            *(["is_active"] if "is_active" in self.fields else []),
        )

    def clean_given_name(self) -> str:
        return " ".join(self.cleaned_data["given_name"].split())

    def clean_family_name(self) -> str:
        return " ".join(self.cleaned_data["family_name"].split())

    def clean_date_of_birth(self) -> date:
        dob = past_record_date(self.cleaned_data["date_of_birth"], what="the date of birth cannot be")
        if dob < oldest_birth_date(timezone.localdate()):
            raise forms.ValidationError(f"Check the year: that would make the patient over {MAX_AGE_YEARS}.")
        return dob

    def clean_phone(self) -> str:
        phone = self.cleaned_data["phone"].strip()
        digits = "".join(ch for ch in phone if ch.isdigit())
        if phone and not 7 <= len(digits) <= 15:
            raise forms.ValidationError("Enter a phone number with 7 to 15 digits, such as (555) 010-2244.")
        return phone

    def clean_state(self) -> str:
        return self.cleaned_data["state"].strip().upper()

    def clean(self):
        cleaned = super().clean()
        given, family, dob = (cleaned.get(k) for k in ("given_name", "family_name", "date_of_birth"))
        if cleaned.get("preferred_contact") == "email" and not cleaned.get("email"):
            self.add_error("email", "Email is the preferred contact method, so an email address is needed.")
        if cleaned.get("preferred_contact") == "sms" and not cleaned.get("phone"):
            self.add_error("phone", "Text message is the preferred contact method, so a phone number is needed.")
        if given and family and dob:
            matches = Patient.objects.filter(
                given_name__iexact=given, family_name__iexact=family, date_of_birth=dob
            ).exclude(pk=self.instance.pk)
            # Every location's are counted (one person registered twice is the risk), those the user may see named.
            self.duplicates = list(matches.visible_to(self.user)[:5])
            self.elsewhere = matches.count() - len(self.duplicates) if len(self.duplicates) < 5 else 0
            if (self.duplicates or self.elsewhere) and not cleaned.get("confirm_not_duplicate"):
                raise forms.ValidationError(
                    "A patient with this name and date of birth is already registered. "
                    "Open the existing chart, or confirm below that this is a different person.",
                    code="possible_duplicate",
                )
        return cleaned


class PatientSearchForm(forms.Form):
    q = forms.CharField(
        required=False,
        max_length=200,
        label="Search patients",
        widget=forms.TextInput(
            attrs={"placeholder": "Name, chart number, date of birth or phone", "autofocus": True, "type": "search"}
        ),
    )
    include_inactive = forms.BooleanField(required=False, label="Include inactive")
