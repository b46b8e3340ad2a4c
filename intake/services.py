"""Intake workflows that write several rows: record an intake, open and close referrals, alerts."""

from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from functools import partial

from django.db import IntegrityError, transaction
from django.utils import timezone

from clinic.audit import log_rows
from clinic.fields import Source
from clinic.links import Purpose, SentLink, send_link, spend_link
from clinic.models import Patient, PatientLink
from intake import alerts, rules
from intake.models import (
    Alert,
    AlertKind,
    AlertSeverity,
    ClinicalAssessment,
    Consent,
    Intake,
    Referral,
    ReferralSource,
)

# The pre-visit form's links (registered in IntakeConfig.ready).
INTAKE_LINK = Purpose(
    key="intake",
    label="Pre-visit intake",
    landing="intake:patient-intake",
    ttl=timedelta(days=14),
    email_subject="your pre-visit questions",
    email_template="intake/email/intake_link.txt",
    done_template="intake/patient_intake_done.html",
    handout="Before your first visit, please answer some questions about your back pain, your health and your "
    "consent to treatment. It takes about ten minutes and works on a phone.",
)


@transaction.atomic
def open_referral(
    *,
    patient: Patient,
    flags: Iterable[str],
    source: str,
    intake: Intake | None = None,
    user=None,
    practitioner=None,
) -> Referral:
    """Open an urgent referral for these red flags, or add them to the patient's open one, and alert.

    Public: the weekly questionnaire opens referrals through here when a warning-sign answer is yes.
    A warning sign reported between visits always alerts (the patient has it now); a red flag on an
    intake alerts when it is new to the referral. `practitioner`, when the caller knows the clinician
    treating the patient, is told with the on-call addresses.
    """
    flags = [key for key in rules.RED_FLAG_KEYS if key in set(flags)]
    # A warning sign reported between visits puts the patient at the top of the dashboard, even when
    # it joins a referral the intake opened (or repeats a sign already on it).
    reported = timezone.now() if source == ReferralSource.QUESTIONNAIRE else None
    # Lock the patient's open referral so two saves at once cannot open two.
    # Typed here: the app's QuerySets are not generic over their model, so the stubs see Any.
    existing: Referral | None = Referral.objects.select_for_update().open().filter(patient=patient).first()
    if existing is not None:
        referral, changed = existing, []
        merged = [key for key in rules.RED_FLAG_KEYS if key in {*existing.flags, *flags}]
        is_new = merged != existing.flags
        if is_new:
            existing.flags = merged
            existing.reason = rules.describe_flags(merged)
            changed += ["flags", "reason"]
        if existing.intake_id is None and intake is not None:
            existing.intake = intake  # opened from a half-finished form, now joined by the intake itself
            changed.append("intake")
        if reported:
            existing.reported_between_visits_at = reported
            changed.append("reported_between_visits_at")
        if changed:
            existing.save(update_fields=changed)
    else:
        is_new = True
        referral = Referral.objects.create(
            patient=patient,
            intake=intake,
            source=source,
            flags=flags,
            reason=rules.describe_flags(flags),
            reported_between_visits_at=reported,
            opened_by=user if getattr(user, "is_authenticated", False) else None,
        )
    kind: dict[str, AlertKind] = {
        ReferralSource.QUESTIONNAIRE: AlertKind.RED_FLAG_BETWEEN_VISITS,
        ReferralSource.INTAKE: AlertKind.RED_FLAG_AT_INTAKE,
    }
    if source in kind and (is_new or source == ReferralSource.QUESTIONNAIRE):
        raise_alert(
            patient=patient,
            kind=kind[source],
            severity=AlertSeverity.EMERGENCY if referral.is_emergency else AlertSeverity.URGENT,
            referral=referral,
            intake=intake,
            practitioner=practitioner,
            new_finding=is_new,
        )
    return referral


def _sync_referral(intake: Intake, assessment: ClinicalAssessment | None, *, source: str, user=None) -> Referral | None:
    positive = intake.positive_red_flags(assessment)
    already = {flag for r in Referral.objects.filter(intake=intake) for flag in r.flags}
    new_flags = [flag for flag in positive if flag not in already]
    if not new_flags:
        return None
    return open_referral(
        patient=intake.patient,
        flags=new_flags,
        source=source,
        intake=intake,
        user=user,
        practitioner=assessment.assessed_by if assessment else None,
    )


def report_warning_signs(*, patient: Patient, answers: Mapping[str, object], user=None) -> tuple[Referral | None, bool]:
    """Act on an intake form's red flags and PHQ-9 item 9 by themselves, when the rest cannot be saved yet.

    A warning sign is never lost to a half-finished form: the referral opens (stopping treatment) and the
    clinic is alerted now; the intake, once saved, joins the same referral. Returns the referral (None
    without a flag) and whether a self-harm alert was raised. Each is its own transaction: one failing
    must not take the other back.
    """
    flags = [key for key in rules.RED_FLAG_KEYS if answers.get(key) is True]
    item9 = rules.self_harm_item9(answers)
    referral = open_referral(patient=patient, flags=flags, source=ReferralSource.INTAKE, user=user) if flags else None
    if item9 is not None:
        raise_self_harm_alert(patient=patient, item9=item9)
    return referral, item9 is not None


@transaction.atomic
def raise_alert(
    *,
    patient: Patient,
    kind: str,
    severity: str,
    referral: Referral | None = None,
    intake: Intake | None = None,
    item9: int | None = None,
    practitioner=None,
    new_finding: bool = False,
) -> Alert:
    """Open an alert and send it after commit; while one of its kind is open for the patient, add to that one.

    A report that adds to an open alert (a new sign, `new_finding`; a new referral; an emergency; a higher
    item-9 answer) sends it again, at once and to the managers in time, as a new alert would be; a report
    that adds nothing (the same answers sent twice) sends nothing more. Once acknowledged, a new report
    opens a new alert.
    """
    existing: Alert | None = Alert.objects.select_for_update().open().filter(patient=patient, kind=kind).first()
    if existing is None:
        try:
            with transaction.atomic():  # a savepoint: a report arriving at the same moment may win the insert
                alert = Alert.objects.create(
                    patient=patient,
                    kind=kind,
                    severity=severity,
                    referral=referral,
                    intake=intake,
                    item9=item9,
                    practitioner=practitioner,
                )
        except IntegrityError:  # it did (alert_one_open_per_kind): add to that one
            existing = Alert.objects.select_for_update().open().get(patient=patient, kind=kind)
        else:
            # Robust: a mail server that is down must not turn the patient's saved answers into an error
            # page. The alert stays unsent, the dashboard shows it, and `manage.py escalate_alerts` retries.
            transaction.on_commit(partial(alerts.notify, alert.pk), robust=True)
            return alert
    news = []
    if severity == AlertSeverity.EMERGENCY and existing.severity != AlertSeverity.EMERGENCY:
        existing.severity = severity
        news.append("severity")
    if item9 is not None and item9 > (existing.item9 or 0):
        existing.item9 = item9
        news.append("item9")
    if referral is not None and existing.referral_id != referral.pk:
        existing.referral = referral
        news.append("referral")
    changed = list(news)
    if practitioner is not None and existing.practitioner_id is None:
        existing.practitioner = practitioner
        changed.append("practitioner")
    if news or new_finding:
        # Sent again as if new: at once, and to the managers if it waits (the clock runs from its opening).
        existing.notified_at, existing.notified_to, existing.escalated_at, existing.escalated_to = None, [], None, []
        changed += ["notified_at", "notified_to", "escalated_at", "escalated_to"]
        transaction.on_commit(partial(alerts.notify, existing.pk), robust=True)
    if changed:
        existing.save(update_fields=changed)
    return existing


def raise_self_harm_alert(*, patient: Patient, item9: int, intake: Intake | None = None, practitioner=None) -> Alert:
    """Public: the intake and the questionnaires raise this when PHQ-9 item 9 is above 0."""
    return raise_alert(
        patient=patient,
        kind=AlertKind.SELF_HARM,
        severity=AlertSeverity.URGENT,
        intake=intake,
        item9=item9,
        practitioner=practitioner,
    )


def _sync_consents(intake: Intake, modalities: Iterable[str], typed_name: str) -> None:
    """Consents given are added and consents withdrawn deleted, each with its audit entry."""
    wanted = set(modalities)
    intake.consents.exclude(modality__in=wanted).delete()  # the audit log sees each deletion
    have = set(intake.consents.values_list("modality", flat=True))
    now = timezone.now()
    given = Consent.objects.bulk_create(
        Consent(intake=intake, modality=modality, typed_name=typed_name, consented_at=now)
        for modality in sorted(wanted - have)
    )
    log_rows(created=given)


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
    # An edit that leaves item 9 as it was (a phone number corrected, say) does not alert again.
    item9_before = Intake.objects.filter(pk=intake.pk).values_list("phq9_9", flat=True).first() if intake.pk else None
    intake.save()
    _sync_consents(intake, consent_modalities, consent_name)
    assessment = ClinicalAssessment.objects.select_related("assessed_by").filter(intake=intake).first()
    referral = _sync_referral(intake, assessment, source=ReferralSource.INTAKE, user=user)
    if intake.self_harm_risk and intake.phq9_9 > (item9_before or 0):
        raise_self_harm_alert(
            patient=intake.patient,
            item9=intake.phq9_9,
            intake=intake,
            practitioner=assessment.assessed_by if assessment else None,
        )
    return intake, referral


@transaction.atomic
def record_assessment(*, assessment: ClinicalAssessment, user) -> Referral | None:
    """Save the clinician's exam; a foot drop on the exam opens a referral like any red flag."""
    assessment.assessed_by = user
    assessment.save()
    return _sync_referral(assessment.intake, assessment, source=ReferralSource.EXAM, user=user)


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
    # Its alerts have been dealt with: recording the outcome acknowledges them, so a later warning sign
    # opens a new alert (and a new message) rather than adding to one about a closed referral.
    for alert in Alert.objects.select_for_update().open().filter(referral=referral):
        alert.acknowledged_by, alert.acknowledged_at = user, referral.closed_at
        alert.action_taken = f"Referral closed: {referral.get_referred_to_display()}, {referral.get_outcome_display()}."
        alert.save(update_fields=["acknowledged_by", "acknowledged_at", "action_taken"])
    return referral


@transaction.atomic
def acknowledge_alert(*, alert: Alert, user, action_taken: str = "") -> tuple[Alert, bool]:
    """Record who took the alert and when; False (and the first acknowledgement) if someone already had."""
    # The alert row only (of=self): PostgreSQL locks no nullable side of an outer join.
    alert = Alert.objects.select_for_update(of=("self",)).select_related("patient", "acknowledged_by").get(pk=alert.pk)
    if alert.acknowledged_at is not None:
        return alert, False
    alert.action_taken = action_taken
    alert.acknowledged_by = user
    alert.acknowledged_at = timezone.now()
    alert.save(update_fields=["action_taken", "acknowledged_by", "acknowledged_at"])
    return alert, True


@transaction.atomic
def review_intake(*, intake: Intake, user) -> Intake:
    intake.reviewed_by = user
    intake.reviewed_at = timezone.now()
    intake.save(update_fields=["reviewed_by", "reviewed_at", "updated_at"])
    return intake


def send_intake_link(*, patient: Patient, user, build_url) -> SentLink:
    """Issue a pre-visit intake link; email it after commit when the patient has an address."""
    return send_link(patient=patient, purpose=INTAKE_LINK, user=user, build_url=build_url)


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
