"""Records that leave the clinic and are kept as sent: the progress report (docs/clinical-rules.md,
"Progress report")."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils import timezone

from clinic.audit import audited
from clinic.models import LocatedQuerySet, Patient
from treatments.models import TreatmentPlan


class Recipient(models.TextChoices):
    PAYER = "payer", "Payer (insurer's reviewer)"
    PHYSICIAN = "physician", "Referring physician"
    OTHER = "other", "Other"


class ProgressReport(models.Model):
    """A progress report as issued: the clinician's assessment and to whom, over the figures the app fills in
    (records.progress), counted as of `created_at`, so the same report prints the same again when the payer
    asks for it. Issued once and never changed: a new assessment is a new report."""

    plan = models.ForeignKey(TreatmentPlan, on_delete=models.PROTECT, related_name="progress_reports")
    # The plan's patient, kept on the row so the location scope and the audit log's patient filter read it.
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="progress_reports")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recipient = models.CharField("for", max_length=10, choices=Recipient.choices, default=Recipient.PAYER)
    recipient_name = models.CharField(
        "addressed to",
        max_length=200,
        blank=True,
        help_text="The payer and claim or authorisation reference, or the physician's name and practice.",
    )
    assessment = models.TextField(
        "clinician's assessment",
        help_text="Your assessment of progress, the plan from here (further sessions, frequency, discharge or "
        "referral) and the medical necessity of further care.",
    )
    created_at = models.DateTimeField("issued")
    # What the report prints of the plan and of its author as they were when it was issued (records.progress:
    # `as_issued`): a plan edited or closed later, or a licence renewed, does not change a report a payer has.
    as_issued = models.JSONField("the plan and its author as issued", default=dict, editable=False)

    objects = LocatedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        # Issued once, read many times: nobody changes or deletes one (the admin included).
        default_permissions = ("add", "view")
        indexes = [models.Index(fields=["plan", "created_at"], name="progressreport_plan_idx")]

    def __str__(self) -> str:
        return f"Progress report of {timezone.localtime(self.created_at):%Y-%m-%d} for {self.patient}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValidationError("An issued progress report cannot be changed; write a new one.")
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("records:progress-report-detail", args=[self.pk])

    def delete(self, *args, **kwargs):
        raise ValidationError("An issued progress report is part of the record and cannot be deleted.")

    def get_additional_data(self) -> dict:
        return {"patient_id": self.patient_id, "plan_id": self.plan_id}

    @property
    def addressee(self) -> str:
        return self.recipient_name or self.get_recipient_display()


audited(ProgressReport)
