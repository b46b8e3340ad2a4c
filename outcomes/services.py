"""Questionnaire workflows: schedule what falls due, send links, take answers (online or paper)."""

from collections.abc import Callable, Mapping
from copy import copy
from datetime import date, timedelta

from auditlog.diff import model_instance_diff
from auditlog.models import LogEntry
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Max, Min
from django.template.loader import render_to_string
from django.utils import timezone

from clinic.links import issue_link, spend_link
from clinic.models import LinkPurpose, Patient, PatientLink
from intake import rules
from intake.models import Referral, ReferralSource
from intake.services import open_referral, raise_self_harm_alert
from outcomes.models import ODI_FIELDS, PHQ9_FIELDS, Response, Source
from outcomes.questionnaires import ODI_VERSION
from outcomes.schedule import due_dates
from outcomes.scoring import odi_score
from treatments.models import PlanStatus, TreatmentPlan, refresh_plans

# A reminder is not worth sending for a questionnaire that fell due this long ago.
REMINDER_WINDOW = timedelta(days=6)


def schedule_due(*, today: date, plans=None) -> int:
    """Create the questionnaire rows that have fallen due by `today`; returns how many are new.

    Idempotent: the unique (patient, due date) constraint makes a second run a no-op.
    """
    plans = (plans if plans is not None else TreatmentPlan.objects.all()).annotate(
        first_session=Min("sessions__started_at"), last_session=Max("sessions__started_at")
    )
    rows = []
    for plan in plans.filter(first_session__isnull=False).only("id", "patient_id", "status").iterator(chunk_size=2000):
        baseline = timezone.localtime(plan.first_session).date()
        ended_on = None if plan.status == PlanStatus.ACTIVE else timezone.localtime(plan.last_session).date()
        rows += [
            Response(
                patient_id=plan.patient_id,
                plan_id=plan.pk,
                due_date=due.due_date,
                week=due.week,
                kind=due.kind,
                includes_phq9=due.includes_phq9,
            )
            for due in due_dates(baseline=baseline, today=today, ended_on=ended_on)
        ]
    before = Response.objects.count()
    Response.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)
    return Response.objects.count() - before


def _email_link(*, patient: Patient, response: Response, url: str, expires_at) -> None:
    body = render_to_string(
        "outcomes/email/questionnaire_link.txt",
        {
            "patient": patient,
            "response": response,
            "url": url,
            "expires_at": expires_at,
            "CLINIC_NAME": settings.CLINIC_NAME,
            "CLINIC_PHONE": settings.CLINIC_PHONE,
        },
    )
    subject = f"{settings.CLINIC_NAME}: how is your back this week?"
    transaction.on_commit(lambda: send_mail(subject, body, None, [patient.email]))


@transaction.atomic
def send_link(
    *, response: Response, build_url: Callable[[str], str], user=None, email: bool = True
) -> tuple[PatientLink, str, bool]:
    """Issue a link for one due questionnaire (revoking older ones); email it when asked and possible.

    Returns the link, its URL (shown once to staff to copy, print or scan) and whether it was emailed.
    """
    link, token = issue_link(
        patient=response.patient, purpose=LinkPurpose.QUESTIONNAIRE, subject_id=response.pk, created_by=user
    )
    url = build_url(token)
    emailed = email and bool(response.patient.email)
    if emailed:
        _email_link(patient=response.patient, response=response, url=url, expires_at=link.expires_at)
    response.reminded_at = timezone.now()
    response.save(update_fields=["reminded_at"])
    return link, url, emailed


def send_reminders(*, today: date, build_url: Callable[[str], str]) -> int:
    """Schedule what fell due and email a link for each due questionnaire not yet reminded.

    Each reminder marks its row, in the same transaction as the link, so a second run sends nothing
    twice; a patient without an email address is left to the front desk (the dashboard lists them).
    """
    schedule_due(today=today)
    due = (
        Response.objects.pending()
        .filter(reminded_at__isnull=True, due_date__lte=today, due_date__gte=today - REMINDER_WINDOW)
        .exclude(patient__email="")
        .select_related("patient")
        .order_by("due_date", "id")
    )
    sent = 0
    for response in due.iterator(chunk_size=500):
        with transaction.atomic():
            # Lock and re-check the row, so two runs at once cannot both send it.
            fresh = Response.objects.select_for_update().filter(pk=response.pk, reminded_at__isnull=True).first()
            if fresh is None:
                continue
            fresh.patient = response.patient
            send_link(response=fresh, build_url=build_url)
            sent += 1
    return sent


@transaction.atomic
def submit_response(
    *,
    response: Response,
    answers: Mapping[str, object],
    source: str,
    link: PatientLink | None = None,
    user=None,
) -> tuple[Response, Referral | None] | None:
    """Record a questionnaire's answers; None when it was already submitted (a double submit).

    Scores are computed here, never taken from the form. A "yes" to any cauda equina question
    opens a referral through the intake (blocking sessions); PHQ-9 item 9 above 0 raises the alert.
    """
    if link is not None and not spend_link(link):
        return None
    submitted = copy(response)
    for name, value in answers.items():
        setattr(submitted, name, value)
    submitted.odi_version = ODI_VERSION
    submitted.odi_score = odi_score([getattr(submitted, name) for name in ODI_FIELDS])
    phq9 = [getattr(submitted, name) for name in PHQ9_FIELDS]
    submitted.phq9_total = rules.phq9_total(phq9) if None not in phq9 else None
    submitted.submitted_at = timezone.now()
    submitted.source = source
    submitted.entered_by = user if source == Source.PAPER else None
    written = [*answers, "odi_version", "odi_score", "phq9_total", "submitted_at", "source", "entered_by"]
    # One conditional UPDATE writes the answers only if nobody submitted this questionnaire first.
    if not Response.objects.filter(pk=response.pk, submitted_at__isnull=True).update(
        **{name: getattr(submitted, name) for name in written}
    ):
        return None
    # A queryset update is seen by neither the audit log nor Response.save: record the entry, and
    # refresh the plan's scores, here.
    LogEntry.objects.log_create(
        submitted, action=LogEntry.Action.UPDATE, changes=model_instance_diff(response, submitted, written)
    )
    if submitted.plan_id:
        refresh_plans([submitted.plan_id])
    referral = None
    if submitted.cauda_equina_positive:
        referral = open_referral(
            patient=submitted.patient,
            flags=submitted.cauda_equina_positive,
            source=ReferralSource.QUESTIONNAIRE,
            user=user,
        )
    if rules.self_harm_risk(submitted.phq9_9):
        raise_self_harm_alert(patient=submitted.patient, item9=submitted.phq9_9)
    return submitted, referral


@transaction.atomic
def paper_response(*, patient: Patient, due_date: date, answers: Mapping[str, object], user) -> Response | None:
    """Staff enter a paper form for the questionnaire due that day (created if not scheduled)."""
    response = Response.objects.filter(patient=patient, due_date=due_date).first()
    if response is None:
        plan = patient.plans.annotate(first_session=Min("sessions__started_at")).order_by("-start_date", "-id").first()
        baseline = timezone.localtime(plan.first_session).date() if plan and plan.first_session else due_date
        week = max(0, (due_date - baseline).days // 7)
        response = Response.objects.create(
            patient=patient, plan=plan, due_date=due_date, week=week, kind="baseline" if week == 0 else "weekly"
        )
    result = submit_response(response=response, answers=answers, source=Source.PAPER, user=user)
    return result[0] if result else None
