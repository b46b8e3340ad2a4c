"""Session workflows: save a session with its parts, sign it, add addenda, review a plan."""

from auditlog.context import disable_auditlog
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from clinic.audit import log_rows
from intake.safety import TreatmentCheck, decision_for, may_treat
from treatments.models import (
    REVIEWS,
    Addendum,
    AdverseEvent,
    ElectroPair,
    Payment,
    Point,
    Protocol,
    ProtocolPoint,
    Session,
    SessionPoint,
    SignedSessionError,
    TreatmentPlan,
    UnsignedSessionError,
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
    # The stored row, read once: whether it is signed, and its plan (a session moved to another plan
    # changes both plans' counts).
    stored = Session.objects.filter(pk=session.pk).values("plan_id", "signed_at").first() if session.pk else None
    if stored is not None and stored["signed_at"] is not None:
        raise SignedSessionError()
    session.patient = patient
    old_rows = [] if stored is None else _session_rows(session)
    previous_plan = [] if stored is None else [stored["plan_id"]]
    session.save()  # its own audit entry, created or changed
    new_rows = [
        *(
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
        ),
        *(
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
        ),
        *(
            AdverseEvent(
                session=session,
                kind=row["kind"],
                severity=row["severity"],
                description=row.get("description", ""),
                action_taken=row.get("action_taken", ""),
            )
            for row in adverse_rows
        ),
    ]
    # The rows are replaced in bulk, which the audit log does not see: each row that really went or came
    # gets its own entry ("BL23 B", "GB30–GB34 2.0 Hz", "Bruising (Mild)"); an unchanged row, none.
    if old_rows:
        with disable_auditlog():
            for model in (SessionPoint, ElectroPair, AdverseEvent):
                model.objects.filter(session=session).delete()
    SessionPoint.objects.bulk_create([row for row in new_rows if isinstance(row, SessionPoint)])
    ElectroPair.objects.bulk_create([row for row in new_rows if isinstance(row, ElectroPair)])
    AdverseEvent.objects.bulk_create([row for row in new_rows if isinstance(row, AdverseEvent)])
    kept = {_row_key(row) for row in old_rows} & {_row_key(row) for row in new_rows}
    log_rows(
        created=[row for row in new_rows if _row_key(row) not in kept],
        deleted=[row for row in old_rows if _row_key(row) not in kept],
    )
    sessions_changed(plan_ids=[session.plan_id, *previous_plan])
    return session


def sessions_changed(*, plan_ids) -> None:
    """Count each plan's sessions again and mark its outcome summary out of date (it counts by session day).

    The plans are locked first, in id order, so two sessions saved at once are both counted: the second
    count is read after the first commits (each statement of a transaction sees what was committed before
    it). FOR NO KEY UPDATE is the lock the UPDATE takes anyway; it holds up no foreign-key check.
    """
    ids = sorted({pk for pk in plan_ids if pk is not None})
    with transaction.atomic(savepoint=False):
        list(TreatmentPlan.objects.select_for_update(no_key=True).filter(pk__in=ids).order_by("pk").values_list("pk"))
        count = Session.objects.filter(plan=OuterRef("pk")).order_by().values("plan").annotate(n=Count("pk"))
        TreatmentPlan.objects.filter(pk__in=ids).update(
            session_count=Coalesce(Subquery(count.values("n")), 0), outcome_stale=True
        )


def _session_rows(session: Session) -> list:
    """A session's points, electroacupuncture pairs and adverse events, as stored."""
    return [
        *SessionPoint.objects.filter(session=session).select_related("point"),
        *ElectroPair.objects.filter(session=session).select_related("point_a", "point_b"),
        *AdverseEvent.objects.filter(session=session),
    ]


def _row_key(row) -> tuple:
    """What a row says (its kind and columns, not its id or place): the same key is the same row."""
    fields = [f for f in type(row)._meta.concrete_fields if f.attname not in {"id", "session_id", "position"}]
    # As values, not text: a frequency typed as 2 is the stored 2.0.
    return (type(row).__name__, *(field.to_python(getattr(row, field.attname)) for field in fields))


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
    """A correction or addition to a signed note (an unsigned one is edited itself)."""
    if not session.is_signed:
        raise UnsignedSessionError("This session is not signed yet: edit the note itself.")
    return Addendum.objects.create(session=session, author=user, text=text)


@transaction.atomic
def record_payment(*, session: Session, amount, method: str, paid_on, user) -> Payment:
    """Money received for a signed session; the note stays locked, the payment has its own audit entry."""
    if not session.is_signed:
        raise UnsignedSessionError()
    return Payment.objects.create(session=session, amount=amount, method=method, paid_on=paid_on, recorded_by=user)


@transaction.atomic
def save_protocol(*, protocol: Protocol, points: list[Point]) -> Protocol:
    """A new protocol and its points, in order; each point row has its own audit entry."""
    protocol.save()
    rows = ProtocolPoint.objects.bulk_create(
        ProtocolPoint(protocol=protocol, point=point, position=i) for i, point in enumerate(points)
    )
    log_rows(created=rows)
    return protocol


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
