"""Billing rules: CPT units from one-on-one minutes, ICD-10-CM codes for back pain (DESIGN section 3).

Pure functions: no database, no Django. The superbill and the session page both read from here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ACUPUNCTURE_INITIAL = "97810"
ACUPUNCTURE_ADDITIONAL = "97811"
ELECTRO_INITIAL = "97813"
ELECTRO_ADDITIONAL = "97814"
MANUAL_THERAPY = "97140"

CPT_DESCRIPTIONS: dict[str, str] = {
    ACUPUNCTURE_INITIAL: "Acupuncture, without electrical stimulation, initial 15 minutes",
    ACUPUNCTURE_ADDITIONAL: "Acupuncture, without electrical stimulation, each additional 15 minutes",
    ELECTRO_INITIAL: "Acupuncture, with electrical stimulation, initial 15 minutes",
    ELECTRO_ADDITIONAL: "Acupuncture, with electrical stimulation, each additional 15 minutes",
    MANUAL_THERAPY: "Manual therapy (Tui Na), each 15 minutes",
}

# Manual therapy on the same day as acupuncture is a distinct service; payers' NCCI edits
# bundle 97140 into 97810-97814 unless the claim line carries modifier 59.
DISTINCT_SERVICE_MODIFIER = "59"

UNIT_MINUTES = 15
# A timed unit is billable once more than half of it was spent (the "8-minute rule").
MINIMUM_UNIT_MINUTES = 8


@dataclass(frozen=True)
class CptLine:
    code: str
    units: int
    modifiers: tuple[str, ...] = ()

    @property
    def description(self) -> str:
        return CPT_DESCRIPTIONS[self.code]


def timed_units(minutes: int) -> int:
    """Units of a 15-minute timed code: 0-7 min → 0, 8-22 → 1, 23-37 → 2, 38-52 → 3 ..."""
    if minutes < 0:
        raise ValueError("Minutes cannot be negative.")
    if minutes < MINIMUM_UNIT_MINUTES:
        return 0
    return (minutes + UNIT_MINUTES - MINIMUM_UNIT_MINUTES) // UNIT_MINUTES


def cpt_lines(*, contact_minutes: int, electroacupuncture: bool, tuina_minutes: int = 0) -> list[CptLine]:
    """The claim lines for one session.

    `contact_minutes` is personal one-on-one acupuncture time, not needle retention. One initial code
    per day: with electrical stimulation 97813 (+97814 per further unit), otherwise 97810 (+97811);
    never both initial codes. Tui Na minutes are billed on their own as 97140.
    """
    lines: list[CptLine] = []
    units = timed_units(contact_minutes)
    if units:
        initial, additional = (
            (ELECTRO_INITIAL, ELECTRO_ADDITIONAL)
            if electroacupuncture
            else (ACUPUNCTURE_INITIAL, ACUPUNCTURE_ADDITIONAL)
        )
        lines.append(CptLine(initial, 1))
        if units > 1:
            lines.append(CptLine(additional, units - 1))
    manual_units = timed_units(tuina_minutes)
    if manual_units:
        modifiers = (DISTINCT_SERVICE_MODIFIER,) if lines else ()
        lines.append(CptLine(MANUAL_THERAPY, manual_units, modifiers))
    return lines


# --- ICD-10-CM -------------------------------------------------------------------------------

COMMON_ICD10: tuple[tuple[str, str], ...] = (
    ("M54.30", "Sciatica, unspecified side"),
    ("M54.31", "Sciatica, right side"),
    ("M54.32", "Sciatica, left side"),
    ("M54.40", "Lumbago with sciatica, unspecified side"),
    ("M54.41", "Lumbago with sciatica, right side"),
    ("M54.42", "Lumbago with sciatica, left side"),
    ("M54.50", "Low back pain, unspecified"),
    ("M54.51", "Vertebrogenic low back pain"),
    ("M54.59", "Other low back pain"),
    ("M54.16", "Radiculopathy, lumbar region"),
    ("M54.17", "Radiculopathy, lumbosacral region"),
    ("M51.16", "Intervertebral disc disorders with radiculopathy, lumbar region"),
    ("M51.17", "Intervertebral disc disorders with radiculopathy, lumbosacral region"),
)
_COMMON = dict(COMMON_ICD10)

# Categories that have children cannot be billed; name the billable children instead.
NON_BILLABLE: dict[str, str] = {
    "M54.5": "M54.5 was deleted in October 2021; use M54.50, M54.51 or M54.59.",
    "M54.3": "M54.3 is a category; use M54.30, M54.31 or M54.32.",
    "M54.4": "M54.4 is a category; use M54.40, M54.41 or M54.42.",
    "M54.1": "M54.1 is a category; name the region, such as M54.16 or M54.17.",
    "M51.1": "M51.1 is a category; name the region, such as M51.16 or M51.17.",
    "M54": "M54 is a chapter heading; use a full code such as M54.50.",
    "M51": "M51 is a chapter heading; use a full code such as M51.16.",
}

# Letter, two digits (the second may be a letter in a few chapters), then an optional dot and 1-4
# characters: the shape of an ICD-10-CM code such as M54.50, S33.5XXA or Z79.01.
_ICD10 = re.compile(r"^([A-TV-Z][0-9][0-9AB])(?:\.?([0-9A-Z]{1,4}))?$")


def normalise_icd10(raw: str) -> str:
    """` m5450 ` → `M54.50`; the shape is checked by `validate_icd10`."""
    code = re.sub(r"\s+", "", raw).upper()
    match = _ICD10.match(code)
    if not match:
        return code
    category, detail = match.groups()
    return f"{category}.{detail}" if detail else category


def validate_icd10(raw: str) -> str:
    """The normalised code, or ValueError with a message a clinician can act on."""
    code = normalise_icd10(raw)
    if not _ICD10.match(code):
        raise ValueError(f"“{raw.strip()}” is not an ICD-10-CM code (a letter, two digits, a dot and up to four more).")
    if code in NON_BILLABLE:
        raise ValueError(NON_BILLABLE[code])
    return code


def describe_icd10(code: str) -> str:
    return _COMMON.get(code, "")
