"""Billing rules: CPT units from one-on-one minutes and needle re-insertions, ICD-10-CM codes for back
pain (docs/clinical-rules.md, "Billing").

Pure functions: no database, no Django. The superbill and the session page both read from here.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

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

# Payers' NCCI procedure-to-procedure edits bundle manual therapy (97140) into acupuncture (97810-97814)
# on the same date of service. The edit may be bypassed only when the record shows the manual therapy
# was distinct: for Tui Na beside needling, given to a separate anatomic region. XS ("separate
# structure") is the subset of modifier 59 CMS prefers for exactly that, so the claim says why; it is
# never added without the session recording the separate region.
SEPARATE_STRUCTURE_MODIFIER = "XS"
# Printed beside a 97140 line that bundles: billed without a modifier, it is expected to be paid as part
# of the acupuncture codes (or denied as included in them), and says so rather than surprise the patient.
BUNDLED_NOTE = "No separate region recorded: expected to bundle into the acupuncture codes (NCCI)."

UNIT_MINUTES = 15
# A timed unit is billable once more than half of it was spent (the "8-minute rule").
MINIMUM_UNIT_MINUTES = 8


@dataclass(frozen=True)
class CptLine:
    code: str
    units: int
    modifiers: tuple[str, ...] = ()
    # True for 97140 beside acupuncture the same date with no separate region recorded (BUNDLED_NOTE).
    bundled: bool = False

    @property
    def description(self) -> str:
        return CPT_DESCRIPTIONS[self.code]

    @property
    def note(self) -> str:
        return BUNDLED_NOTE if self.bundled else ""


def timed_units(minutes: int) -> int:
    """Units of a 15-minute timed code: 0-7 min → 0, 8-22 → 1, 23-37 → 2, 38-52 → 3 ..."""
    if minutes < 0:
        raise ValueError("Minutes cannot be negative.")
    if minutes < MINIMUM_UNIT_MINUTES:
        return 0
    return (minutes + UNIT_MINUTES - MINIMUM_UNIT_MINUTES) // UNIT_MINUTES


def _acupuncture_lines(
    *, contact_minutes: int, reinsertions: int, electroacupuncture: bool, initial: bool
) -> list[CptLine]:
    """The initial code (if `initial` and there is a unit) and the add-on units `add_on_units` allows."""
    add_ons = add_on_units(contact_minutes=contact_minutes, reinsertions=reinsertions, initial=initial)
    if not timed_units(contact_minutes):
        return []
    initial_code, additional = (
        (ELECTRO_INITIAL, ELECTRO_ADDITIONAL) if electroacupuncture else (ACUPUNCTURE_INITIAL, ACUPUNCTURE_ADDITIONAL)
    )
    lines = [CptLine(initial_code, 1)] if initial else []
    if add_ons:
        lines.append(CptLine(additional, add_ons))
    return lines


def add_on_units(*, contact_minutes: int, reinsertions: int, initial: bool) -> int:
    """The add-on units (+97811 / +97814) one session may bill: time and re-insertions both limit them.

    Each add-on is "each additional 15 minutes ... with re-insertion of needles", so it needs both a
    further timed unit of one-on-one contact and a re-insertion. A session taking the initial code
    bills min(units - 1, reinsertions). A later session of the same day bills every unit as an add-on;
    its own first insertion is a new insertion of needles for the day, so its first unit counts as
    re-inserted and each further unit needs one of its `reinsertions`: min(units, 1 + reinsertions).
    """
    if reinsertions < 0:
        raise ValueError("Re-insertions cannot be negative.")
    units = timed_units(contact_minutes)
    if not units:
        return 0
    return min(units - 1, reinsertions) if initial else min(units, 1 + reinsertions)


def _manual_therapy_lines(*, tuina_minutes: int, acupuncture_same_day: bool, separate_region: bool) -> list[CptLine]:
    """97140 for the Tui Na minutes: XS only when acupuncture is billed the same date and the session
    records Tui Na to a region separate from the needling; beside acupuncture without it, no modifier and
    `bundled`; on a date without acupuncture, no modifier (there is nothing to bundle into)."""
    units = timed_units(tuina_minutes)
    if not units:
        return []
    if not acupuncture_same_day:
        return [CptLine(MANUAL_THERAPY, units)]
    if separate_region:
        return [CptLine(MANUAL_THERAPY, units, (SEPARATE_STRUCTURE_MODIFIER,))]
    return [CptLine(MANUAL_THERAPY, units, bundled=True)]


def cpt_lines(
    *,
    contact_minutes: int,
    electroacupuncture: bool,
    reinsertions: int,
    tuina_minutes: int = 0,
    tuina_separate_region: bool = False,
) -> list[CptLine]:
    """The claim lines for one session, as if it were the only session of its day.

    `contact_minutes` is personal one-on-one acupuncture time, not needle retention. With electrical
    stimulation 97813, otherwise 97810, for the first unit; then one add-on (+97814 / +97811) for each
    further unit of time that had a re-insertion of needles: min(units - 1, reinsertions) (see
    `add_on_units`). Tui Na minutes are billed on their own as 97140, with XS only when
    `tuina_separate_region` (see `_manual_therapy_lines`). A superbill reads `day_cpt_lines`, which also
    applies "one initial code per day" across the patient's other sessions of that date.
    """
    lines = _acupuncture_lines(
        contact_minutes=contact_minutes, reinsertions=reinsertions, electroacupuncture=electroacupuncture, initial=True
    )
    return lines + _manual_therapy_lines(
        tuina_minutes=tuina_minutes, acupuncture_same_day=bool(lines), separate_region=tuina_separate_region
    )


@dataclass(frozen=True)
class SessionTime:
    """One session as the day's billing rule sees it: plain values, no model."""

    id: int
    service_date: date  # the local date of service, as printed on the superbill
    started_at: datetime
    contact_minutes: int
    electroacupuncture: bool
    reinsertions: int  # needle re-insertions recorded on the session
    tuina_minutes: int = 0
    tuina_separate_region: bool = False  # the practitioner recorded Tui Na to a region apart from the needling


def day_cpt_lines(sessions: Iterable[SessionTime]) -> dict[int, list[CptLine]]:
    """The claim lines of each of one patient's sessions, by session id, with one initial code per day.

    Sessions are grouped by date of service and ordered by `started_at`, then id:

    - The initial code (97810 or 97813) goes to the first session of the day with a billable unit
      (at least MINIMUM_UNIT_MINUTES of one-on-one contact). A session under that minimum bills no
      acupuncture code and does not take the initial code: an add-on cannot be billed without it.
    - Every unit of every later session that day is an add-on: +97814 if that session used electrical
      stimulation, otherwise +97811 (CPT allows either add-on with either initial code). Units are
      `timed_units` of each session's own contact minutes, as for a single session.
    - Each add-on needs a re-insertion of needles as well as its 15 minutes (`add_on_units`). The
      session with the initial code bills min(units - 1, reinsertions) add-ons. A later session's
      first unit begins with a new insertion of needles, so it counts as re-inserted for the day; each
      further unit needs one of that session's re-insertions: min(units, 1 + reinsertions). A later
      session of 30 minutes with no re-insertion bills one add-on; with one, two.
    - Electrical stimulation: the initial code describes the first 15 minutes performed, so it follows
      the session that takes it and is never changed by a later one. When the first session had no
      stimulation and a later one did, the day bills 97810 and the later session's units as +97814;
      97810 is never raised to 97813 for time that was performed without stimulation (CMS guidance;
      the conservative choice), and the day never carries both 97810 and 97813.
    - Tui Na (97140) beside acupuncture billed on the same date, in the same session or another (payers'
      NCCI edits bundle by date of service, not by visit), carries XS only when its session records the
      Tui Na given to a region separate from the needling; otherwise it has no modifier and is marked
      `bundled`. On a date without acupuncture it has no modifier.
    """
    by_day: dict[date, list[SessionTime]] = defaultdict(list)
    for session in sessions:
        by_day[session.service_date].append(session)
    result: dict[int, list[CptLine]] = {}
    for day in by_day.values():
        day.sort(key=lambda session: (session.started_at, session.id))
        acupuncture_same_day = any(timed_units(session.contact_minutes) for session in day)
        initial_billed = False
        for session in day:
            if session.id in result:
                raise ValueError(f"Session {session.id} is listed twice.")
            lines = _acupuncture_lines(
                contact_minutes=session.contact_minutes,
                reinsertions=session.reinsertions,
                electroacupuncture=session.electroacupuncture,
                initial=not initial_billed,
            )
            initial_billed = initial_billed or bool(lines)
            lines += _manual_therapy_lines(
                tuina_minutes=session.tuina_minutes,
                acupuncture_same_day=acupuncture_same_day,
                separate_region=session.tuina_separate_region,
            )
            result[session.id] = lines
    return result


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

# The categories the clinic codes from, with every billable child in ICD-10-CM (the codes of M54.3,
# M54.4 and M54.5 are all in COMMON_ICD10; M54.1 and M51.1 have further regions). A code in one of these
# categories must be one of its children: M54.5X, M54.52 or M54.500 would pass the shape check alone and
# be denied by the payer.
BILLABLE_CHILDREN: dict[str, tuple[str, ...]] = {
    "M54.1": ("M54.10", "M54.11", "M54.12", "M54.13", "M54.14", "M54.15", "M54.16", "M54.17", "M54.18"),
    "M54.3": ("M54.30", "M54.31", "M54.32"),
    "M54.4": ("M54.40", "M54.41", "M54.42"),
    "M54.5": ("M54.50", "M54.51", "M54.59"),
    "M51.1": ("M51.14", "M51.15", "M51.16", "M51.17"),
}
_CATEGORY_LENGTH = len("M54.5")


def _choices(codes: tuple[str, ...]) -> str:
    return f"{', '.join(codes[:-1])} or {codes[-1]}"


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
    children = BILLABLE_CHILDREN.get(code[:_CATEGORY_LENGTH])
    if children and code not in children:
        raise ValueError(f"{code} is not a billable code; use {_choices(children)}.")
    return code


def describe_icd10(code: str) -> str:
    return _COMMON.get(code, "")


# --- ICD-10-CM Excludes1 ---------------------------------------------------------------------


@dataclass(frozen=True)
class Excludes1:
    """One Excludes1 note of the tabular list: codes under `at` are never coded with codes under `excludes`.

    Both cover every code that starts with them ("M54.4-" covers M54.40-M54.42, "S39.012" covers
    S39.012A/D/S); `excludes` is written as the tabular list writes it, with a dash where it has children.
    The note is the same rule read from either side.
    """

    at: str  # the category whose note it is, e.g. "M54.5"
    at_title: str  # its title, lower case, as the message names it
    excludes: str  # the excluded category or code, e.g. "M54.4-"
    excluded_title: str  # the excluded condition, as the note words it

    def forbids(self, first: str, second: str) -> bool:
        excluded = self.excludes.rstrip("-")
        return (first.startswith(self.at) and second.startswith(excluded)) or (
            second.startswith(self.at) and first.startswith(excluded)
        )


# Checked against the ICD-10-CM tabular list, FY2025-FY2026 (docs/clinical-rules.md, "Billing", has the
# table and its sources). Only notes confirmed there are encoded: a pair not listed here is allowed.
EXCLUDES1: tuple[Excludes1, ...] = (
    Excludes1("M54.1", "radiculopathy", "M51.1-", "radiculopathy with lumbar and other intervertebral disc disorder"),
    Excludes1("M54.1", "radiculopathy", "M50.1-", "radiculopathy with cervical disc disorder"),
    Excludes1("M54.1", "radiculopathy", "M47.2-", "radiculopathy with spondylosis"),
    Excludes1("M54.1", "radiculopathy", "M79.2", "neuralgia and neuritis NOS"),
    Excludes1("M54.3", "sciatica", "G57.0", "lesion of sciatic nerve"),
    Excludes1("M54.3", "sciatica", "M51.1-", "sciatica due to intervertebral disc disorder"),
    Excludes1("M54.3", "sciatica", "M54.4-", "sciatica with lumbago"),
    Excludes1(
        "M54.3", "sciatica", "M51.361", "intervertebral disc degeneration, lumbar region with lower extremity pain only"
    ),
    Excludes1(
        "M54.3",
        "sciatica",
        "M51.371",
        "intervertebral disc degeneration, lumbosacral region with lower extremity pain only",
    ),
    Excludes1("M54.4", "lumbago with sciatica", "M51.1-", "lumbago with sciatica due to intervertebral disc disorder"),
    Excludes1(
        "M54.4",
        "lumbago with sciatica",
        "M51.362",
        "intervertebral disc degeneration, lumbar region with discogenic back pain and lower extremity pain",
    ),
    Excludes1(
        "M54.4",
        "lumbago with sciatica",
        "M51.372",
        "intervertebral disc degeneration, lumbosacral region with discogenic back pain and lower extremity pain",
    ),
    Excludes1("M54.5", "low back pain", "S39.012", "low back strain"),
    Excludes1("M54.5", "low back pain", "M51.2-", "lumbago due to intervertebral disc displacement"),
    Excludes1("M54.5", "low back pain", "M54.4-", "lumbago with sciatica"),
    Excludes1(
        "M54.5",
        "low back pain",
        "M51.360",
        "intervertebral disc degeneration, lumbar region with discogenic back pain only",
    ),
    Excludes1(
        "M54.5",
        "low back pain",
        "M51.370",
        "intervertebral disc degeneration, lumbosacral region with discogenic back pain only",
    ),
)


def excludes1_conflicts(codes: Iterable[str]) -> list[str]:
    """A message for each pair of the (normalised) codes that an Excludes1 note forbids on one claim.

    Each message names both codes as typed, in their order, and the note: "M54.41 and M54.50 cannot be
    billed together: ICD-10-CM Excludes1 at M54.5 (low back pain) excludes lumbago with sciatica (M54.4-)."
    """
    codes = list(dict.fromkeys(codes))
    messages = []
    for i, first in enumerate(codes):
        for second in codes[i + 1 :]:
            note = next((note for note in EXCLUDES1 if note.forbids(first, second)), None)
            if note is not None:
                messages.append(
                    f"{first} and {second} cannot be billed together: ICD-10-CM Excludes1 at {note.at} "
                    f"({note.at_title}) excludes {note.excluded_title} ({note.excludes})."
                )
    return messages
