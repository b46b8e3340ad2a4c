"""Questionnaire workflows: schedule what falls due, send links, take answers (online or paper)."""

from collections.abc import Callable, Iterator, Mapping
from copy import copy
from datetime import date, datetime, timedelta

from auditlog.diff import model_instance_diff
from auditlog.models import LogEntry
from django.db import transaction
from django.db.models import F, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from clinic.audit import log_rows, record_change, record_export
from clinic.fields import Source
from clinic.links import Purpose, SentLink, send_link, spend_link
from clinic.models import Patient, PatientLink
from intake import rules
from intake.models import Referral, ReferralSource
from intake.rules import CAUDA_EQUINA_KEYS
from intake.services import open_referral, raise_self_harm_alert
from outcomes.models import ODI_FIELDS, PHQ9_FIELDS, Kind, Questionnaire
from outcomes.questionnaires import ODI_VERSION
from outcomes.schedule import due_dates
from outcomes.scoring import odi_score
from outcomes.summary import refresh_outcomes, refresh_stale_outcomes
from treatments.models import PlanStatus, Session, TreatmentPlan

# The weekly questionnaire's links, one per questionnaire due (registered in OutcomesConfig.ready).
QUESTIONNAIRE_LINK = Purpose(
    key="questionnaire",
    label="Weekly questionnaire",
    landing="outcomes:patient-form",
    ttl=timedelta(days=7),
    email_subject="how is your back this week?",
    email_template="outcomes/email/questionnaire_link.txt",
    done_template="outcomes/patient_done.html",
    handout="Your weekly check-in: a few questions about your back and leg pain and how you are managing day "
    "to day. It takes about five minutes and works on a phone.",
)

# A reminder is not worth sending for a questionnaire that fell due this long ago.
REMINDER_WINDOW = timedelta(days=6)


def _anchor() -> Coalesce:
    """A plan's week 0: fixed when its questionnaires were first scheduled, else (not yet) its start date.

    The baseline falls due the day the plan starts, before the first needle. Plans scheduled before that
    rule (from their first session) keep the week 0 they had (treatments migration 0009).
    """
    return Coalesce(F("questionnaires_from"), F("start_date"))


def _fix_anchor(plan_ids) -> None:
    """Fix week 0 of these plans' questionnaires, once, at the first scheduling."""
    TreatmentPlan.objects.filter(pk__in=plan_ids, questionnaires_from__isnull=True).update(
        questionnaires_from=F("start_date")
    )


def due_questionnaires(
    *, plans, today: date, stream: bool = False, scheduled: frozenset[date] = frozenset()
) -> Iterator[Questionnaire]:
    """Every questionnaire these plans have had fall due by `today`, as unsaved rows (one query).

    The baseline from the day a plan starts, with or without a session; the weekly ones once treatment
    has begun (outcomes.schedule). A plan that ended without a single session has none. `stream` reads
    the plans in chunks (on PostgreSQL, a server-side cursor: three round trips instead of one), for the
    daily run over every plan; one patient's few plans are read at once. One patient's due dates already
    `scheduled` are left out (no row is made for them).
    """
    sessions = Session.objects.filter(plan=OuterRef("pk"))
    first_session = sessions.order_by("started_at").values("started_at")[:1]
    last_session = sessions.order_by("-started_at").values("started_at")[:1]
    plans = plans.annotate(anchor=_anchor(), first_session=Subquery(first_session), last_session=Subquery(last_session))
    plans = plans.only("id", "patient_id", "status", "start_date")
    for plan in plans.iterator(chunk_size=2000) if stream else plans:
        if plan.status != PlanStatus.ACTIVE and plan.last_session is None:
            continue  # never treated, and over: nothing to measure
        # An ended plan's weekly questionnaires stop at its last session.
        ended_on = None if plan.status == PlanStatus.ACTIVE else timezone.localtime(plan.last_session).date()
        first = timezone.localtime(plan.first_session).date() if plan.first_session else None
        for due in due_dates(baseline=plan.anchor, today=today, ended_on=ended_on, first_session=first):
            if due.due_date in scheduled:
                continue
            yield Questionnaire(
                patient_id=plan.patient_id,
                plan_id=plan.pk,
                due_date=due.due_date,
                week=due.week,
                kind=due.kind,
                includes_phq9=due.includes_phq9,
            )


@transaction.atomic
def schedule_due(*, today: date, plans=None) -> int:
    """Create the questionnaire rows that have fallen due by `today`; returns how many are new.

    Idempotent: rows already scheduled are left out, and the unique (patient, due date) constraint makes
    a run racing another insert nothing twice.
    """
    plans = plans if plans is not None else TreatmentPlan.objects.all()
    rows = list(due_questionnaires(plans=plans, today=today, stream=True))
    # A subquery, not a list of ids: a run over every plan would pass SQLite too many parameters.
    already = Questionnaire.objects.filter(patient_id__in=plans.values("patient_id"))
    scheduled = set(already.values_list("patient_id", "due_date"))
    new = [row for row in rows if (row.patient_id, row.due_date) not in scheduled]
    Questionnaire.objects.bulk_create(new, ignore_conflicts=True, batch_size=1000)
    _fix_anchor({row.plan_id for row in rows})
    if new:
        # Rows made in bulk by the schedule: one entry says how many fell due, for which patients.
        record_export(
            Questionnaire,
            description=f"Questionnaires fell due: {len(new)} scheduled",
            action=LogEntry.Action.CREATE,
            patient_ids=sorted({row.patient_id for row in new}),
            due_by=today.isoformat(),
        )
    return len(new)


@transaction.atomic
def scheduled_questionnaire(*, patient: Patient, due_date: date, today: date) -> Questionnaire | None:
    """The patient's questionnaire due that day, if one has fallen due by today (scheduled now if the daily
    run has not yet): so a baseline can be handed over the day a plan starts, before any reminder run."""
    if due_date > today:
        return None
    questionnaire = Questionnaire.objects.filter(patient=patient, due_date=due_date).first()
    if questionnaire is None:
        due = [row for row in due_questionnaires(plans=patient.plans.all(), today=today) if row.due_date == due_date]
        Questionnaire.objects.bulk_create(due, ignore_conflicts=True)  # a second click at once creates nothing more
        _fix_anchor({row.plan_id for row in due})
        questionnaire = Questionnaire.objects.filter(patient=patient, due_date=due_date).first()
        log_rows(created=[questionnaire] if questionnaire is not None else [])
    return questionnaire


@transaction.atomic
def send_questionnaire_link(
    *, questionnaire: Questionnaire, build_url: Callable[[str], str], user=None, email: bool = True
) -> SentLink:
    """Issue a link for one due questionnaire (revoking older ones); email it when asked and possible."""
    sent = send_link(
        patient=questionnaire.patient,
        purpose=QUESTIONNAIRE_LINK,
        subject=questionnaire,
        user=user,
        email=email,
        build_url=build_url,
        context={"questionnaire": questionnaire},
    )
    questionnaire.reminded_at = timezone.now()
    questionnaire.save(update_fields=["reminded_at"])
    return sent


def send_reminders(*, today: date, build_url: Callable[[str], str]) -> int:
    """Schedule what fell due and email a link for each due questionnaire not yet reminded.

    Each reminder marks its row, in the same transaction as the link, so a second run sends nothing
    twice; a patient without an email address is left to the front desk (the dashboard lists them).
    The same daily run brings up to date the outcome summaries of plans whose sessions changed.
    """
    refresh_stale_outcomes()
    schedule_due(today=today)
    due = (
        Questionnaire.objects.pending()
        .filter(reminded_at__isnull=True, due_date__lte=today, due_date__gte=today - REMINDER_WINDOW)
        .exclude(patient__email="")
        .select_related("patient")
        .order_by("due_date", "id")
    )
    sent = 0
    for questionnaire in due.iterator(chunk_size=500):
        with transaction.atomic():
            # Lock and re-check the row, so two runs at once cannot both send it.
            fresh = (
                Questionnaire.objects.select_for_update().filter(pk=questionnaire.pk, reminded_at__isnull=True).first()
            )
            if fresh is None:
                continue
            fresh.patient = questionnaire.patient
            send_questionnaire_link(questionnaire=fresh, build_url=build_url)
            sent += 1
    return sent


def _practitioner(patient: Patient, plan: TreatmentPlan | None = None):
    """Who treats the patient, told of their alerts with the on-call addresses: their current plan's clinician."""
    plan = plan or patient.plans.select_related("practitioner").order_by("-start_date", "-id").first()
    return plan.practitioner if plan is not None else None


@transaction.atomic
def record_warning_signs(
    *, questionnaire: Questionnaire, answers: Mapping[str, object], user=None
) -> tuple[Questionnaire, Referral | None]:
    """Save a questionnaire's warning-sign answers by themselves, now, and act on every new yes.

    Whatever else the questionnaire holds (half of it blank, the page closed after step 1), a "yes" is
    kept and acted on: the referral opens (stopping treatment) and the clinic is alerted. A yes is never
    taken back by a later "no"; a submitted questionnaire is not changed, but its yes still opens the
    referral. Returns the row as stored and the referral, when a yes is on it.
    """
    # The questionnaire row only (of=self): PostgreSQL locks no nullable side of an outer join (its plan).
    rows = Questionnaire.objects.select_for_update(of=("self",)).select_related("patient", "plan__practitioner")
    row = rows.get(pk=questionnaire.pk)
    changed = [
        key
        for key in CAUDA_EQUINA_KEYS
        if answers.get(key) is not None and getattr(row, key) is not True and getattr(row, key) != answers[key]
    ]
    new_yes = [key for key in changed if answers[key]]
    if changed and not row.is_submitted:
        for key in changed:
            setattr(row, key, answers[key])
        row.save(update_fields=changed)  # the audit log records the answers, as for any change
    referral = None
    if new_yes:
        referral = open_referral(
            patient=row.patient,
            flags=new_yes,
            source=ReferralSource.QUESTIONNAIRE,
            user=user,
            practitioner=_practitioner(row.patient, row.plan),
        )
    elif row.cauda_equina_positive:
        referral = Referral.objects.open().filter(patient=row.patient).first()
    return row, referral


@transaction.atomic
def save_draft(*, questionnaire: Questionnaire, answers: Mapping[str, object], step: str) -> Questionnaire:
    """Keep the answers of one step of the patient's form, until the whole questionnaire is submitted.

    They join the answers saved before (an answer given again replaces the earlier one). Nothing is
    scored and no rule acts on them: that happens once, on the submission. A submitted questionnaire
    is not changed. Each save that changes something is audited in words, naming the `step` ("step 2
    of 4 (your pain)") and never an answer: staff do not read answers the patient has not sent.
    """
    row = Questionnaire.objects.select_for_update().get(pk=questionnaire.pk)
    draft = {**row.draft, **answers}
    if not row.is_submitted and draft != row.draft:
        row.draft = draft
        row.save(update_fields=["draft"])
        due = row.due_date
        record_change(
            row,
            description=f"Patient saved {step} of the {row.get_kind_display().lower()} questionnaire due "
            f"{due:%b} {due.day}, {due.year} (answers not shown until sent)",
            saved=step,
        )
    questionnaire.draft = row.draft
    return questionnaire


@transaction.atomic
def drop_stale_drafts(*, now: datetime) -> int:
    """Empty the answers saved so far of the questionnaires no link can reach any more (every link to them
    expired or revoked), so unsent answers are not kept for ever; one audit entry names them. Returns how many.

    A new link sent while one is still usable keeps the answers: the patient carries on with it.
    """
    reachable = PatientLink.objects.usable(now).filter(purpose=QUESTIONNAIRE_LINK.key)
    stale = Questionnaire.objects.pending().exclude(draft={}).exclude(pk__in=reachable.values("subject_id"))
    rows = list(stale.values_list("pk", "patient_id"))
    if not rows:
        return 0
    Questionnaire.objects.filter(pk__in=[pk for pk, _patient in rows]).update(draft={})
    record_export(
        Questionnaire,
        description=f"Answers saved so far (never sent) dropped from {len(rows)} "
        f"questionnaire{'' if len(rows) == 1 else 's'} no link can reach any more",
        action=LogEntry.Action.UPDATE,
        questionnaire_ids=[pk for pk, _patient in rows],
        patient_ids=sorted({patient for _pk, patient in rows}),
    )
    return len(rows)


@transaction.atomic
def report_self_harm(*, patient: Patient, item9: int, plan: TreatmentPlan | None = None) -> None:
    """PHQ-9 item 9 above 0 alerts the clinic, even on a form whose other answers were refused."""
    raise_self_harm_alert(patient=patient, item9=item9, practitioner=_practitioner(patient, plan))


@transaction.atomic
def submit_questionnaire(
    *,
    questionnaire: Questionnaire,
    answers: Mapping[str, object],
    source: str,
    link: PatientLink | None = None,
    user=None,
) -> tuple[Questionnaire, Referral | None] | None:
    """Record a questionnaire's answers; None when it was already submitted (a double submit).

    Scores are computed here, never taken from the form. Warning-sign answers among them go through
    `record_warning_signs` first (a yes opens a referral through the intake, blocking sessions); PHQ-9
    item 9 above 0 raises the alert.
    """
    # Thoughts of self-harm are acted on whatever happens to the rest (a double submit, a date already entered).
    item9 = rules.self_harm_item9(answers)
    if item9 is not None:
        report_self_harm(patient=questionnaire.patient, item9=item9, plan=questionnaire.plan)
    if link is not None and not spend_link(link):
        return None
    warning_signs = {key: answers[key] for key in CAUDA_EQUINA_KEYS if key in answers}
    questionnaire, referral = record_warning_signs(questionnaire=questionnaire, answers=warning_signs, user=user)
    if questionnaire.is_submitted:
        return None
    answers = {name: value for name, value in answers.items() if name not in warning_signs}
    submitted = copy(questionnaire)
    for name, value in answers.items():
        setattr(submitted, name, value)
    submitted.odi_version = ODI_VERSION
    submitted.odi_score = odi_score([getattr(submitted, name) for name in ODI_FIELDS])
    phq9 = [getattr(submitted, name) for name in PHQ9_FIELDS]
    submitted.phq9_total = rules.phq9_total(phq9) if None not in phq9 else None
    submitted.submitted_at = timezone.now()
    if source != Source.STAFF or submitted.answered_on is None:
        submitted.answered_on = timezone.localdate(submitted.submitted_at)
    submitted.source = source
    submitted.entered_by = user if source == Source.STAFF else None
    submitted.draft = {}  # the answers saved step by step are in their columns now
    # Each column once: a paper form's answers hold answered_on too.
    computed = [
        "odi_version",
        "odi_score",
        "phq9_total",
        "submitted_at",
        "answered_on",
        "source",
        "entered_by",
        "draft",
    ]
    written = list(dict.fromkeys([*answers, *computed]))
    # One conditional UPDATE writes the answers only if nobody submitted this questionnaire first.
    if not Questionnaire.objects.filter(pk=questionnaire.pk, submitted_at__isnull=True).update(
        **{name: getattr(submitted, name) for name in written}
    ):
        return None
    # A queryset update is seen by neither the audit log nor Questionnaire.save: record the entry, and
    # refresh the plan's scores, here.
    LogEntry.objects.log_create(
        submitted, action=LogEntry.Action.UPDATE, changes=model_instance_diff(questionnaire, submitted, written)
    )
    if submitted.plan_id:
        refresh_outcomes([submitted.plan_id])
    return submitted, referral


def _current_plan_and_week(patient: Patient, due_date: date) -> tuple[TreatmentPlan | None, int]:
    """The plan a questionnaire not yet scheduled joins (the patient's latest) and its week in that plan."""
    plan = patient.plans.annotate(anchor=_anchor()).order_by("-start_date", "-id").first()
    return plan, max(0, (due_date - (plan.anchor if plan is not None else due_date)).days // 7)


def week_due(*, patient: Patient, due_date: date) -> int:
    """The week of the patient's questionnaire due that day: the scheduled row's, else the one it would get."""
    week = Questionnaire.objects.filter(patient=patient, due_date=due_date).values_list("week", flat=True).first()
    return week if week is not None else _current_plan_and_week(patient, due_date)[1]


@transaction.atomic
def questionnaire_due(*, patient: Patient, due_date: date) -> Questionnaire:
    """The patient's questionnaire due that day, created (in their current plan) if none was scheduled."""
    questionnaire = Questionnaire.objects.filter(patient=patient, due_date=due_date).first()
    if questionnaire is not None:
        return questionnaire
    plan, week = _current_plan_and_week(patient, due_date)
    questionnaire, created = Questionnaire.objects.get_or_create(
        patient=patient,
        due_date=due_date,
        defaults={"plan": plan, "week": week, "kind": Kind.BASELINE if week == 0 else Kind.WEEKLY},
    )
    if created and plan is not None:
        _fix_anchor([plan.pk])
    return questionnaire


@transaction.atomic
def paper_questionnaire(
    *, patient: Patient, due_date: date, answers: Mapping[str, object], user
) -> Questionnaire | None:
    """Staff enter a paper form for the questionnaire due that day (created if not scheduled)."""
    questionnaire = questionnaire_due(patient=patient, due_date=due_date)
    result = submit_questionnaire(questionnaire=questionnaire, answers=answers, source=Source.STAFF, user=user)
    return result[0] if result else None


@transaction.atomic
def paper_warning_signs(
    *, patient: Patient, due_date: date | None, answers: Mapping[str, bool], item9: int | None, user
) -> Referral | None:
    """A paper form that cannot be saved yet still has its warning signs saved and acted on, now.

    With a valid due date they go on that questionnaire (so the rest joins them once corrected);
    without one they open the referral for the patient.
    """
    referral = None
    if due_date is not None:
        _row, referral = record_warning_signs(
            questionnaire=questionnaire_due(patient=patient, due_date=due_date), answers=answers, user=user
        )
    elif any(answers.values()):
        referral = open_referral(
            patient=patient,
            flags=[key for key, yes in answers.items() if yes],
            source=ReferralSource.QUESTIONNAIRE,
            user=user,
            practitioner=_practitioner(patient),
        )
    if item9:
        report_self_harm(patient=patient, item9=item9)
    return referral
