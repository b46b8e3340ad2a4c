"""Writes of the records app: issuing a progress report (audited by the trail's CREATE entry)."""

from django.db import transaction
from django.utils import timezone

from records import progress
from records.models import ProgressReport
from treatments.models import TreatmentPlan


@transaction.atomic
def issue_progress_report(
    *, plan: TreatmentPlan, user, assessment: str, recipient: str, recipient_name: str = ""
) -> ProgressReport:
    """Issue a progress report of `plan` by `user`, as of now. The row is audited as created (with the patient,
    django-auditlog's entry through `clinic.audit.audited`); each copy printed is a disclosure, recorded by
    the view that produces it."""
    return ProgressReport.objects.create(
        plan=plan,
        patient_id=plan.patient_id,
        author=user,
        assessment=assessment.strip(),
        recipient=recipient,
        recipient_name=recipient_name.strip(),
        created_at=timezone.now(),
        as_issued=progress.as_issued(plan, user),
    )
