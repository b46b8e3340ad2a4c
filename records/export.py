"""The FHIR export (docs/fhir.md): one patient's Bundle, and the whole clinic as bulk NDJSON.

The queries live here, the mapping in records.fhir. One patient reads a fixed number of queries however
many sessions they have. The bulk export reads one resource type at a time, each in chunks
(`.iterator(chunk_size=...)`, with the session's points prefetched per chunk), and hands on each line as
it is made: memory holds a chunk, never the clinic.

Each export writes its audit entry: a disclosure of the one patient, or one entry naming every patient
of a bulk export (clinic.audit.record_export).
"""

import zipfile
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path

from django.contrib.auth import get_user_model
from django.db.models import F, Prefetch, Q, QuerySet
from fhir.resources.R4B.bundle import Bundle

from clinic.audit import record_disclosure, record_export
from clinic.models import Patient, StaffProfile
from intake.models import ClinicalAssessment, Referral
from outcomes.models import Questionnaire
from records import fhir
from treatments.models import ElectroPair, Session, SessionPoint, TreatmentPlan

CHUNK = 1000

# The Bulk Data files, in the order they are written.
RESOURCE_TYPES = (
    "Patient",
    "Practitioner",
    "Condition",
    "Encounter",
    "Procedure",
    "Questionnaire",
    "QuestionnaireResponse",
    "Observation",
    "Flag",
)


def _sessions(queryset: QuerySet) -> QuerySet:
    return queryset.select_related("location").prefetch_related(
        Prefetch("points", queryset=SessionPoint.objects.select_related("point").order_by("position", "id")),
        Prefetch("electro_pairs", queryset=ElectroPair.objects.select_related("point_a", "point_b").order_by("id")),
    )


def _session_resources(session, plan) -> list:
    codes = fhir.plan_codes(plan) if plan is not None else []
    return [
        fhir.encounter_resource(session, codes),
        *fhir.procedure_resources(session, list(session.points.all()), list(session.electro_pairs.all()), codes),
    ]


def _assessments(queryset: QuerySet) -> QuerySet:
    """Clinical assessments with a pattern, each with its patient's key (for the Condition's subject)."""
    return queryset.exclude(tcm_pattern="").annotate(patient_pk=F("intake__patient_id"))


def _practitioners(user_ids: QuerySet | Iterable[int]) -> Iterator:
    users = get_user_model().objects.filter(pk__in=user_ids).order_by("pk")
    profiles = StaffProfile.objects.filter(user__in=users)
    by_user = {profile.user_id: profile for profile in profiles}
    for user in users:
        yield fhir.practitioner_resource(user, by_user.get(user.pk))


# --- one patient --------------------------------------------------------------------------------------


def patient_resources(patient: Patient) -> list:
    """Everything held about one patient as FHIR resources, in a fixed number of queries."""
    plans = list(TreatmentPlan.objects.filter(patient=patient).order_by("start_date", "pk"))
    plans_by_pk = {plan.pk: plan for plan in plans}
    sessions = list(_sessions(Session.objects.filter(patient=patient).order_by("started_at", "pk")))
    rows = list(Questionnaire.objects.filter(patient=patient).submitted().order_by("due_date", "pk"))
    referrals = list(Referral.objects.filter(patient=patient).open().order_by("opened_at", "pk"))
    assessments = list(_assessments(ClinicalAssessment.objects.filter(intake__patient=patient)).order_by("pk"))
    practitioner_ids = (
        {plan.practitioner_id for plan in plans}
        | {session.practitioner_id for session in sessions}
        | {assessment.assessed_by_id for assessment in assessments}
    )

    resources: list = [fhir.patient_resource(patient), *_practitioners(sorted(practitioner_ids))]
    for assessment in assessments:
        resources += fhir.pattern_condition_resources(assessment)
    for plan in plans:
        resources += fhir.condition_resources(plan)
    for session in sessions:
        resources += _session_resources(session, plans_by_pk.get(session.plan_id))
    if rows:
        resources += fhir.questionnaire_resources()
    for row in rows:
        resources += fhir.questionnaire_responses(row)
    for row in rows:
        resources += fhir.observations(row)
    resources += [fhir.flag_resource(referral) for referral in referrals]
    return resources


def patient_bundle(patient: Patient) -> Bundle:
    resources = patient_resources(patient)
    return Bundle(
        id=f"record-{patient.pk}",
        identifier={"system": fhir.local("identifier/record-export"), "value": patient.chart_number},
        type="collection",
        timestamp=datetime.now(UTC).isoformat(),
        entry=[{"fullUrl": fhir.full_url(resource), "resource": resource} for resource in resources],
    )


def export_patient(*, patient: Patient, to: str) -> str:
    """The patient's Bundle as JSON, with the disclosure in the audit trail."""
    data = patient_bundle(patient).model_dump_json(exclude_none=True)
    record_disclosure(patient, document="FHIR record export (Bundle)", to=to)
    return data


# --- the whole clinic ------------------------------------------------------------------------------


def bulk_resources(patients: QuerySet) -> Iterator[tuple[str, Iterator]]:
    """(resource type, its resources as a lazy iterator) for the patients of `patients`, type by type."""
    ids = patients.values("pk")
    plans = TreatmentPlan.objects.filter(patient__in=ids)
    sessions = Session.objects.filter(patient__in=ids)
    rows = Questionnaire.objects.filter(patient__in=ids).submitted()
    assessments = _assessments(ClinicalAssessment.objects.filter(intake__patient__in=ids))

    def patient_stream():
        for patient in patients.order_by("pk").iterator(chunk_size=CHUNK):
            yield fhir.patient_resource(patient)

    def practitioner_stream():
        user_ids = get_user_model().objects.filter(
            Q(pk__in=plans.values("practitioner_id"))
            | Q(pk__in=sessions.values("practitioner_id"))
            | Q(pk__in=assessments.values("assessed_by_id"))
        )
        yield from _practitioners(user_ids.values("pk"))

    def condition_stream():
        for assessment in assessments.order_by("pk").iterator(chunk_size=CHUNK):
            yield from fhir.pattern_condition_resources(assessment)
        for plan in plans.order_by("pk").iterator(chunk_size=CHUNK):
            yield from fhir.condition_resources(plan)

    def session_stream(procedures: bool):
        # The plans' codes for the reasons, read once (a few short strings per plan), not once per session.
        codes = {plan.pk: fhir.plan_codes(plan) for plan in plans.only("pk", "diagnosis_codes").iterator(CHUNK)}
        queryset = sessions.order_by("pk")
        if not procedures:
            for session in queryset.select_related("location").iterator(chunk_size=CHUNK):
                yield fhir.encounter_resource(session, codes.get(session.plan_id, []))
            return
        for session in _sessions(queryset).iterator(chunk_size=CHUNK):
            yield from fhir.procedure_resources(
                session, list(session.points.all()), list(session.electro_pairs.all()), codes.get(session.plan_id, [])
            )

    def questionnaire_stream():
        if rows.exists():
            yield from fhir.questionnaire_resources()

    def rows_stream(mapper: Callable):
        for row in rows.order_by("pk").iterator(chunk_size=CHUNK):
            yield from mapper(row)

    def flag_stream():
        referrals = Referral.objects.filter(patient__in=ids).open().order_by("pk")
        for referral in referrals.iterator(chunk_size=CHUNK):
            yield fhir.flag_resource(referral)

    streams = {
        "Patient": patient_stream,
        "Practitioner": practitioner_stream,
        "Condition": condition_stream,
        "Encounter": lambda: session_stream(procedures=False),
        "Procedure": lambda: session_stream(procedures=True),
        "Questionnaire": questionnaire_stream,
        "QuestionnaireResponse": lambda: rows_stream(fhir.questionnaire_responses),
        "Observation": lambda: rows_stream(fhir.observations),
        "Flag": flag_stream,
    }
    for kind in RESOURCE_TYPES:
        yield kind, streams[kind]()


def ndjson_lines(resources: Iterable) -> Iterator[bytes]:
    for resource in resources:
        yield fhir.to_json(resource).encode() + b"\n"


def audit_bulk(patients: QuerySet, *, to: str) -> int:
    """One audit entry naming every patient of a bulk export; returns how many."""
    patient_ids = list(patients.order_by("pk").values_list("pk", flat=True))
    record_export(
        Patient,
        description=f"FHIR bulk export (NDJSON): {len(patient_ids)} patients, for {to}",
        exported="FHIR bulk export",
        disclosed_to=to,
        patient_ids=patient_ids,
    )
    return len(patient_ids)


def write_ndjson(patients: QuerySet, directory: Path, *, to: str) -> dict[str, int]:
    """Write `<Type>.ndjson` files into `directory` (the FHIR Bulk Data layout); the count per type.

    A type with no resources gets no file, as a Bulk Data server lists no output for it.
    """
    directory.mkdir(parents=True, exist_ok=True)
    audit_bulk(patients, to=to)
    counts = {}
    for kind, resources in bulk_resources(patients):
        path = directory / f"{kind}.ndjson"
        count = 0
        with path.open("wb") as out:
            for line in ndjson_lines(resources):
                out.write(line)
                count += 1
        if count:
            counts[kind] = count
        else:
            path.unlink()
    return counts


class _Sink:
    """A write-only, unseekable file for zipfile (no tell(): zipfile then writes data descriptors and never
    seeks back), handing over what was written since the last drain."""

    def __init__(self):
        self.parts: list[bytes] = []
        self.pending = 0

    def write(self, data) -> int:
        self.parts.append(bytes(data))
        self.pending += len(data)
        return len(data)

    def flush(self) -> None:
        pass

    def drain(self) -> bytes:
        data, self.parts, self.pending = b"".join(self.parts), [], 0
        return data


def zip_stream(patients: QuerySet, *, flush_every: int = 256 * 1024) -> Iterator[bytes]:
    """The bulk NDJSON files as one zip, made as it is sent: the resources of one chunk at a time in memory.

    The audit entry is the caller's (audit_bulk), written before the first byte goes out.
    """
    sink = _Sink()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for kind, resources in bulk_resources(patients):
            with archive.open(f"{kind}.ndjson", "w", force_zip64=True) as entry:
                for line in ndjson_lines(resources):
                    entry.write(line)
                    if sink.pending >= flush_every:
                        yield sink.drain()
            yield sink.drain()
    yield sink.drain()
