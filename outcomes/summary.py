"""A course of care's outcome summary: the columns of `TreatmentPlan` that the outcomes report reads.

Baseline, weeks 4 and 8, the score by sessions 4, 8 and 12, the latest score and whether it shows no
improvement by week 6, and whether the baseline came before the first session: computed here, by the
outcomes app, with `outcomes.scoring.plan_scores`, from the plan's scored questionnaires and session
times; and the days to first relief and whether Tui Na came before it, with `outcomes.relief.first_relief`,
from the sessions' pain before and after and Tui Na minutes and the submitted questionnaires' pain now.
Treatments never imports this: when a session is added or moved, `treatments.services` marks the plan
(`outcome_stale`), and the summary is brought up to date here before a report or a chart reads it,
and by the daily reminder run. A questionnaire's answers refresh their plan at once (outcomes.services).
"""

from django.db import transaction
from django.db.models import CharField, DateField, DateTimeField, IntegerField, Value
from django.utils import timezone

from clinic.fields import Source
from outcomes.models import Questionnaire
from outcomes.relief import AnsweredPain, SessionPain, first_relief
from outcomes.scoring import ScoredWeek, plan_scores
from treatments.models import OUTCOME_FIELDS, Session, TreatmentPlan

REFRESH_CHUNK = 2000
# What the scoring rules read of a scored questionnaire, in scored_week's order.
SCORED_COLUMNS = (
    "week",
    "due_date",
    "odi_score",
    "analgesic_days",
    "work_days_off",
    "submitted_at",
    "answered_on",
    "source",
)


def scored_week(
    week, due_date, odi_score, analgesic_days, work_days_off, submitted_at, answered_on, source, leg_pain=None
):
    """A scored questionnaire as the scoring rules read it: when it was answered, online or on paper."""
    # Rows sent before the day answered was recorded: the day they were sent.
    answered_on = answered_on or timezone.localtime(submitted_at).date()
    paper = source == Source.STAFF
    return ScoredWeek(
        week,
        due_date,
        odi_score,
        analgesic_days,
        work_days_off,
        None if paper else submitted_at,
        answered_on,
        paper,
        leg_pain,
    )


def relief_columns(relief) -> dict:
    """The plan's columns for its time to first relief (`outcomes.relief.FirstRelief`)."""
    return {"first_relief_days": relief.days, "tuina_first_session": relief.tuina}


def refresh_outcomes(plan_ids) -> None:
    """Recompute each plan's outcome summary from its sessions and questionnaires, and clear its mark.

    Three queries for one plan (its lock; its sessions and submitted questionnaires, in one UNION ALL;
    one UPDATE), the rules themselves being `plan_scores` (of the scored questionnaires) and `first_relief`
    (of every submitted one's pain), neither depending on the order of its inputs. Many plans go a chunk
    at a time, in bulk.

    The plans are locked before anything is read, so two writes to one plan at once (a session logged
    while the patient's answers arrive) take turns: the second reads the first's row instead of
    overwriting the summary with one that misses it. FOR NO KEY UPDATE is the lock the UPDATE below takes
    anyway, taken earlier; plans are locked in id order, so two bulk refreshes cannot deadlock.
    """
    # A session row has its time, its pain before and after and its Tui Na minutes, and blank questionnaire
    # columns; a questionnaire row no time, its back and leg pain now in the two pain columns, no Tui Na,
    # and its own columns.
    blank_questionnaire = (
        Value(None, IntegerField()),
        Value(None, DateField()),
        *[Value(None, IntegerField())] * 3,
        Value(None, DateTimeField()),
        Value(None, DateField()),
        Value(None, CharField()),
    )
    ids = sorted({pk for pk in plan_ids if pk is not None})  # one locking order for every caller
    for start in range(0, len(ids), REFRESH_CHUNK):
        chunk = ids[start : start + REFRESH_CHUNK]
        # In the caller's transaction (a new one if there is none), held until it commits. SQLite
        # ignores the lock: it lets one writer at a time anyway.
        with transaction.atomic(savepoint=False):
            locked = TreatmentPlan.objects.select_for_update(no_key=True).filter(pk__in=chunk).order_by("pk")
            list(locked.values_list("pk", flat=True))
            sessions = Session.objects.filter(plan_id__in=chunk).order_by()
            # Every submitted questionnaire for its pain (one without an ODI score still has it); the scored
            # ones for the scores.
            questionnaires = Questionnaire.objects.submitted().filter(plan_id__in=chunk).order_by()
            rows = sessions.values_list(
                "plan_id", "started_at", "pain_before", "pain_after", "tuina_minutes", *blank_questionnaire
            ).union(
                questionnaires.values_list(
                    "plan_id",
                    Value(None, DateTimeField()),
                    "back_pain_now",
                    "leg_pain_now",
                    Value(None, IntegerField()),
                    *SCORED_COLUMNS,
                ),
                all=True,
            )
            starts: dict[int, list] = {pk: [] for pk in chunk}
            scored: dict[int, list[ScoredWeek]] = {pk: [] for pk in chunk}
            pains: dict[int, list[SessionPain]] = {pk: [] for pk in chunk}
            answers: dict[int, list[AnsweredPain]] = {pk: [] for pk in chunk}
            for plan_id, started_at, pain_1, pain_2, tuina, *fields in rows:
                if started_at is not None:
                    starts[plan_id].append(started_at)
                    pains[plan_id].append(SessionPain(timezone.localtime(started_at), pain_1, pain_2, tuina))
                else:
                    _week, due_date, odi, *_, answered_on, _source = fields
                    answers[plan_id].append(AnsweredPain(answered_on or due_date, pain_1, pain_2))
                    if odi is not None:
                        scored[plan_id].append(scored_week(*fields, leg_pain=pain_2))
            columns = {
                pk: {
                    **plan_scores(
                        session_days=[session.started_at.date() for session in pains[pk]],  # local days
                        scored=scored[pk],
                        first_session_at=min(starts[pk], default=None),
                    ),
                    **relief_columns(first_relief(sessions=pains[pk], answers=answers[pk])),
                    "outcome_stale": False,
                }
                for pk in chunk
            }
            if len(chunk) == 1:
                TreatmentPlan.objects.filter(pk=chunk[0]).update(**columns[chunk[0]])
            else:
                plans = [TreatmentPlan(pk=pk, **values) for pk, values in columns.items()]
                TreatmentPlan.objects.bulk_update(plans, sorted({*OUTCOME_FIELDS, "outcome_stale"}), batch_size=500)


def refresh_stale_outcomes(plans=None) -> int:
    """Bring up to date the summaries of plans whose sessions changed since (of `plans`, or of all).

    One indexed read when none has; returns how many were refreshed.
    """
    stale = list(
        (plans if plans is not None else TreatmentPlan.objects.all())
        .filter(outcome_stale=True)
        .values_list("pk", flat=True)
    )
    refresh_outcomes(stale)
    return len(stale)
