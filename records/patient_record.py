"""The patient's own record (HIPAA right of access): everything the clinic holds about one patient, as a PDF.

Every stored column of every record that belongs to the patient is printed, by its label, except the
bookkeeping ones (`HIDDEN`: ids, row versions, search keys, and the pointer back to the patient); a blank
column is left out. Records point at each other (a session's plan, a point's session, who wrote a note):
those are printed as words, read in one query per kind of record pointed at, so the number of queries
does not grow with the record. What is not part of the record set is not printed: the audit trail (who
read the record; the audit log answers that) and patient links (one-time tokens).
"""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from django.contrib.auth import get_user_model
from django.db import models
from django.utils import timezone
from django.utils.dateformat import format as format_date
from fpdf import FPDF

from clinic.locations import contact_details
from clinic.models import Location, Patient
from clinic.pdf import letterhead, paragraph, pdf_bytes, pdf_text
from intake.models import (
    PAIN_LOCATIONS,
    PRIOR_TREATMENTS,
    PULSE_QUALITIES,
    Alert,
    ClinicalAssessment,
    Consent,
    Intake,
    Referral,
)
from intake.rules import RED_FLAGS
from outcomes.models import Questionnaire
from records.models import ProgressReport
from scheduling.models import Appointment
from treatments.models import (
    TUINA_TECHNIQUES,
    Addendum,
    AdverseEvent,
    ElectroPair,
    Payment,
    Point,
    Session,
    SessionPoint,
    TreatmentPlan,
)

# Bookkeeping, not record: ids, row versions, search keys, the pointer back to the patient, a recount flag.
HIDDEN = {"id", "version", "patient", "phone_digits", "family_key", "given_key", "outcome_stale", "position"}


# Lists of choices kept as codes, printed by their labels, as the pages show them.
LIST_LABELS: dict[tuple[type[models.Model], str], dict[str, str]] = {
    (Intake, "pain_locations"): dict(PAIN_LOCATIONS),
    (Intake, "prior_treatments"): dict(PRIOR_TREATMENTS),
    (ClinicalAssessment, "pulse_qualities"): dict(PULSE_QUALITIES),
    (Referral, "flags"): {flag.key: flag.label for flag in RED_FLAGS},
    (Session, "tuina_techniques"): dict(TUINA_TECHNIQUES),
}


@dataclass(frozen=True)
class Entry:
    heading: str
    rows: list[tuple[str, str]]


@dataclass(frozen=True)
class Section:
    title: str
    entries: list[Entry]


@dataclass(frozen=True)
class PatientRecord:
    clinic_name: str
    clinic_address: str
    clinic_phone: str
    patient_name: str
    chart_number: str
    produced_at: datetime
    recipient: str
    sections: list[Section]


# Each kind of record: its section title, its rows of the patient, and the column its entries are headed by.
KINDS: list[tuple[str, type[models.Model], Callable[[Patient], models.QuerySet], str]] = [
    ("Intakes", Intake, lambda p: Intake.objects.filter(patient=p).order_by("created_at"), "created_at"),
    ("Consents", Consent, lambda p: Consent.objects.filter(intake__patient=p).order_by("pk"), "intake"),
    (
        "Clinical assessments",
        ClinicalAssessment,
        lambda p: ClinicalAssessment.objects.filter(intake__patient=p).order_by("pk"),
        "intake",
    ),
    ("Urgent referrals", Referral, lambda p: Referral.objects.filter(patient=p).order_by("opened_at"), "opened_at"),
    ("Alerts", Alert, lambda p: Alert.objects.filter(patient=p).order_by("opened_at"), "opened_at"),
    (
        "Treatment plans",
        TreatmentPlan,
        lambda p: TreatmentPlan.objects.filter(patient=p).order_by("start_date"),
        "start_date",
    ),
    ("Sessions", Session, lambda p: Session.objects.filter(patient=p).order_by("started_at"), "started_at"),
    (
        "Points needled",
        SessionPoint,
        lambda p: SessionPoint.objects.filter(session__patient=p).order_by("session__started_at", "position"),
        "session",
    ),
    (
        "Electroacupuncture",
        ElectroPair,
        lambda p: ElectroPair.objects.filter(session__patient=p).order_by("session__started_at", "pk"),
        "session",
    ),
    (
        "Adverse events",
        AdverseEvent,
        lambda p: AdverseEvent.objects.filter(session__patient=p).order_by("session__started_at", "pk"),
        "session",
    ),
    (
        "Addenda to signed notes",
        Addendum,
        lambda p: Addendum.objects.filter(session__patient=p).order_by("created_at"),
        "created_at",
    ),
    (
        "Questionnaires",
        Questionnaire,
        lambda p: Questionnaire.objects.filter(patient=p).order_by("due_date"),
        "due_date",
    ),
    ("Appointments", Appointment, lambda p: Appointment.objects.filter(patient=p).order_by("start"), "start"),
    ("Payments", Payment, lambda p: Payment.objects.filter(session__patient=p).order_by("paid_on", "pk"), "paid_on"),
    (
        "Progress reports",
        ProgressReport,
        lambda p: ProgressReport.objects.filter(patient=p).order_by("created_at"),
        "created_at",
    ),
]


def _when(value) -> str:
    if isinstance(value, datetime):
        return format_date(timezone.localtime(value), "M j, Y, H:i")
    if isinstance(value, date):
        return format_date(value, "M j, Y")
    return str(value)


def _fields(model: type[models.Model]) -> list[models.Field]:
    return [field for field in model._meta.concrete_fields if field.name not in HIDDEN]


def _names(rows_by_kind: dict[type, list]) -> dict[tuple[type, int], str]:
    """Words for every record a row points at: one query per kind of record pointed at."""
    wanted: dict[type, set[int]] = defaultdict(set)
    for model, rows in rows_by_kind.items():
        for field in _fields(model):
            if field.is_relation and field.name not in HIDDEN:
                target = field.related_model
                wanted[target] |= {getattr(row, field.attname) for row in rows} - {None}
    user_model = get_user_model()
    describe: dict[type, Callable] = {
        user_model: lambda u: u.get_full_name() or u.get_username(),
        Location: lambda loc: loc.name,
        Point: lambda point: point.code,
        Session: lambda s: f"session of {_when(s.started_at)}",
        Intake: lambda i: f"intake of {_when(i.created_at)}",
        TreatmentPlan: lambda plan: f"plan from {_when(plan.start_date)}",
        Referral: lambda r: f"referral of {_when(r.opened_at)}",
        Appointment: lambda a: f"appointment of {_when(a.start)}",
    }
    names = {}
    for target, ids in wanted.items():
        label = describe.get(target, str)
        for pk, obj in target._base_manager.in_bulk(ids).items():
            names[(target, pk)] = label(obj)
    return names


def _value(obj: models.Model, field: models.Field, names: dict) -> str:
    value = getattr(obj, field.attname)
    if value is None or value == "" or value == [] or value == {}:
        return ""
    if field.is_relation:
        return names.get((field.related_model, value), str(value))
    if field.choices:
        return str(getattr(obj, f"get_{field.name}_display")())
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (date, datetime)):
        return _when(value)
    if isinstance(value, list):
        labels = LIST_LABELS.get((type(obj), field.name), {})
        return ", ".join(labels.get(item, str(item)) for item in value)
    if isinstance(value, dict):
        return "; ".join(f"{key}: {item}" for key, item in value.items())
    return str(value)


def _entry(obj: models.Model, heading_field: str, names: dict) -> Entry:
    field = obj._meta.get_field(heading_field)
    heading = _value(obj, field, names) or obj._meta.verbose_name
    rows = []
    for field in _fields(obj._meta.model):
        if field.name == heading_field:
            continue  # it is the entry's heading
        text = _value(obj, field, names)
        if text:
            rows.append((str(field.verbose_name)[:1].upper() + str(field.verbose_name)[1:], text))
    return Entry(heading=heading[:1].upper() + heading[1:], rows=rows)


def patient_record(patient: Patient, *, recipient: str, now: datetime | None = None) -> PatientRecord:
    rows_by_kind = {Patient: [patient]} | {model: list(rows(patient)) for _title, model, rows, _heading in KINDS}
    names = _names(rows_by_kind)
    sections = [Section("Patient", [_entry(patient, "chart_number", names)])]
    for title, model, _rows, heading in KINDS:
        entries = [_entry(row, heading, names) for row in rows_by_kind[model]]
        sections.append(Section(title, entries))
    clinic = contact_details(patient.location)
    return PatientRecord(
        clinic_name=clinic["name"],
        clinic_address=clinic["address"],
        clinic_phone=clinic["phone"],
        patient_name=patient.full_name,
        chart_number=patient.chart_number,
        produced_at=timezone.localtime(now or timezone.now()),
        recipient=recipient,
        sections=sections,
    )


def patient_record_pdf(record: PatientRecord) -> bytes:
    pdf = FPDF(format="letter")
    pdf.set_title(pdf_text(f"Health record of {record.patient_name}"))
    pdf.set_author(pdf_text(record.clinic_name))
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()

    def para(text: str, *, size: int = 9, style: str = "", height: float = 4.5) -> None:
        paragraph(pdf, text, size=size, style=style, height=height)

    letterhead(pdf, record.clinic_name, record.clinic_address, record.clinic_phone)
    pdf.ln(3)
    para(f"Health record of {record.patient_name} (chart {record.chart_number})", size=13, style="B", height=7)
    para(
        f"Everything the clinic holds about the patient, produced {_when(record.produced_at)} for "
        f"{record.recipient}. Blank entries are left out."
    )
    for section in record.sections:
        pdf.ln(3)
        para(f"{section.title} ({len(section.entries)})", size=12, style="B", height=7)
        if not section.entries:
            para("None on record.")
        for entry in section.entries:
            pdf.ln(1)
            para(entry.heading, size=10, style="B", height=5.5)
            for label, text in entry.rows:
                para(f"{label}: {text}")
    return pdf_bytes(pdf)
