"""Session workflows: save a session with its parts, sign it, add addenda, review a plan."""

from auditlog.context import disable_auditlog
from auditlog.diff import model_instance_diff
from auditlog.models import LogEntry
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from intake.safety import TreatmentCheck, decision_for, may_treat
from treatments.models import (
    REVIEWS,
    Addendum,
    AdverseEvent,
    ElectroPair,
    Session,
    SessionPoint,
    SignedSessionError,
    TreatmentPlan,
)


class TreatmentRefused(Exception):
    """The intake forbids treatment (an open referral, no intake, or 'not to treat')."""

    def __init__(self, decision):
        super().__init__("; ".join(decision.reasons))
        self.decision = decision


@transaction.atomic
def save_session(
    *,
    session: Session,
    point_rows: list[dict],
    electro_rows: list[dict],
    adverse_rows: list[dict],
    check: TreatmentCheck | None = None,
) -> Session:
    """Create or update an unsigned session and replace its points, pairs and adverse events.

    The treatment decision is taken inside the transaction, from the current intake (the one the
    form was checked against, when the caller passes its `check`) and the referrals as they are
    now: a red flag recorded a moment ago by the front desk has opened a referral, which stops the save.
    """
    patient = session.plan.patient
    decision = decision_for(patient, check.intake) if check is not None else may_treat(patient)
    if not decision:
        raise TreatmentRefused(decision)
    if session.pk is not None and Session.objects.filter(pk=session.pk, signed_at__isnull=False).exists():
        raise SignedSessionError()
    session.patient = patient
    is_new = session.pk is None
    after = [f"{row['code_point'].code} {row['side']}" for row in point_rows]
    if is_new:
        # One audit entry for the new session and its points (rows written in bulk, which the log does not see).
        with disable_auditlog():
            session.save()
        LogEntry.objects.log_create(
            session,
            action=LogEntry.Action.CREATE,
            changes={**model_instance_diff(None, session), "points": [[], after]},
        )
    else:
        session.save()
    before = after if is_new else _point_summary(session)
    if not is_new:
        SessionPoint.objects.filter(session=session).delete()
        ElectroPair.objects.filter(session=session).delete()
        AdverseEvent.objects.filter(session=session).delete()
    SessionPoint.objects.bulk_create(
        SessionPoint(
            session=session,
            point=row["code_point"],
            side=row["side"],
            technique=row["technique"],
            retention_minutes=row.get("retention_minutes"),
            depth_mm=row.get("depth_mm"),
            de_qi=row.get("de_qi", False),
            position=index,
        )
        for index, row in enumerate(point_rows)
    )
    ElectroPair.objects.bulk_create(
        ElectroPair(
            session=session,
            point_a=row["point_a_point"],
            point_b=row["point_b_point"],
            frequency_hz=row["frequency_hz"],
            waveform=row["waveform"],
            minutes=row["minutes"],
            intensity=row.get("intensity", ""),
        )
        for row in electro_rows
    )
    AdverseEvent.objects.bulk_create(
        AdverseEvent(
            session=session,
            kind=row["kind"],
            severity=row["severity"],
            description=row.get("description", ""),
            action_taken=row.get("action_taken", ""),
        )
        for row in adverse_rows
    )
    if after != before:
        # The rows are written in bulk, which the audit log does not see: record them on the session.
        LogEntry.objects.log_create(session, action=LogEntry.Action.UPDATE, changes={"points": [before, after]})
    return session


def _point_summary(session: Session) -> list[str]:
    return [f"{code} {side}" for code, side in session.points.values_list("point__code", "side")]


@transaction.atomic
def sign_session(*, session: Session, user) -> Session:
    """Sign and lock a session. Only its practitioner signs their own note."""
    session = Session.objects.select_for_update().get(pk=session.pk)
    if session.signed_at is not None:
        raise SignedSessionError()
    if session.practitioner_id != user.pk:
        raise PermissionDenied("Only the practitioner who gave the treatment can sign this note.")
    session.signed_at = timezone.now()
    session.signed_by = user
    session.save(update_fields=["signed_at", "signed_by", "updated_at"])
    return session


@transaction.atomic
def add_addendum(*, session: Session, user, text: str) -> Addendum:
    return Addendum.objects.create(session=session, author=user, text=text)


@transaction.atomic
def review_plan(*, plan: TreatmentPlan, review: str, notes: str, status: str = "") -> TreatmentPlan:
    now = timezone.now()
    stamp = f"[{timezone.localtime(now):%Y-%m-%d}] {REVIEWS[review]}: {notes}"
    plan.review_notes = f"{plan.review_notes}\n{stamp}".strip()
    column = {"4": "review_at_4", "final": "final_review_at", "no_improvement": "no_improvement_review_at"}[review]
    setattr(plan, column, now)
    fields = ["review_notes", "updated_at", column]
    if status:
        plan.status = status
        fields.append("status")
    plan.save(update_fields=fields)
    return plan
