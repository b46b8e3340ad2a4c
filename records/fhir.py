"""FHIR R4 resources from the clinic's records (docs/fhir.md): pure mappers, one function per resource kind.

Each function takes model instances already read (the queries are records.export's) and returns
`fhir.resources.R4B` models, which validate on construction: a value FHIR refuses raises there, never
in the receiving system. Ids are the model's kind and primary key (`patient-12`, `encounter-345`), and
each resource also carries an Identifier under the clinic's system URI (settings.FHIR_SYSTEM_URI), so
the same record has the same id and identifier in every export.
"""

from collections.abc import Iterable, Sequence
from datetime import date, datetime

from django.conf import settings
from fhir.resources.R4B.condition import Condition
from fhir.resources.R4B.encounter import Encounter
from fhir.resources.R4B.flag import Flag
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.patient import Patient as FhirPatient
from fhir.resources.R4B.practitioner import Practitioner
from fhir.resources.R4B.procedure import Procedure
from fhir.resources.R4B.questionnaire import Questionnaire as FhirQuestionnaire
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse
from fhir.resources.R4B.resource import Resource

from intake.models import TcmPattern
from intake.rules import PHQ9_ITEMS, RED_FLAGS_BY_KEY
from outcomes.models import ODI_FIELDS, PHQ9_FIELDS
from outcomes.models import Questionnaire as QuestionnaireRow
from treatments.billing import COMMON_ICD10
from treatments.models import TUINA_TECHNIQUES

LOINC = "http://loinc.org"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
UCUM = "http://unitsofmeasure.org"
NPI = "http://hl7.org/fhir/sid/us-npi"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
FLAG_CATEGORY = "http://terminology.hl7.org/CodeSystem/flag-category"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"

# Every LOINC code the export writes, with its long common name (docs/fhir.md says where each was checked).
LOINC_ODI_PANEL = ("97908-8", "Oswestry Disability Index")
LOINC_ODI_SCORE = ("97909-6", "Oswestry disability index score ODI")
LOINC_PHQ9_PANEL = ("44249-1", "PHQ-9 quick depression assessment panel [Reported.PHQ]")
LOINC_PHQ9_TOTAL = ("44261-6", "Patient Health Questionnaire 9 item (PHQ-9) total score [Reported]")
LOINC_PAIN_NRS = ("72514-3", "Pain severity - 0-10 verbal numeric rating [Score] - Reported")
# The nine PHQ-9 questions, in order (LOINC answer list LL358-3 names them).
LOINC_PHQ9_ITEMS: tuple[str, ...] = (
    "44250-9",
    "44255-8",
    "44259-0",
    "44254-1",
    "44251-7",
    "44258-2",
    "44252-5",
    "44253-3",
    "44260-8",
)
LOINC_CODES: dict[str, str] = dict(
    [LOINC_ODI_PANEL, LOINC_ODI_SCORE, LOINC_PHQ9_PANEL, LOINC_PHQ9_TOTAL, LOINC_PAIN_NRS]
)

ICD10_DISPLAY = dict(COMMON_ICD10)

# The pain questions of the weekly questionnaire: (field, local code, text, LOINC coding or None). "Now" is a
# point-in-time 0-10 rating, which LOINC 72514-3 is; LOINC has no term checked here for "worst in the past
# week", so those carry the clinic's code only.
# (column, code, text, coded with LOINC 72514-3, where): back and leg pain share the LOINC code of a 0-10
# rating, so each says where the pain is (bodySite), or a receiver would read two ratings of one pain.
PAIN_ITEMS: tuple[tuple[str, str, str, bool, str], ...] = (
    ("back_pain_now", "back-pain-now", "Back pain now (0-10)", True, "Lower back"),
    ("back_pain_worst", "back-pain-worst-week", "Worst back pain in the past week (0-10)", False, "Lower back"),
    ("leg_pain_now", "leg-pain-now", "Leg pain now (0-10)", True, "Leg"),
    ("leg_pain_worst", "leg-pain-worst-week", "Worst leg pain in the past week (0-10)", False, "Leg"),
)

PROCEDURES: dict[str, str] = {
    "acupuncture": "Acupuncture",
    "electroacupuncture": "Electroacupuncture",
    "tuina": "Tui Na (Chinese therapeutic massage)",
    "cupping": "Cupping",
    "moxibustion": "Moxibustion",
}

GENDER = {"female": "female", "male": "male", "intersex": "other", "unknown": "unknown"}
ODI_QUESTIONNAIRE_ID = "odi-2-1a"
PHQ9_QUESTIONNAIRE_ID = "phq-9"


def system_uri() -> str:
    return settings.FHIR_SYSTEM_URI.rstrip("/")


def local(kind: str) -> str:
    """A URI of the clinic's own: a code system (`CodeSystem/...`), an identifier system, an extension."""
    return f"{system_uri()}/{kind}"


def full_url(resource: Resource) -> str:
    return f"{system_uri()}/{resource.get_resource_type()}/{resource.id}"


def ref(kind: str, rid: str, display: str | None = None) -> dict:
    reference = {"reference": f"{kind}/{rid}"}
    if display:
        reference["display"] = display
    return reference


def _identifier(kind: str, pk) -> list[dict]:
    return [{"system": local(f"identifier/{kind}"), "value": str(pk)}]


def _instant(value: datetime | date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _text(value) -> str | None:
    """FHIR strings may not be empty or all whitespace: a blank field is left out."""
    value = (value or "").strip() if isinstance(value, str) else value
    return value or None


def _drop_empty(data: dict) -> dict:
    return {key: value for key, value in data.items() if value not in (None, "", [], {})}


# --- people -----------------------------------------------------------------------------------------


def patient_id(pk: int) -> str:
    return f"patient-{pk}"


def practitioner_id(pk: int) -> str:
    return f"practitioner-{pk}"


def patient_resource(patient) -> FhirPatient:
    telecom = []
    if _text(patient.phone):
        telecom.append({"system": "phone", "value": patient.phone.strip()})
    if _text(patient.email):
        telecom.append({"system": "email", "value": patient.email.strip()})
    address = _drop_empty(
        {
            "line": [patient.address_line.strip()] if _text(patient.address_line) else None,
            "city": _text(patient.city),
            "state": _text(patient.state),
            "postalCode": _text(patient.postal_code),
        }
    )
    contact = None
    if _text(patient.emergency_contact_name) or _text(patient.emergency_contact_phone):
        contact = [
            _drop_empty(
                {
                    "relationship": [{"text": patient.emergency_contact_relationship.strip()}]
                    if _text(patient.emergency_contact_relationship)
                    else None,
                    "name": {"text": patient.emergency_contact_name.strip()}
                    if _text(patient.emergency_contact_name)
                    else None,
                    "telecom": [{"system": "phone", "value": patient.emergency_contact_phone.strip()}]
                    if _text(patient.emergency_contact_phone)
                    else None,
                }
            )
        ]
    name = _drop_empty({"family": _text(patient.family_name), "given": [g for g in [_text(patient.given_name)] if g]})
    return FhirPatient(
        **_drop_empty(
            {
                "id": patient_id(patient.pk),
                "identifier": [
                    {
                        "use": "usual",
                        "type": {"text": "Chart number"},
                        "system": local("identifier/chart-number"),
                        "value": patient.chart_number,
                    }
                ],
                "active": patient.is_active,
                "name": [name] if name else None,
                "gender": GENDER.get(patient.sex, "unknown"),
                "birthDate": _instant(patient.date_of_birth),
                "telecom": telecom,
                "address": [address] if address else None,
                "contact": contact,
            }
        )
    )


def practitioner_resource(user, profile=None) -> Practitioner:
    """A practitioner from a user and their staff profile (None when they have none)."""
    name = _drop_empty({"family": _text(user.last_name), "given": [g for g in [_text(user.first_name)] if g]})
    if not name:
        name = {"text": user.get_username()}
    identifier = _identifier("user", user.pk)
    qualification = None
    if profile is not None:
        if _text(profile.npi):
            identifier.append({"system": NPI, "value": profile.npi})
        licence, state = _text(profile.licence_number), _text(profile.licence_state)
        if _text(profile.credentials) or licence:
            # A licence number is unique within its issuing state: the state names the identifier's system.
            licence_id = _drop_empty(
                {"system": local(f"identifier/licence/{state}") if state else None, "value": licence}
            )
            qualification = [
                _drop_empty(
                    {
                        "code": {"text": _text(profile.credentials) or "Licensed acupuncturist"},
                        "identifier": [licence_id] if licence else None,
                    }
                )
            ]
    return Practitioner(
        **_drop_empty(
            {
                "id": practitioner_id(user.pk),
                "identifier": identifier,
                "active": user.is_active,
                "name": [name],
                "qualification": qualification,
            }
        )
    )


# --- the course of care -------------------------------------------------------------------------------


def condition_id(plan_pk: int, code: str) -> str:
    return f"condition-{plan_pk}-{code}"


def plan_codes(plan) -> list[str]:
    """The plan's ICD-10-CM codes as FHIR can carry them: stripped, upper case, no blanks or duplicates."""
    codes = []
    for code in plan.diagnosis_codes if isinstance(plan.diagnosis_codes, list) else []:
        if isinstance(code, str):
            code = "".join(code.split()).upper()
            # A FHIR id holds letters, digits, '-' and '.': anything else cannot name a Condition.
            if code and len(code) <= 40 and all(ch.isalnum() or ch in ".-" for ch in code) and code not in codes:
                codes.append(code)
    return codes


def condition_resources(plan) -> list[Condition]:
    """One Condition per ICD-10-CM code of the plan; active while the plan is, inactive after it."""
    status = "active" if plan.status == "active" else "inactive"
    resources = []
    for code in plan_codes(plan):
        coding = _drop_empty({"system": ICD10CM, "code": code, "display": ICD10_DISPLAY.get(code)})
        resources.append(
            Condition(
                id=condition_id(plan.pk, code),
                identifier=[{"system": local("identifier/plan-diagnosis"), "value": f"{plan.pk}-{code}"}],
                clinicalStatus={"coding": [{"system": CONDITION_CLINICAL, "code": status}]},
                verificationStatus={"coding": [{"system": CONDITION_VERIFICATION, "code": "confirmed"}]},
                category=[{"coding": [{"system": CONDITION_CATEGORY, "code": "encounter-diagnosis"}]}],
                code={"coding": [coding], "text": ICD10_DISPLAY.get(code, code)},
                subject=ref("Patient", patient_id(plan.patient_id)),
                recorder=ref("Practitioner", practitioner_id(plan.practitioner_id)),
                recordedDate=_instant(plan.created_at),
                onsetDateTime=_instant(plan.start_date),
            )
        )
    return resources


def pattern_condition_id(assessment_pk: int, rank: str) -> str:
    return f"condition-tcm-{assessment_pk}-{rank}"


def pattern_condition_resources(assessment) -> list[Condition]:
    """One Condition per TCM pattern of a clinical assessment, the primary first, as a plan's diagnoses are one
    Condition per code: coded in the clinic's pattern system, ranked by a second category (docs/fhir.md).
    `assessment.patient_pk` is its intake's patient."""
    resources = []
    for rank, code, name in assessment.patterns:
        coding = {"system": local("CodeSystem/tcm-pattern"), "code": code, "display": TcmPattern(code).label}
        resources.append(
            Condition(
                id=pattern_condition_id(assessment.pk, rank),
                identifier=[{"system": local("identifier/assessment-pattern"), "value": f"{assessment.pk}-{rank}"}],
                verificationStatus={"coding": [{"system": CONDITION_VERIFICATION, "code": "confirmed"}]},
                category=[
                    {"coding": [{"system": CONDITION_CATEGORY, "code": "encounter-diagnosis"}]},
                    {
                        "coding": [
                            {
                                "system": local("CodeSystem/tcm-pattern-rank"),
                                "code": rank,
                                "display": f"{rank.capitalize()} TCM pattern",
                            }
                        ]
                    },
                ],
                code={"coding": [coding], "text": name},
                subject=ref("Patient", patient_id(assessment.patient_pk)),
                recorder=ref("Practitioner", practitioner_id(assessment.assessed_by_id)),
                recordedDate=_instant(assessment.assessed_at),
            )
        )
    return resources


def encounter_id(pk: int) -> str:
    return f"encounter-{pk}"


def encounter_resource(session, plan_codes_: Sequence[str] = ()) -> Encounter:
    return Encounter(
        **_drop_empty(
            {
                "id": encounter_id(session.pk),
                "identifier": _identifier("session", session.pk),
                "status": "finished",
                "class": {"system": ACT_CODE, "code": "AMB", "display": "ambulatory"},
                "type": [{"text": "Acupuncture treatment session"}],
                "subject": ref("Patient", patient_id(session.patient_id)),
                "participant": [{"individual": ref("Practitioner", practitioner_id(session.practitioner_id))}],
                "period": {"start": _instant(session.started_at)},
                "reasonReference": [ref("Condition", condition_id(session.plan_id, code)) for code in plan_codes_],
                "location": [{"location": {"display": session.location.name}}]
                if getattr(session, "location", None)
                else None,
            }
        )
    )


def _extension(url: str, **values) -> dict:
    """A complex extension of the clinic (docs/fhir.md), its parts the keyword arguments (None left out)."""
    parts = []
    for name, value in values.items():
        if value is None or value == "":
            continue
        key = {bool: "valueBoolean", int: "valueInteger", str: "valueString"}.get(type(value), "valueDecimal")
        parts.append({"url": name, key: value})
    return {"url": local(f"StructureDefinition/{url}"), "extension": parts}


def _needling(p) -> str:
    """One needled point as the note reads it: "BL23 bilateral, tonify, 25 min, 30 mm, de qi"."""
    parts = [f"{p.point.code} {p.get_side_display().lower()}", p.get_technique_display().lower()]
    if p.retention_minutes is not None:
        parts.append(f"{p.retention_minutes} min")
    if p.depth_mm is not None:
        parts.append(f"{p.depth_mm} mm")
    if p.de_qi:
        parts.append("de qi")
    return ", ".join(parts)


def procedure_id(session_pk: int, kind: str) -> str:
    return f"procedure-{session_pk}-{kind}"


def procedure_resources(session, points: Sequence, electro_pairs: Sequence, plan_codes_: Sequence[str] = ()) -> list:
    """The modalities recorded on a session, one Procedure each: acupuncture (when points were needled),
    electroacupuncture (when pairs were stimulated), Tui Na, cupping and moxibustion (when recorded).

    The points needled are the acupuncture Procedure's `bodySite`s (coded in the clinic's point system, the
    side in the text) and its note gives each one's side, technique, retention, depth and de qi. (A complex
    extension per point was the first design; serialising it cost ten times as much, docs/fhir.md.)

    `points` are the session's SessionPoint rows with their Point; `electro_pairs` its ElectroPair rows.
    """
    found: list[tuple[str, list[dict], list[str]]] = []
    sites: list[dict] = []
    if points:
        sites = [
            {
                "coding": [
                    _drop_empty(
                        {
                            "system": local("CodeSystem/acupuncture-point"),
                            "code": p.point.code,
                            "display": _text(p.point.pinyin),
                        }
                    )
                ],
                "text": " ".join(filter(None, [p.point.code, _text(p.point.pinyin)]))
                + f" ({p.get_side_display().lower()})",
            }
            for p in points
        ]
        found.append(("acupuncture", [], ["Points needled: " + "; ".join(_needling(p) for p in points) + "."]))
    if electro_pairs:
        extensions = [
            _extension(
                "electro-pair",
                pointA=e.point_a.code,
                pointB=e.point_b.code,
                frequencyHz=e.frequency_hz,
                waveform=e.waveform,
                minutes=e.minutes,
                intensity=_text(e.intensity),
            )
            for e in electro_pairs
        ]
        described = "; ".join(
            f"{e.point_a.code}–{e.point_b.code} {e.frequency_hz} Hz {e.get_waveform_display().lower()} {e.minutes} min"
            for e in electro_pairs
        )
        found.append(("electroacupuncture", extensions, [f"Pairs stimulated: {described}."]))
    if session.tuina_minutes:
        notes = [f"{session.tuina_minutes} minutes."]
        if session.tuina_techniques:
            labels = dict(TUINA_TECHNIQUES)
            notes.append("Techniques: " + ", ".join(str(labels.get(t, t)) for t in session.tuina_techniques) + ".")
        if _text(session.tuina_regions):
            notes.append(f"Regions: {session.tuina_regions.strip()}.")
        found.append(("tuina", [], notes))
    if session.cupping_kind:
        minutes = f", {session.cupping_minutes} minutes" if session.cupping_minutes else ""
        found.append(("cupping", [], [f"{session.get_cupping_kind_display()}{minutes}."]))
    if session.moxibustion_kind:
        notes = [f"{session.get_moxibustion_kind_display()}."]
        if _text(session.moxibustion_points):
            notes.append(f"Points: {session.moxibustion_points.strip()}.")
        found.append(("moxibustion", [], notes))
    return [
        Procedure(
            **_drop_empty(
                {
                    "id": procedure_id(session.pk, kind),
                    "identifier": [{"system": local("identifier/session-procedure"), "value": f"{session.pk}-{kind}"}],
                    "extension": extensions,
                    "status": "completed",
                    "code": {
                        "coding": [
                            {"system": local("CodeSystem/procedure"), "code": kind, "display": PROCEDURES[kind]}
                        ],
                        "text": PROCEDURES[kind],
                    },
                    "subject": ref("Patient", patient_id(session.patient_id)),
                    "encounter": ref("Encounter", encounter_id(session.pk)),
                    "performedDateTime": _instant(session.started_at),
                    "performer": [{"actor": ref("Practitioner", practitioner_id(session.practitioner_id))}],
                    "reasonReference": [ref("Condition", condition_id(session.plan_id, code)) for code in plan_codes_],
                    "bodySite": sites if kind == "acupuncture" else None,
                    "note": [{"text": " ".join(notes)}],
                }
            )
        )
        for kind, extensions, notes in found
    ]


# --- questionnaires -------------------------------------------------------------------------------


def _odi_label(name: str) -> str:
    return str(QuestionnaireRow._meta.get_field(name).verbose_name)


def questionnaire_resources() -> list[FhirQuestionnaire]:
    """The two instruments the responses answer: the ODI 2.1a's ten sections and the PHQ-9's nine questions."""
    odi = FhirQuestionnaire(
        id=ODI_QUESTIONNAIRE_ID,
        url=local(f"Questionnaire/{ODI_QUESTIONNAIRE_ID}"),
        name="OswestryDisabilityIndex",
        title="Oswestry Disability Index (ODI) 2.1a",
        status="active",
        subjectType=["Patient"],
        code=[{"system": LOINC, "code": LOINC_ODI_PANEL[0], "display": LOINC_ODI_PANEL[1]}],
        item=[
            {
                "linkId": name,
                "text": _odi_label(name),
                "type": "integer",
                "extension": [
                    {"url": "http://hl7.org/fhir/StructureDefinition/minValue", "valueInteger": 0},
                    {"url": "http://hl7.org/fhir/StructureDefinition/maxValue", "valueInteger": 5},
                ],
            }
            for name in ODI_FIELDS
        ],
    )
    phq9 = FhirQuestionnaire(
        id=PHQ9_QUESTIONNAIRE_ID,
        url=local(f"Questionnaire/{PHQ9_QUESTIONNAIRE_ID}"),
        name="PHQ9",
        title="Patient Health Questionnaire (PHQ-9)",
        status="active",
        subjectType=["Patient"],
        code=[{"system": LOINC, "code": LOINC_PHQ9_PANEL[0], "display": LOINC_PHQ9_PANEL[1]}],
        item=[
            {
                "linkId": name,
                "code": [{"system": LOINC, "code": code}],
                "text": text,
                "type": "integer",
                "extension": [
                    {"url": "http://hl7.org/fhir/StructureDefinition/minValue", "valueInteger": 0},
                    {"url": "http://hl7.org/fhir/StructureDefinition/maxValue", "valueInteger": 3},
                ],
            }
            for name, code, text in zip(PHQ9_FIELDS, LOINC_PHQ9_ITEMS, PHQ9_ITEMS, strict=True)
        ],
    )
    return [odi, phq9]


def response_id(pk: int, instrument: str) -> str:
    return f"qr-{pk}-{instrument}"


def _authored(row) -> str | None:
    return _instant(row.submitted_at) or _instant(row.answered_on)


def questionnaire_responses(row) -> list[QuestionnaireResponse]:
    """A submitted questionnaire's answers: one response for the ODI sections answered, one for the PHQ-9
    items answered. Unanswered items are left out; a form with none of an instrument gives no response."""
    if row.submitted_at is None:
        return []
    responses = []
    for instrument, fields, questionnaire in (
        ("odi", ODI_FIELDS, ODI_QUESTIONNAIRE_ID),
        ("phq9", PHQ9_FIELDS, PHQ9_QUESTIONNAIRE_ID),
    ):
        items = [
            {"linkId": name, "answer": [{"valueInteger": getattr(row, name)}]}
            for name in fields
            if getattr(row, name) is not None
        ]
        if not items:
            continue
        responses.append(
            QuestionnaireResponse(
                **_drop_empty(
                    {
                        "id": response_id(row.pk, instrument),
                        "identifier": {"system": local("identifier/questionnaire"), "value": f"{row.pk}-{instrument}"},
                        "questionnaire": local(f"Questionnaire/{questionnaire}"),
                        "status": "completed",
                        "subject": ref("Patient", patient_id(row.patient_id)),
                        "authored": _authored(row),
                        "source": ref("Patient", patient_id(row.patient_id)) if row.source == "online" else None,
                        "item": items,
                    }
                )
            )
        )
    return responses


def observation_id(pk: int, what: str) -> str:
    return f"obs-{pk}-{what}"


def _observation(row, what: str, coding: list[dict], text: str, value: dict, derived_from: str | None) -> Observation:
    return Observation(
        **_drop_empty(
            {
                "id": observation_id(row.pk, what),
                "identifier": [{"system": local("identifier/questionnaire-score"), "value": f"{row.pk}-{what}"}],
                "status": "final",
                "category": [{"coding": [{"system": OBSERVATION_CATEGORY, "code": "survey", "display": "Survey"}]}],
                "code": {"coding": coding, "text": text},
                "subject": ref("Patient", patient_id(row.patient_id)),
                "effectiveDateTime": _instant(row.answered_on) or _instant(row.submitted_at),
                "issued": _instant(row.submitted_at),
                "derivedFrom": [ref("QuestionnaireResponse", derived_from)] if derived_from else None,
                **value,
            }
        )
    )


def observations(row) -> list[Observation]:
    """The scores of a submitted questionnaire: the ODI (%), the four 0-10 pain ratings and the PHQ-9 total,
    each only when the patient gave it."""
    if row.submitted_at is None:
        return []
    found = []
    odi_answered = any(getattr(row, name) is not None for name in ODI_FIELDS)
    if row.odi_score is not None:
        found.append(
            _observation(
                row,
                "odi",
                [{"system": LOINC, "code": LOINC_ODI_SCORE[0], "display": LOINC_ODI_SCORE[1]}],
                "Oswestry Disability Index (%)",
                {"valueQuantity": {"value": row.odi_score, "unit": "%", "system": UCUM, "code": "%"}},
                response_id(row.pk, "odi") if odi_answered else None,
            )
        )
    for field, code, text, has_loinc, site in PAIN_ITEMS:
        value = getattr(row, field)
        if value is None:
            continue
        coding = [{"system": LOINC, "code": LOINC_PAIN_NRS[0], "display": LOINC_PAIN_NRS[1]}] if has_loinc else []
        coding.append({"system": local("CodeSystem/questionnaire-item"), "code": code, "display": text})
        found.append(_observation(row, code, coding, text, {"valueInteger": value, "bodySite": {"text": site}}, None))
    if row.phq9_total is not None:
        found.append(
            _observation(
                row,
                "phq9",
                [{"system": LOINC, "code": LOINC_PHQ9_TOTAL[0], "display": LOINC_PHQ9_TOTAL[1]}],
                "PHQ-9 total score",
                {"valueQuantity": {"value": row.phq9_total, "unit": "{score}", "system": UCUM, "code": "{score}"}},
                response_id(row.pk, "phq9") if any(getattr(row, name) is not None for name in PHQ9_FIELDS) else None,
            )
        )
    return found


# --- red flags --------------------------------------------------------------------------------------


def flag_resource(referral) -> Flag:
    """An open red-flag referral: the signs found, until the referral is closed."""
    flags = [key for key in referral.flags if isinstance(key, str) and key in RED_FLAGS_BY_KEY]
    coding = [
        {"system": local("CodeSystem/red-flag"), "code": key, "display": RED_FLAGS_BY_KEY[key].label} for key in flags
    ]
    labels = "; ".join(RED_FLAGS_BY_KEY[key].label for key in flags)
    text = "Red flag: " + (labels or _text(referral.reason) or "referral open")
    if referral.is_emergency:
        text = "Possible cauda equina. " + text
    return Flag(
        **_drop_empty(
            {
                "id": f"flag-{referral.pk}",
                "identifier": _identifier("referral", referral.pk),
                "status": "active",
                "category": [{"coding": [{"system": FLAG_CATEGORY, "code": "clinical", "display": "Clinical"}]}],
                "code": _drop_empty({"coding": coding, "text": text}),
                "subject": ref("Patient", patient_id(referral.patient_id)),
                "period": {"start": _instant(referral.opened_at)},
            }
        )
    )


def resource_type(resource: Resource) -> str:
    return resource.get_resource_type()


def to_json(resource: Resource) -> str:
    return resource.model_dump_json(exclude_none=True)


def all_codes(resources: Iterable[Resource], system: str) -> set[str]:
    """Every code of `system` anywhere in the resources (for the tests and the documentation check)."""
    import json

    found: set[str] = set()

    def walk(node):
        if isinstance(node, dict):
            if node.get("system") == system and "code" in node:
                found.add(node["code"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for resource in resources:
        walk(json.loads(to_json(resource)))
    return found
