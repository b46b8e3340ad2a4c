"""The questionnaires as versioned data (outcomes/data/*.json), loaded once and checked on load."""

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"
ODI_VERSION = "2.1a"
ODI_SECTION_KEYS = (
    "pain_intensity",
    "personal_care",
    "lifting",
    "walking",
    "sitting",
    "standing",
    "sleeping",
    "sex_life",
    "social_life",
    "travelling",
)


@dataclass(frozen=True)
class OdiSection:
    key: str
    title: str
    statements: tuple[str, ...]
    optional: bool = False


@dataclass(frozen=True)
class Odi:
    version: str
    title: str
    copyright: str
    instructions: str
    sections: tuple[OdiSection, ...]


@dataclass(frozen=True)
class CaudaEquinaQuestion:
    key: str
    text: str


def _load(name: str) -> dict:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


@cache
def odi() -> Odi:
    raw = _load("odi_2_1a.json")
    sections = tuple(
        OdiSection(s["key"], s["title"], tuple(s["statements"]), s.get("optional", False)) for s in raw["sections"]
    )
    if raw["version"] != ODI_VERSION:
        raise ValueError(f"ODI data is version {raw['version']}, the app scores {ODI_VERSION}.")
    if tuple(s.key for s in sections) != ODI_SECTION_KEYS:
        raise ValueError("ODI data must hold the ten sections in the standard order.")
    if any(len(s.statements) != 6 for s in sections):
        raise ValueError("Every ODI section must have six statements, scored 0-5.")
    return Odi(raw["version"], raw["title"], raw["copyright"], raw["instructions"], sections)


@cache
def _cauda_equina() -> dict:
    return _load("cauda_equina.json")


def cauda_equina_questions() -> tuple[CaudaEquinaQuestion, ...]:
    return tuple(CaudaEquinaQuestion(q["key"], q["text"]) for q in _cauda_equina()["questions"])


def cauda_equina_intro() -> str:
    return _cauda_equina()["intro"]
