"""Parsing of the registry's single search box (pure functions, no database)."""

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime

_DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%m-%d-%Y", "%m/%d/%y")


# Marks that spell a name but nobody types the same way: apostrophes (O'Brien, O’Brien), full stops (St. John).
_SILENT = str.maketrans("", "", "'’‘`´.")


def fold(text: str) -> str:
    """A name as the search compares it: lower case, accents off, apostrophes and full stops dropped, any
    other mark a space. "Bergström" and "bergstrom" are "bergstrom"; "O’Brien" and "obrien" are "obrien";
    "Quennell-Marsh" is "quennell marsh"."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    letters = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold().translate(_SILENT)
    # ß casefolds to "ss"; ø, æ, đ, ł have no decomposition, so they are spelled out as people type them.
    letters = letters.translate(str.maketrans({"ø": "o", "æ": "ae", "đ": "d", "ł": "l", "ı": "i"}))
    return " ".join(re.sub(r"[^\w]+", " ", letters).split())


@dataclass(frozen=True)
class ParsedQuery:
    words: list[str] = field(default_factory=list)
    numbers: list[str] = field(default_factory=list)
    date_of_birth: date | None = None


def parse_date(text: str) -> date | None:
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def parse_query(query: str) -> ParsedQuery:
    """Split a query into name words, digit runs and at most one date of birth.

    "smith 1984-03-02" -> words ["smith"], date 1984-03-02; "(555) 010-2244" -> numbers
    ["5550102244"]; "P000123" -> words ["P000123"] (a chart number is matched exactly).
    """
    words: list[str] = []
    numbers: list[str] = []
    dob: date | None = None
    text = (query or "").strip()[:200]
    # A phone number typed with spaces and brackets is one number, not several.
    if re.fullmatch(r"[\d\s()+.\-]{7,}", text) and not parse_date(text):
        digits = re.sub(r"\D", "", text)
        return ParsedQuery(numbers=[digits] if digits else [])
    for token in text.replace(",", " ").split():
        as_date = parse_date(token)
        if as_date and dob is None:
            dob = as_date
        elif token.isdigit():
            numbers.append(token)
        else:
            word = re.sub(r"[^\w'\-]", "", token)
            if word:
                words.append(word)
    return ParsedQuery(words=words, numbers=numbers, date_of_birth=dob)
