"""Safety rules for a session being logged, as pure functions over what the form holds.

The intake says what is true of the patient (`intake.safety.precautions`); these rules say what
that forbids in this session (docs/clinical-rules.md, "Contraindications and precautions").
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from intake.models import Modality
from intake.rules import (
    CAUTION,
    PREGNANCY_FORBIDDEN_POINTS,
    PREGNANCY_FORBIDDEN_REGIONS,
    TRUNK_REGIONS,
    Precaution,
)


@dataclass(frozen=True)
class PlannedPoint:
    code: str
    region: str


@dataclass(frozen=True)
class Problem:
    field: str  # the form field the message belongs beside ("__all__" for the whole form)
    message: str


def _codes(points: Iterable[PlannedPoint]) -> str:
    return ", ".join(sorted({p.code for p in points}))


def pregnancy_blocked_points(points: Iterable[PlannedPoint]) -> list[PlannedPoint]:
    return [p for p in points if p.code in PREGNANCY_FORBIDDEN_POINTS or p.region in PREGNANCY_FORBIDDEN_REGIONS]


def trunk_points(points: Iterable[PlannedPoint]) -> list[PlannedPoint]:
    return [p for p in points if p.region in TRUNK_REGIONS]


def session_problems(
    *,
    precautions: Sequence[Precaution],
    points: Sequence[PlannedPoint] = (),
    electro_points: Sequence[PlannedPoint] = (),
    moxibustion_points: Sequence[PlannedPoint] = (),
    override_reason: str = "",
    cautions_acknowledged: bool = False,
    modalities_used: Iterable[str] = (),
    consented: Iterable[str] | None = None,
) -> list[Problem]:
    """Everything that stops this session from being saved, each with the field it belongs to."""
    problems: list[Problem] = []
    keys = {p.key for p in precautions}
    if "pregnancy" in keys:
        # A blocked point is blocked however it is stimulated: needled, wired for electroacupuncture or warmed.
        blocked = pregnancy_blocked_points([*points, *electro_points, *moxibustion_points])
        if blocked and not override_reason.strip():
            problems.append(
                Problem(
                    "override_reason",
                    f"Pregnancy: {_codes(blocked)} {'is' if len({p.code for p in blocked}) == 1 else 'are'} blocked. "
                    "Remove them or record the clinical reason for overriding.",
                )
            )
        on_trunk = trunk_points(electro_points)
        if on_trunk:
            problems.append(Problem("electro", f"Pregnancy: no electroacupuncture on the trunk ({_codes(on_trunk)})."))
    if "implanted_device" in keys and electro_points:
        problems.append(
            Problem("electro", "Pacemaker or implanted electrical device: electroacupuncture is not allowed.")
        )
    cautions = [p for p in precautions if p.level == CAUTION]
    if cautions and not cautions_acknowledged:
        labels = "; ".join(p.label for p in cautions)
        problems.append(Problem("cautions_acknowledged", f"Acknowledge the cautions before saving: {labels}."))
    if consented is not None:
        missing = [m for m in Modality if m in set(modalities_used) and m not in set(consented)]
        for modality in missing:
            problems.append(
                Problem("__all__", f"No consent to {modality.in_sentence} is on record in the current intake.")
            )
    return problems
