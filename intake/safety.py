"""What the treatment log asks the intake before a session: the intake's read API for safety (it reads
the database; the rules themselves are the pure functions of intake/rules.py).

`may_treat(patient)` says whether needling may go ahead and why not (`decision_for` the same, for an
intake the caller has read); `treatment_check(patient)` gives the decision, the active contraindications
and cautions, and the modalities consented to, from one read of the intake. Besides this module,
treatments reads only the intake's vocabulary (`intake.models.Modality`, `TcmPattern`, `intake.rules`).
"""

from dataclasses import dataclass, field

from clinic.models import Patient
from intake import rules
from intake.models import ClinicalAssessment, Intake, Referral, ReferralOutcome


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reasons: list[str] = field(default_factory=list)
    referral: Referral | None = None  # the referral to deal with, when one blocks treatment

    def __bool__(self) -> bool:
        return self.allowed


def may_treat(patient: Patient) -> Decision:
    return decision_for(patient, Intake.objects.current_for(patient))


def decision_for(patient: Patient, intake: Intake | None) -> Decision:
    """The decision for the patient's current intake (as the caller read it) and their referrals as
    they are now: a red flag recorded a moment ago has opened a referral, which stops treatment."""
    if intake is None:
        return Decision(False, ["No intake with a red-flag screen is on record for this patient."])
    if rules.unanswered_red_flags(intake.red_flag_answers):
        return Decision(False, ["The red-flag screen of the current intake is incomplete."])
    referrals = list(Referral.objects.filter(patient=patient).order_by("-opened_at", "-id"))
    for referral in referrals:
        if referral.is_open:
            return Decision(
                False,
                [f"Urgent referral open since {referral.opened_at:%Y-%m-%d}: {referral.reason}"],
                referral,
            )
    latest_closed = next((r for r in referrals if not r.is_open), None)
    if latest_closed is not None and latest_closed.outcome == ReferralOutcome.NOT_TO_TREAT:
        return Decision(
            False,
            [f"The referral closed on {latest_closed.closed_at:%Y-%m-%d} recorded: not to treat."],
            latest_closed,
        )
    try:
        assessment = intake.assessment
    except ClinicalAssessment.DoesNotExist:
        assessment = None
    covered = {flag for referral in referrals for flag in referral.flags}
    uncovered = [flag for flag in intake.positive_red_flags(assessment) if flag not in covered]
    if uncovered:
        # Defensive: the services always open a referral, but data could arrive another way.
        return Decision(False, [f"Red flags without a referral: {rules.describe_flags(uncovered)}"])
    return Decision(True)


@dataclass(frozen=True)
class TreatmentCheck:
    """All three answers at once, from one read of the current intake (the session form needs them all)."""

    decision: Decision | None
    precautions: list[rules.Precaution]
    consented: set[str]
    intake: Intake | None = None


def treatment_check(patient: Patient, *, decide: bool = True) -> TreatmentCheck:
    """decide=False leaves `decision` None, for a caller whose service decides in its own transaction."""
    intake = Intake.objects.current_for(patient)
    decision = decision_for(patient, intake) if decide else None
    if intake is None:
        return TreatmentCheck(decision, [], set())
    consented = set(intake.consents.values_list("modality", flat=True))
    return TreatmentCheck(decision, intake.precautions, consented, intake)
