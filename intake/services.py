"""Intake workflows that write several rows: record an intake, open and close referrals, alerts."""

from collections.abc import Iterable
from datetime import date

from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from clinic.links import issue_link, spend_link
from clinic.models import LinkPurpose, Patient, PatientLink
from intake import rules
from intake.models import (
    ClinicalAssessment,
    Consent,
    Intake,
    Referral,
    ReferralSource,
    SelfHarmAlert,
    Source,
)


@transaction.atomic
def open_referral(
    *, patient: Patient, flags: Iterable[str], source: str, intake: Intake | None = None, user=None
) -> Referral:
    """Open an urgent referral for these red flags, or add them to the patient's open one.

    Public: the weekly questionnaire opens referrals through here when a cauda equina answer is yes.
    """
    flags = [key for key in rules.RED_FLAG_KEYS if key in set(flags)]
    # A warning sign reported between visits puts the patient at the top of the dashboard, even when
    # it joins a referral the intake opened (or repeats a sign already on it).
    reported = timezone.now() if source == ReferralSource.QUESTIONNAIRE else None
    # Lock the patient's open referral so two saves at once cannot open two.
    existing = Referral.objects.select_for_update().open().filter(patient=patient).first()
    if existing is not None:
        changed = []
        merged = [key for key in rules.RED_FLAG_KEYS if key in {*existing.flags, *flags}]
        if merged != existing.flags:
            existing.flags = merged
            existing.reason = rules.describe_flags(merged)
            changed += ["flags", "reason"]
        if reported:
            existing.reported_between_visits_at = reported
            changed.append("reported_between_visits_at")
        if changed:
            existing.save(update_fields=changed)
        return existing
    return Referral.objects.create(
        patient=patient,
        intake=intake,
        source=source,
        flags=flags,
        reason=rules.describe_flags(flags),
        reported_between_visits_at=reported,
        opened_by=user if getattr(user, "is_authenticated", False) else None,
    )


def _sync_referral(intake: Intake, *, source: str, user=None) -> Referral | None:
    assessment = ClinicalAssessment.objects.filter(intake=intake).first()
    positive = intake.positive_red_flags(assessment)
    already = {flag for r in Referral.objects.filter(intake=intake) for flag in r.flags}
    new_flags = [flag for flag in positive if flag not in already]
    if not new_flags:
        return None
    return open_referral(patient=intake.patient, flags=new_flags, source=source, intake=intake, user=user)


@transaction.atomic
def raise_self_harm_alert(*, patient: Patient, item9: int, intake: Intake | None = None) -> SelfHarmAlert:
    """Public: the questionnaires raise the same alert when PHQ-9 item 9 is above 0."""
    existing = SelfHarmAlert.objects.open().filter(patient=patient, intake=intake).first()
    if existing is not None:
        if item9 > existing.item9:
            existing.item9 = item9
            existing.save(update_fields=["item9"])
        return existing
    return SelfHarmAlert.objects.create(patient=patient, intake=intake, item9=item9)


def _sync_consents(intake: Intake, modalities: Iterable[str], typed_name: str) -> None:
    wanted = set(modalities)
    intake.consents.exclude(modality__in=wanted).delete()
    have = set(intake.consents.values_list("modality", flat=True))
    now = timezone.now()
    Consent.objects.bulk_create(
        Consent(intake=intake, modality=modality, typed_name=typed_name, consented_at=now)
        for modality in sorted(wanted - have)
    )


@transaction.atomic
def record_intake(
    *,
    intake: Intake,
    consent_modalities: Iterable[str],
    consent_name: str,
    user=None,
) -> tuple[Intake, Referral | None]:
    """Save an intake with its consents; open a referral for new red flags; alert on PHQ-9 item 9."""
    if intake.pk is None and getattr(user, "is_authenticated", False):
        intake.created_by = user
    intake.save()
    _sync_consents(intake, consent_modalities, consent_name)
    referral = _sync_referral(intake, source=ReferralSource.INTAKE, user=user)
    if intake.self_harm_risk:
        raise_self_harm_alert(patient=intake.patient, item9=intake.phq9_9, intake=intake)
    return intake, referral


@transaction.atomic
def record_assessment(*, assessment: ClinicalAssessment, user) -> Referral | None:
    """Save the clinician's exam; a foot drop on the exam opens a referral like any red flag."""
    assessment.assessed_by = user
    assessment.save()
    return _sync_referral(assessment.intake, source=ReferralSource.EXAM, user=user)


@transaction.atomic
def close_referral(
    *,
    referral: Referral,
    user,
    referred_to: str,
    referred_to_detail: str,
    referred_on: date,
    outcome: str,
    outcome_notes: str,
) -> Referral:
    referral = Referral.objects.select_for_update().get(pk=referral.pk)
    referral.referred_to = referred_to
    referral.referred_to_detail = referred_to_detail
    referral.referred_on = referred_on
    referral.outcome = outcome
    referral.outcome_notes = outcome_notes
    referral.closed_by = user
    referral.closed_at = timezone.now()
    referral.save()
    return referral


@transaction.atomic
def acknowledge_self_harm_alert(*, alert: SelfHarmAlert, user, action_taken: str) -> SelfHarmAlert:
    alert.action_taken = action_taken
    alert.acknowledged_by = user
    alert.acknowledged_at = timezone.now()
    alert.save(update_fields=["action_taken", "acknowledged_by", "acknowledged_at"])
    return alert


@transaction.atomic
def review_intake(*, intake: Intake, user) -> Intake:
    intake.reviewed_by = user
    intake.reviewed_at = timezone.now()
    intake.save(update_fields=["reviewed_by", "reviewed_at", "updated_at"])
    return intake


@transaction.atomic
def send_intake_link(*, patient: Patient, user, build_url) -> tuple[PatientLink, str, bool]:
    """Issue a pre-visit intake link; email it after commit when the patient has an address.

    Returns the link, its URL (shown once to staff to copy or print) and whether an email was queued.
    """
    link, token = issue_link(patient=patient, purpose=LinkPurpose.INTAKE, created_by=user)
    url = build_url(token)
    emailed = bool(patient.email)
    if emailed:
        from django.conf import settings

        body = render_to_string(
            "intake/email/intake_link.txt",
            {
                "patient": patient,
                "url": url,
                "expires_at": link.expires_at,
                "CLINIC_NAME": settings.CLINIC_NAME,
                "CLINIC_PHONE": settings.CLINIC_PHONE,
            },
        )
        transaction.on_commit(
            lambda: send_mail(f"{settings.CLINIC_NAME}: your pre-visit questions", body, None, [patient.email])
        )
    return link, url, emailed


@transaction.atomic
def submit_online_intake(
    *, link: PatientLink, intake: Intake, consent_modalities: Iterable[str], consent_name: str
) -> tuple[Intake, Referral | None] | None:
    """A patient submits the pre-visit form. None if the link was already spent (double submit)."""
    if not spend_link(link):
        return None
    intake.patient = link.patient
    intake.source = Source.ONLINE
    return record_intake(intake=intake, consent_modalities=consent_modalities, consent_name=consent_name)
