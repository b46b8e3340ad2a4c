"""Clinical rules of the intake as pure functions (docs/clinical-rules.md). No database, no Django models.

Each rule is small enough to test one case at a time: red flags, the PHQ-9 total and band,
the duration category of the pain, and the precautions a session must respect.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

# --- red flags -------------------------------------------------------------------------------

CAUDA_EQUINA = "cauda_equina"
SERIOUS_PATHOLOGY = "serious_pathology"


@dataclass(frozen=True)
class RedFlag:
    key: str
    group: str
    label: str
    question: str


RED_FLAGS: tuple[RedFlag, ...] = (
    RedFlag(
        "saddle_anaesthesia",
        CAUDA_EQUINA,
        "Saddle anaesthesia",
        "Numbness or tingling between the legs, around the back passage or genitals (saddle area)?",
    ),
    RedFlag(
        "bladder_dysfunction",
        CAUDA_EQUINA,
        "New bladder dysfunction",
        "New difficulty passing urine, or leaking urine without control?",
    ),
    RedFlag(
        "bowel_incontinence",
        CAUDA_EQUINA,
        "New bowel incontinence",
        "New loss of control of the bowels?",
    ),
    RedFlag(
        "bilateral_sciatica",
        CAUDA_EQUINA,
        "Bilateral sciatica",
        "Pain, numbness or tingling going down both legs?",
    ),
    RedFlag(
        "motor_weakness",
        CAUDA_EQUINA,
        "Progressive or severe motor weakness",
        "Weakness in a leg or foot that is getting worse, or a foot that drags or slaps (cannot lift the foot)?",
    ),
    RedFlag(
        "sexual_dysfunction",
        CAUDA_EQUINA,
        "Sexual dysfunction of recent onset",
        "New loss of sensation or function during sex?",
    ),
    RedFlag(
        "night_pain",
        SERIOUS_PATHOLOGY,
        "Unremitting night pain",
        "Constant pain at night that does not ease whatever position you lie in?",
    ),
    RedFlag(
        "cancer_history",
        SERIOUS_PATHOLOGY,
        "History of cancer",
        "Have you ever had cancer?",
    ),
    RedFlag(
        "weight_loss",
        SERIOUS_PATHOLOGY,
        "Unexplained weight loss",
        "Have you lost weight recently without trying?",
    ),
    RedFlag(
        "fever_infection",
        SERIOUS_PATHOLOGY,
        "Fever or recent infection",
        "Do you have a fever, or have you had a recent infection?",
    ),
    RedFlag(
        "immunosuppression",
        SERIOUS_PATHOLOGY,
        "IV drug use or immunosuppression",
        "Do you inject drugs, or take medicines or have a condition that weakens the immune system?",
    ),
    RedFlag(
        "significant_trauma",
        SERIOUS_PATHOLOGY,
        "Significant trauma (or minor trauma with osteoporosis or long-term steroids)",
        "Did the pain start after a fall or accident, or after a minor injury if you have osteoporosis "
        "or take steroids long-term?",
    ),
)
RED_FLAG_KEYS: tuple[str, ...] = tuple(flag.key for flag in RED_FLAGS)
CAUDA_EQUINA_KEYS: tuple[str, ...] = tuple(flag.key for flag in RED_FLAGS if flag.group == CAUDA_EQUINA)
RED_FLAGS_BY_KEY: dict[str, RedFlag] = {flag.key: flag for flag in RED_FLAGS}

# Ankle dorsiflexion at 3/5 or less (cannot hold against resistance) is a foot drop in the making.
FOOT_DROP_STRENGTH = 3


def unanswered_red_flags(answers: Mapping[str, bool | None]) -> list[str]:
    return [key for key in RED_FLAG_KEYS if answers.get(key) is None]


def positive_red_flags(
    answers: Mapping[str, bool | None],
    *,
    pain_side: str = "",
    radiates_below_knee: bool = False,
    dorsiflexion_strength: Sequence[int | None] = (),
) -> list[str]:
    """The red flags a screen is positive for, in the order of RED_FLAGS.

    Besides a "yes" to a question, two findings count: pain recorded in both legs below the knee is
    bilateral sciatica even when the question was answered "no", and a dorsiflexion strength of 3/5
    or less on the exam is severe motor weakness.
    """
    positive = {key for key in RED_FLAG_KEYS if answers.get(key) is True}
    if pain_side == "both" and radiates_below_knee:
        positive.add("bilateral_sciatica")
    if any(s is not None and s <= FOOT_DROP_STRENGTH for s in dorsiflexion_strength):
        positive.add("motor_weakness")
    return [key for key in RED_FLAG_KEYS if key in positive]


def is_emergency(flags: Sequence[str]) -> bool:
    """Cauda equina signs mean hospital the same day, not a routine referral."""
    return any(key in CAUDA_EQUINA_KEYS for key in flags)


def describe_flags(flags: Sequence[str]) -> str:
    return "; ".join(RED_FLAGS_BY_KEY[key].label for key in flags)


# --- PHQ-9 -----------------------------------------------------------------------------------

PHQ9_ITEMS: tuple[str, ...] = (
    "Little interest or pleasure in doing things",
    "Feeling down, depressed, or hopeless",
    "Trouble falling or staying asleep, or sleeping too much",
    "Feeling tired or having little energy",
    "Poor appetite or overeating",
    "Feeling bad about yourself — or that you are a failure or have let yourself or your family down",
    "Trouble concentrating on things, such as reading the newspaper or watching television",
    "Moving or speaking so slowly that other people could have noticed? Or the opposite — being so "
    "fidgety or restless that you have been moving around a lot more than usual",
    "Thoughts that you would be better off dead or of hurting yourself in some way",
)
PHQ9_CHOICES: tuple[tuple[int, str], ...] = (
    (0, "Not at all"),
    (1, "Several days"),
    (2, "More than half the days"),
    (3, "Nearly every day"),
)
PHQ9_FLAG_TOTAL = 10


def phq9_total(answers: Sequence[int]) -> int:
    if len(answers) != 9:
        raise ValueError(f"The PHQ-9 has 9 items, got {len(answers)}.")
    for value in answers:
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 3:
            raise ValueError(f"PHQ-9 answers are 0-3, got {value!r}.")
    return sum(answers)


def phq9_band(total: int) -> str:
    if not 0 <= total <= 27:
        raise ValueError(f"A PHQ-9 total is 0-27, got {total}.")
    if total <= 4:
        return "minimal"
    if total <= 9:
        return "mild"
    if total <= 14:
        return "moderate"
    if total <= 19:
        return "moderately severe"
    return "severe"


def phq9_flagged(total: int) -> bool:
    """10 or more: pain responds more slowly; consider co-managed CBT."""
    return total >= PHQ9_FLAG_TOTAL


def self_harm_risk(item9: int | None) -> bool:
    """Any answer above 0 on item 9 is an urgent alert to a clinician the same day."""
    return item9 is not None and item9 > 0


def self_harm_item9(answers: Mapping[str, object]) -> int | None:
    """PHQ-9 item 9 from a form's cleaned answers when it calls for the alert (above 0), else None."""
    item9 = answers.get("phq9_9")
    return item9 if isinstance(item9, int) and self_harm_risk(item9) else None


# --- pain duration ---------------------------------------------------------------------------

ACUTE = "acute"
SUBACUTE = "subacute"
CHRONIC = "chronic"


def duration_category(onset: date, on: date) -> str:
    """Acute under 6 weeks, subacute 6 to 12 weeks, chronic over 12 weeks."""
    days = (on - onset).days
    if days < 0:
        raise ValueError("The onset date is after the date of assessment.")
    if days < 6 * 7:
        return ACUTE
    if days <= 12 * 7:
        return SUBACUTE
    return CHRONIC


# --- precautions -----------------------------------------------------------------------------

BLOCK = "block"
CAUTION = "caution"

# Points traditionally forbidden in pregnancy (they are said to promote labour).
PREGNANCY_FORBIDDEN_POINTS: frozenset[str] = frozenset({"LI4", "SP6", "BL60", "BL67", "GB21"})
PREGNANCY_FORBIDDEN_REGIONS: frozenset[str] = frozenset({"lower_abdomen", "lumbosacral"})
TRUNK_REGIONS: frozenset[str] = frozenset({"chest", "upper_abdomen", "lower_abdomen", "upper_back", "lumbosacral"})


@dataclass(frozen=True)
class Precaution:
    key: str
    level: str  # BLOCK: stops a save unless overridden or avoided; CAUTION: must be acknowledged
    label: str
    advice: str


def precautions_from(screen: Mapping[str, object]) -> list[Precaution]:
    """The precautions an intake's contraindication section implies, most serious first."""
    found: list[Precaution] = []
    if screen.get("pregnant"):
        weeks = screen.get("pregnancy_weeks")
        found.append(
            Precaution(
                "pregnancy",
                BLOCK,
                f"Pregnant ({weeks} weeks)" if weeks else "Pregnant",
                "LI4, SP6, BL60, BL67, GB21 and lower-abdominal or lumbosacral points need a recorded "
                "override reason; no electroacupuncture on the trunk.",
            )
        )
    if screen.get("implanted_device"):
        found.append(
            Precaution(
                "implanted_device",
                BLOCK,
                "Pacemaker or implanted electrical device",
                "No electroacupuncture.",
            )
        )
    if screen.get("anticoagulants"):
        found.append(
            Precaution(
                "anticoagulants",
                CAUTION,
                "Anticoagulants or bleeding disorder",
                "Bleeding and bruising risk: consider Tui Na or superficial needling; press points after withdrawal.",
            )
        )
    if screen.get("needle_phobia"):
        found.append(
            Precaution("needle_phobia", CAUTION, "Needle phobia", "Fewer, thinner needles; patient lying down.")
        )
    if screen.get("metal_allergy"):
        found.append(
            Precaution("metal_allergy", CAUTION, "Metal allergy", "Check needle alloy; consider gold or titanium.")
        )
    if screen.get("skin_lesion"):
        site = screen.get("skin_lesion_site") or "site not recorded"
        found.append(
            Precaution("skin_lesion", CAUTION, f"Skin infection or lesion ({site})", "Do not needle or cup over it.")
        )
    return found
