"""The FHIR R4 export (docs/fhir.md): every resource validates and reads back with the database's scores, the
codes are the documented ones, bad input gives a smaller valid document, access, audit, queries, NDJSON."""

import io
import json
import re
import zipfile
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from auditlog.models import LogEntry
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle

from clinic.models import Patient
from intake.models import Referral
from outcomes.models import ODI_FIELDS, PHQ9_FIELDS, Questionnaire
from records import export, fhir
from tests.factories import PatientFactory, SessionFactory, TreatmentPlanFactory
from treatments.models import ElectroPair, Point

DOCS = Path(__file__).resolve().parents[2] / "docs" / "fhir.md"
ALL_TYPES = set(export.RESOURCE_TYPES)


def _questionnaire(plan, due: date, **answers) -> Questionnaire:
    return Questionnaire.objects.create(
        patient=plan.patient,
        plan=plan,
        due_date=due,
        week=0,
        submitted_at=timezone.now() - timedelta(days=1),
        answered_on=due,
        source="paper",
        **answers,
    )


@pytest.fixture
def record(acupuncturist):
    """A patient with a course, a full session and one with no points, a full and a half-answered
    questionnaire, and an open red-flag referral."""
    plan = TreatmentPlanFactory(practitioner=acupuncturist, diagnosis_codes=["M54.16", "M54.31"])
    full = SessionFactory(
        plan=plan,
        tuina_minutes=10,
        tuina_techniques=["rolling"],
        tuina_regions="Left buttock",
        cupping_kind="stationary",
        cupping_minutes=8,
        moxibustion_kind="stick",
        moxibustion_points="BL23",
    )
    ElectroPair.objects.create(
        session=full,
        point_a=Point.objects.get(code="BL25"),
        point_b=Point.objects.get(code="GB30"),
        frequency_hz=Decimal("2.0"),
        minutes=20,
    )
    bare = SessionFactory(plan=plan, points=[], started_at=timezone.now() - timedelta(days=3))
    complete = _questionnaire(
        plan,
        date(2026, 10, 1),
        **dict.fromkeys(ODI_FIELDS, 2),
        odi_score=40,
        back_pain_now=6,
        back_pain_worst=8,
        leg_pain_now=5,
        leg_pain_worst=7,
        includes_phq9=True,
        **dict.fromkeys(PHQ9_FIELDS, 1),
        phq9_total=9,
    )
    half = _questionnaire(plan, date(2026, 10, 8), odi_pain_intensity=3, odi_walking=2, back_pain_now=4)
    referral = Referral.objects.create(
        patient=plan.patient, source="exam", flags=["saddle_anaesthesia"], reason="Saddle numbness at exam"
    )
    return plan.patient, {
        "plan": plan,
        "full": full,
        "bare": bare,
        "complete": complete,
        "half": half,
        "referral": referral,
    }


def _parsed(bundle_json: str) -> list:
    """Every resource of a Bundle, parsed back with fhir.resources (R4B) from plain JSON, by its own type."""
    bundle = Bundle.model_validate_json(bundle_json)
    assert bundle.type == "collection"
    resources = []
    for entry in json.loads(bundle_json)["entry"]:
        data = entry["resource"]
        resources.append(get_fhir_model_class(data["resourceType"]).model_validate(data))
        assert entry["fullUrl"].endswith(f"/{data['resourceType']}/{data['id']}")
    return resources


def _by_id(resources) -> dict:
    return {resource.id: resource for resource in resources}


def test_every_resource_type_validates_and_round_trips_the_scores(record):
    patient, rows = record
    resources = _parsed(export.patient_bundle(patient).model_dump_json(exclude_none=True))
    assert {resource.get_resource_type() for resource in resources} == ALL_TYPES
    found = _by_id(resources)
    complete, half = rows["complete"], rows["half"]

    assert found[f"patient-{patient.pk}"].identifier[0].value == patient.chart_number
    assert found[f"patient-{patient.pk}"].birthDate == patient.date_of_birth
    assert found[f"obs-{complete.pk}-odi"].valueQuantity.value == complete.odi_score
    assert found[f"obs-{complete.pk}-phq9"].valueQuantity.value == complete.phq9_total
    assert found[f"obs-{complete.pk}-back-pain-now"].valueInteger == complete.back_pain_now
    assert found[f"obs-{complete.pk}-leg-pain-now"].valueInteger == complete.leg_pain_now
    assert found[f"obs-{complete.pk}-leg-pain-worst-week"].valueInteger == complete.leg_pain_worst
    answers = {item.linkId: item.answer[0].valueInteger for item in found[f"qr-{complete.pk}-odi"].item}
    assert answers == {name: getattr(complete, name) for name in ODI_FIELDS}
    answers = {item.linkId: item.answer[0].valueInteger for item in found[f"qr-{complete.pk}-phq9"].item}
    assert answers == {name: getattr(complete, name) for name in PHQ9_FIELDS}
    assert sum(answers.values()) == complete.phq9_total

    # The half-answered form: the two sections given, the one pain rating, no ODI % and no PHQ-9.
    assert [item.linkId for item in found[f"qr-{half.pk}-odi"].item] == ["odi_pain_intensity", "odi_walking"]
    assert f"qr-{half.pk}-phq9" not in found
    assert f"obs-{half.pk}-odi" not in found and f"obs-{half.pk}-phq9" not in found
    assert found[f"obs-{half.pk}-back-pain-now"].valueInteger == 4

    # Sessions: both are encounters; the bare one (no points, nothing else) has no procedure.
    full, bare = rows["full"], rows["bare"]
    assert f"encounter-{bare.pk}" in found
    assert not [
        r for r in resources if r.get_resource_type() == "Procedure" and r.encounter.reference.endswith(f"-{bare.pk}")
    ]
    kinds = {r.id.rsplit("-", 1)[1] for r in resources if r.get_resource_type() == "Procedure"}
    assert kinds == {"acupuncture", "electroacupuncture", "tuina", "cupping", "moxibustion"}
    needling = found[f"procedure-{full.pk}-acupuncture"]
    points = [site.coding[0].code for site in needling.bodySite]
    assert points == list(full.points.order_by("position", "id").values_list("point__code", flat=True))
    assert "BL23 bilateral, even, 25 min" in needling.note[0].text
    electro = found[f"procedure-{full.pk}-electroacupuncture"].extension[0]
    assert {part.url: part for part in electro.extension}["frequencyHz"].valueDecimal == Decimal("2.0")
    assert found[f"flag-{rows['referral'].pk}"].status == "active"


def test_the_codes_are_exactly_the_documented_ones(record):
    patient, _ = record
    resources = export.patient_resources(patient)
    documented = set(re.findall(r"^\| `(\d+-\d)` \|", DOCS.read_text(), flags=re.MULTILINE))
    assert fhir.all_codes(resources, fhir.LOINC) == documented
    assert documented == set(fhir.LOINC_CODES) | set(fhir.LOINC_PHQ9_ITEMS)
    assert fhir.all_codes(resources, fhir.ICD10CM) == {"M54.16", "M54.31"}
    icd_documented = "http://hl7.org/fhir/sid/icd-10-cm" in DOCS.read_text()
    assert icd_documented


def test_bad_input_gives_a_smaller_valid_document(acupuncturist):
    lone = PatientFactory()
    resources = _parsed(export.patient_bundle(lone).model_dump_json(exclude_none=True))
    assert [r.get_resource_type() for r in resources] == ["Patient"]

    # A plan whose codes are blank or not codes at all, with a session with no points and no scores.
    plan = TreatmentPlanFactory(practitioner=acupuncturist, diagnosis_codes=["", None, "not a code!", " m54.50 "])
    SessionFactory(plan=plan, points=[], pain_after=None)
    Questionnaire.objects.create(patient=plan.patient, plan=plan, due_date=date(2026, 10, 1), week=0)  # unanswered
    _questionnaire(plan, date(2026, 10, 8))  # submitted, every answer blank
    resources = _parsed(export.patient_bundle(plan.patient).model_dump_json(exclude_none=True))
    kinds = sorted(r.get_resource_type() for r in resources)
    assert kinds == ["Condition", "Encounter", "Patient", "Practitioner", "Questionnaire", "Questionnaire"]
    assert fhir.all_codes(resources, fhir.ICD10CM) == {"M54.50"}

    # A patient whose text fields are blank or spaces, and a referral with unknown flags.
    odd = PatientFactory(phone="   ", email="", address_line=" ", emergency_contact_name=" ")
    Referral.objects.create(patient=odd, source="exam", flags=["no_such_flag", 3], reason=" ")
    assert sorted(r.get_resource_type() for r in _parsed(export.patient_bundle(odd).model_dump_json())) == [
        "Flag",
        "Patient",
    ]


def test_the_patient_export_reads_the_same_queries_however_many_sessions(record, django_assert_max_num_queries):
    patient, rows = record
    with CaptureQueriesContext(connection) as few:
        export.patient_resources(patient)
    for day in range(4, 12):
        SessionFactory(plan=rows["plan"], started_at=timezone.now() - timedelta(days=day))
    with django_assert_max_num_queries(10):
        export.patient_resources(patient)
    with CaptureQueriesContext(connection) as many:
        export.patient_resources(patient)
    assert len(many) == len(few)


def test_clinicians_and_managers_download_a_patient_and_it_is_audited(record, lac_client, manager_client, desk_client):
    patient, _ = record
    url = reverse("records:patient-fhir", args=[patient.pk])
    assert desk_client.get(url).status_code == 403
    for client in (lac_client, manager_client):
        response = client.get(url, {"to": "Dr Patel, spine clinic"})
        assert response.status_code == 200
        assert response["Content-Type"] == "application/fhir+json"
        assert {r.get_resource_type() for r in _parsed(response.content.decode())} == ALL_TYPES
    entries = LogEntry.objects.filter(action=LogEntry.Action.ACCESS, object_pk=str(patient.pk))
    assert entries.count() == 2
    assert entries.first().additional_data["document"] == "FHIR record export (Bundle)"
    assert entries.first().additional_data["disclosed_to"] == "Dr Patel, spine clinic"
    assert entries.first().additional_data["patient_id"] == patient.pk
    assert lac_client.post(url).status_code == 405


def _zip_types(content: bytes) -> dict[str, list[dict]]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return {
            name.removesuffix(".ndjson"): [json.loads(line) for line in archive.read(name).decode().splitlines()]
            for name in archive.namelist()
        }


def test_only_managers_download_the_bulk_export_and_it_names_every_patient(
    record, manager_client, lac_client, desk_client
):
    patient, _ = record
    other = PatientFactory()
    url = reverse("records:fhir-bulk")
    assert lac_client.get(url).status_code == 403
    assert desk_client.get(url).status_code == 403
    response = manager_client.get(url)
    assert response.status_code == 200
    assert response.streaming
    files = _zip_types(b"".join(response.streaming_content))
    assert set(files) == ALL_TYPES
    for kind, lines in files.items():
        for data in lines:
            assert data["resourceType"] == kind
            get_fhir_model_class(kind).model_validate(data)
    assert {data["id"] for data in files["Patient"]} >= {f"patient-{patient.pk}", f"patient-{other.pk}"}
    entry = LogEntry.objects.get(action=LogEntry.Action.ACCESS, additional_data__exported="FHIR bulk export")
    assert entry.additional_data["patient_ids"] == sorted(Patient.objects.values_list("pk", flat=True))


def test_the_command_writes_one_valid_resource_per_line_per_type(record, tmp_path):
    patient, _ = record
    call_command("export_fhir", out=str(tmp_path), stdout=io.StringIO())
    written = {path.stem: path for path in tmp_path.glob("*.ndjson")}
    assert set(written) == ALL_TYPES
    single = {r.id for r in export.patient_resources(patient)}
    seen = set()
    for kind, path in written.items():
        for line in path.read_text().splitlines():
            data = json.loads(line)
            assert data["resourceType"] == kind
            seen.add(get_fhir_model_class(kind).model_validate(data).id)
    # The bulk files hold what the patient's own Bundle holds, under the same ids.
    assert single <= seen
    assert LogEntry.objects.filter(additional_data__exported="FHIR bulk export").count() == 1


def test_ids_are_stable_across_exports(record):
    patient, _ = record
    first = [r.id for r in export.patient_resources(patient)]
    assert first == [r.id for r in export.patient_resources(patient)]
    assert len(first) == len(set(first))


def test_back_and_leg_pain_say_where_the_pain_is(record):
    patient, _ = record
    pains = [
        r
        for r in export.patient_resources(patient)
        if r.get_resource_type() == "Observation" and "pain" in r.code.text.lower()
    ]
    assert pains and {r.bodySite.text for r in pains} == {"Lower back", "Leg"}
    for r in pains:
        assert ("Back" in r.code.text or "back" in r.code.text) == (r.bodySite.text == "Lower back")


def test_an_unprintable_recipient_is_cleaned_not_a_500(record, lac_client):
    patient, _ = record
    response = lac_client.get(reverse("records:patient-fhir", args=[patient.pk]), {"to": "Dr\x00 Patel\x07"})
    assert response.status_code == 200
    entry = LogEntry.objects.get(additional_data__document="FHIR record export (Bundle)")
    assert entry.additional_data["disclosed_to"] == "Dr Patel"


def test_the_assessment_s_patterns_are_a_primary_and_a_secondary_condition(record, acupuncturist):
    from clinic.models import Patient
    from intake.models import ClinicalAssessment
    from tests.factories import IntakeFactory, UserFactory

    patient, _ = record
    assessor = UserFactory(username="assessor", first_name="Mei", last_name="Lin")
    assessment = ClinicalAssessment.objects.create(
        intake=IntakeFactory(patient=patient),
        assessed_by=assessor,
        tcm_pattern="damp_heat",
        secondary_pattern="kidney_deficiency",
    )
    found = _by_id(_parsed(export.patient_bundle(patient).model_dump_json(exclude_none=True)))
    primary = found[f"condition-tcm-{assessment.pk}-primary"]
    secondary = found[f"condition-tcm-{assessment.pk}-secondary"]
    system = fhir.local("CodeSystem/tcm-pattern")
    assert (primary.code.coding[0].system, primary.code.coding[0].code, primary.code.text) == (
        system,
        "damp_heat",
        "Damp-Heat",
    )
    assert (secondary.code.coding[0].code, secondary.code.coding[0].display) == (
        "kidney_deficiency",
        "Kidney deficiency",
    )
    ranks = [condition.category[1].coding[0] for condition in (primary, secondary)]
    assert [(rank.system, rank.code) for rank in ranks] == [
        (fhir.local("CodeSystem/tcm-pattern-rank"), "primary"),
        (fhir.local("CodeSystem/tcm-pattern-rank"), "secondary"),
    ]
    assert primary.subject.reference == f"Patient/patient-{patient.pk}"
    assert primary.recorder.reference == f"Practitioner/practitioner-{assessor.pk}"
    assert f"practitioner-{assessor.pk}" in found  # the recorder is in the Bundle
    # The plan's diagnoses are still there, beside the patterns.
    assert fhir.all_codes(found.values(), fhir.ICD10CM) == {"M54.16", "M54.31"}
    assert fhir.all_codes(found.values(), system) == {"damp_heat", "kidney_deficiency"}

    bulk = dict(export.bulk_resources(Patient.objects.filter(pk=patient.pk)))
    conditions = {condition.id for condition in bulk["Condition"]}
    assert {primary.id, secondary.id} <= conditions
    assert f"practitioner-{assessor.pk}" in {practitioner.id for practitioner in bulk["Practitioner"]}


def test_an_other_pattern_is_named_and_a_lone_primary_gives_one_condition(acupuncturist):
    from intake.models import ClinicalAssessment
    from tests.factories import IntakeFactory

    intake = IntakeFactory()
    ClinicalAssessment.objects.create(
        intake=intake, assessed_by=acupuncturist, tcm_pattern="other", tcm_pattern_other="Wind-Cold-Damp"
    )
    IntakeFactory(patient=intake.patient)  # a second intake, assessed without a pattern: nothing to export
    resources = _parsed(export.patient_bundle(intake.patient).model_dump_json(exclude_none=True))
    (condition,) = [r for r in resources if r.get_resource_type() == "Condition"]
    assert (condition.code.coding[0].code, condition.code.text) == ("other", "Wind-Cold-Damp")
