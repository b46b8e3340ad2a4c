from django import forms

from records.models import ProgressReport


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
