"""Acupuncture point codes: spelling normalisation, reference-data loading and suggestions.

Pure Python (no Django imports) so it can be used from a data migration, forms and plain unit tests.

Reference data: ``treatments/data/points.csv`` holds the 361 points of the WHO Standard Acupuncture
Point Locations (2008), WHO numbering (BL41-BL54 are the outer line, GV has 28 points ending with
GV28 Yinjiao, Yintang is the extra point EX-HN3, not a GV point), plus the 48 extra points of the WHO
Standard Acupuncture Nomenclature (EX-HN1..15, EX-CA1, EX-B1..9, EX-UE1..11, EX-LE1..12).
Pinyin and hanzi were checked against the WHO 2008 text; English names mostly follow
Ellis/Wiseman/Boss ("Union Valley", "Bend Middle", "Jumping Round"), with "X Shu" for the back-shu
points and Deadman's "Upper/Middle/Lower Cavity" for CV13/CV12/CV10.

Region decisions (the ``region`` column drives pregnancy and electroacupuncture safety rules:
lower_abdomen and lumbosacral are blocked in pregnancy; electroacupuncture is blocked on the trunk,
i.e. chest, upper_abdomen, lower_abdomen, upper_back and lumbosacral). When in doubt a point was put
in the more restrictive region:

* lower_abdomen: everything on the front of the trunk at or below the umbilicus, the umbilical
  level included (CV1-CV8, ST25-ST30, KI11-KI16, SP12-SP15, GB26-GB28, LR12, EX-CA1 Zigong). WHO
  calls CV8/ST25/KI16/SP15 "upper abdomen"; they are lower_abdomen here on purpose. CV1 Huiyin
  (perineum) is lower_abdomen too.
* upper_abdomen: above the umbilicus up to the xiphoid (CV9-CV15, ST19-ST24, KI17-KI21, SP16) and
  LR13 (free end of the 11th rib).
* chest: the thoracic cage front and side (LU1-LU2, ST12-ST18, SP17-SP21, KI22-KI27, PC1,
  GB22-GB24, LR14, CV16-CV21). ST12 Quepen is "neck" for WHO (supraclavicular fossa) but chest here.
* lumbosacral: the back from L1 down, the sacrum and coccyx (BL22-BL35, BL51-BL54, GV1-GV5, GB25,
  EX-B4..EX-B9), and also, conservatively, GB29 Juliao and GB30 Huantiao (WHO "buttock region") and
  EX-B2 Jiaji, which spans T1-L5. Other buttock/thigh points (BL36 and below) are lower_limb.
* upper_back: the back from C7 to T12 (BL11-BL21, BL41-BL50, GV6-GV14, EX-B1, EX-B3), the scapula
  and the top of the shoulder (SI9-SI15, LI16, TE15, GB21). GV14 Dazhui and GB21 Jianjing are
  "posterior neck" for WHO but upper_back (trunk) here.
* neck: LI17-LI18, ST9-ST11, SI16-SI17, BL10, TE16-TE17, GB12, GB20, GV15-GV16, CV22-CV23,
  EX-HN15 (TE17 and GB12 follow WHO's "anterior region of the neck").
* upper_limb: arm and hand including the axilla (HT1) and the deltoid over the shoulder joint
  (LI15, TE14); lower_limb: hip joint, thigh, leg and foot from BL36/ST31/LR10/LR11/SP11 down.

The region only captures anatomy. Points that are forbidden in pregnancy for other reasons (LI4,
SP6, BL60, BL67, GB21, ...) need their own rule elsewhere.
"""

from __future__ import annotations

import csv
import difflib
import os
import re
import unicodedata
from collections.abc import Iterable
from pathlib import Path
from typing import TypedDict

MERIDIAN_COUNTS: dict[str, int] = {
    "LU": 11,
    "LI": 20,
    "ST": 45,
    "SP": 21,
    "HT": 9,
    "SI": 19,
    "BL": 67,
    "KI": 27,
    "PC": 9,
    "TE": 23,
    "GB": 44,
    "LR": 14,
    "GV": 28,
    "CV": 24,
}

# Other spellings of the meridian prefixes, mapped to the WHO ones. Only unambiguous ones: they are
# neither a WHO prefix nor used for a different meridian in a common (English, French, German,
# Chinese pinyin) notation. Deliberately NOT aliased: P (Pericardium in English shorthand, but Lung
# in French "Poumon"), S (Stomach or Spleen), L (Lung, Liver or Large intestine), B (Bladder, but
# also easily confused with EX-B), R (Ren or French "Rein" = Kidney), C, E, F, G, V, VB, VG, VC, MC,
# IG, GI, RP, TR (French notation, several of which clash with English abbreviations).
ALIASES: dict[str, str] = {
    "SJ": "TE",  # San Jiao
    "TB": "TE",  # Triple Burner
    "TW": "TE",  # Triple Warmer
    "TH": "TE",  # Triple Heater
    "LIV": "LR",
    "LV": "LR",
    "DU": "GV",  # Du Mai
    "REN": "CV",  # Ren Mai
    "RN": "CV",
    "UB": "BL",  # Urinary Bladder
    "K": "KI",
    "H": "HT",
    "HE": "HT",
    "PE": "PC",
    "HC": "PC",  # Heart Constrictor
}

# Body regions used by the extra points' codes (EX-HN3, EX-CA1, EX-B2, EX-UE7, EX-LE10).
EX_REGIONS: tuple[str, ...] = ("HN", "CA", "B", "UE", "LE")

# Values allowed in the CSV's ``region`` column.
REGIONS: tuple[str, ...] = (
    "head",
    "neck",
    "chest",
    "upper_abdomen",
    "lower_abdomen",
    "upper_back",
    "lumbosacral",
    "upper_limb",
    "lower_limb",
)

DEFAULT_POINTS_CSV: Path = Path(__file__).resolve().parent / "data" / "points.csv"

CSV_COLUMNS: tuple[str, ...] = ("code", "meridian", "number", "pinyin", "hanzi", "english", "region")

_MAX_NUMBER = 999

# Whitespace, hyphens/dashes (ASCII and Unicode), underscores, dots and slashes separate parts of a code.
_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212_./]+")
_EX_CODE = re.compile(r"EX(HN|CA|UE|LE|B)([0-9]+)", re.ASCII)
_MERIDIAN_CODE = re.compile(r"([A-Z]+)([0-9]+)", re.ASCII)
_CANONICAL = re.compile(r"(EX-(?:HN|CA|UE|LE|B)|[A-Z]+)([0-9]+)", re.ASCII)


class PointRow(TypedDict):
    code: str
    meridian: str
    number: int
    pinyin: str
    hanzi: str
    english: str
    region: str


def _parse_number(digits: str) -> int | None:
    number = int(digits)
    if 1 <= number <= _MAX_NUMBER:
        return number
    return None


def normalise_point_code(raw: str) -> str | None:
    """Return the canonical spelling of a point code (``BL23``, ``TE5``, ``EX-B2``), or None.

    Case, surrounding and inner spaces, hyphens, dots, zero padding and full-width characters are
    ignored, and the aliases in ``ALIASES`` are mapped to the WHO prefixes. Whether the point exists
    is not checked: ``BL99`` comes back as ``BL99``.
    """
    if not isinstance(raw, str):
        return None
    text = unicodedata.normalize("NFKC", raw).upper()
    compact = _SEPARATORS.sub("", text)
    if not compact:
        return None

    ex_match = _EX_CODE.fullmatch(compact)
    if ex_match:
        number = _parse_number(ex_match.group(2))
        return None if number is None else f"EX-{ex_match.group(1)}{number}"

    match = _MERIDIAN_CODE.fullmatch(compact)
    if not match:
        return None
    prefix = match.group(1)
    if prefix not in MERIDIAN_COUNTS:
        prefix = ALIASES.get(prefix, "")
        if not prefix:
            return None
    number = _parse_number(match.group(2))
    return None if number is None else f"{prefix}{number}"


# A list of codes splits at commas and semicolons, and at a space before a letter ("BL 23 GB30": BL 23, GB30).
_LIST_SEPARATORS = re.compile(r"[,;]+|\s+(?=[^\W\d_])")


def split_point_codes(text: str) -> list[str]:
    """The codes typed in one box, in order, each as typed (``"bl 23, GB30 ST36"``: three codes)."""
    text = unicodedata.normalize("NFKC", text or "")
    return [part.strip() for part in _LIST_SEPARATORS.split(text) if part.strip()]


def load_points_csv(path: str | os.PathLike[str] | None = None) -> list[PointRow]:
    """Read the point reference CSV (default ``treatments/data/points.csv``) with ``number`` as int."""
    csv_path = Path(path) if path is not None else DEFAULT_POINTS_CSV
    rows: list[PointRow] = []
    with csv_path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [column for column in CSV_COLUMNS if column not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f"{csv_path}: missing column(s) {', '.join(missing)}")
        for line_number, record in enumerate(reader, start=2):
            try:
                number = int(record["number"])
            except (TypeError, ValueError) as exc:
                raise ValueError(f"{csv_path}:{line_number}: bad number {record['number']!r}") from exc
            rows.append(
                PointRow(
                    code=record["code"].strip(),
                    meridian=record["meridian"].strip(),
                    number=number,
                    pinyin=record["pinyin"].strip(),
                    hanzi=record["hanzi"].strip(),
                    english=record["english"].strip(),
                    region=record["region"].strip(),
                )
            )
    return rows


def _split_code(code: str) -> tuple[str, int] | None:
    match = _CANONICAL.fullmatch(code)
    if not match:
        return None
    return match.group(1), int(match.group(2))


def suggest(code: str, known: Iterable[str], limit: int = 3) -> list[str]:
    """Near matches among ``known`` codes for a code that was not found.

    Codes on the same meridian (or the same extra-point region) come first, nearest number first
    (``BL68`` -> ``BL67``, ``BL66``, ``BL65``); the rest is filled from ``difflib`` string similarity.
    If the code, once normalised, is itself known, it is the only suggestion.
    """
    if limit <= 0:
        return []
    candidates = list(dict.fromkeys(known))
    target = normalise_point_code(code) or (code.strip().upper() if isinstance(code, str) else "")
    if not target:
        return []
    if target in candidates:
        return [target]

    results: list[str] = []
    parts = _split_code(target)
    if parts is not None:
        prefix, number = parts
        same_prefix: list[tuple[int, int, str]] = []
        for candidate in candidates:
            candidate_parts = _split_code(candidate)
            if candidate_parts is not None and candidate_parts[0] == prefix:
                same_prefix.append((abs(candidate_parts[1] - number), candidate_parts[1], candidate))
        results = [candidate for _, _, candidate in sorted(same_prefix)[:limit]]

    if len(results) < limit:
        remaining = [candidate for candidate in candidates if candidate not in results]
        results.extend(difflib.get_close_matches(target, remaining, n=limit - len(results), cutoff=0.5))
    return results
