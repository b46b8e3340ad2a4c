from django import forms

from records.models import ProgressReport


class Relationship:
    PATIENT = "the patient"
    REPRESENTATIVE = "their personal representative"
    AUTHORISED = "a person the patient authorised in writing"
    CHOICES = [(value, value[:1].upper() + value[1:]) for value in (PATIENT, REPRESENTATIVE, AUTHORISED)]


class DisclosureForm(forms.Form):
    """Who the patient's record is produced for: the audit entry says so (a disclosure: who, to whom, when)."""

    recipient = forms.CharField(
        label="Given to (name)",
        max_length=150,
        help_text="The person who asked and receives the copy, as on their identification.",
    )
    relationship = forms.ChoiceField(label="Who they are", choices=Relationship.CHOICES)

    def clean_recipient(self) -> str:
        name = " ".join(self.cleaned_data["recipient"].split())
        if not name:
            raise forms.ValidationError("Enter the name of the person receiving the record.")
        return name

    @property
    def disclosed_to(self) -> str:
        return f"{self.cleaned_data['recipient']} ({self.cleaned_data['relationship']})"


class ProgressReportForm(forms.ModelForm):
    """The clinician's part of a progress report; the app fills in the rest (records.progress)."""

    class Meta:
        model = ProgressReport
        fields = ["recipient", "recipient_name", "assessment"]
        widgets = {"assessment": forms.Textarea(attrs={"rows": 8})}

    def clean_assessment(self) -> str:
        text = self.cleaned_data["assessment"].strip()
        if len(text) < 20:
            raise forms.ValidationError(
                "Write the assessment a reviewer reads: progress against the goals and the plan from here "
                "(at least 20 characters)."
            )
        return text
