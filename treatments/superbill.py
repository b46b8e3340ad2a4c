"""The superbill of a signed session: the lines a patient sends to their insurer."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import Exists, OuterRef, Q, Sum
from django.utils import timezone
from fpdf import FPDF

from clinic.locations import contact_details
from clinic.pdf import label_rows, letterhead, pdf_bytes, pdf_text
from treatments import billing
from treatments.models import ElectroPair, Fee, Session

POINTER_LETTERS = "ABCDEFGHIJKL"


@dataclass(frozen=True)
class SuperbillLine:
    code: str
    description: str
    modifiers: str
    units: int
    pointers: str
    fee: Decimal
    note: str = ""  # for a biller, e.g. that 97140 is expected to bundle into the acupuncture codes

    @property
    def amount(self) -> Decimal:
        return self.fee * self.units


@dataclass(frozen=True)
class Superbill:
    clinic_name: str
    clinic_address: str
    clinic_phone: str
    tax_id: str
    practitioner: str
    credentials: str
    licence: str
    npi: str
    patient_name: str
    patient_dob: date
    chart_number: str
    service_date: date
    place_of_service: str
    diagnoses: list[tuple[str, str, str]]  # (pointer letter, code, description)
    lines: list[SuperbillLine]
    paid: Decimal
    # Codes an Excludes1 note forbids together, on a plan saved before the rule or by another path: the form
    # refuses them now, and the superbill says so rather than print a claim a payer rejects.
    conflicts: tuple[str, ...] = ()

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal("0.00"))

    @property
    def balance(self) -> Decimal:
        return self.total - self.paid

    @property
    def credit(self) -> Decimal:
        """What was paid beyond the charges (shown instead of a negative balance)."""
        return max(self.paid - self.total, Decimal("0.00"))


def billed_cpt_lines(session: Session) -> list[billing.CptLine]:
    """The session's claim lines with "one initial code per day" applied across the patient's day.

    One query: the patient's signed sessions on the session's local date of service (and the session
    itself, signed or not), each with its minutes, re-insertions, whether it used electrical
    stimulation and whether it recorded Tui Na to a separate region.
    """
    service_date = timezone.localtime(session.started_at).date()
    day_start = timezone.make_aware(datetime.combine(service_date, time.min))
    next_day_start = timezone.make_aware(datetime.combine(service_date + timedelta(days=1), time.min))
    rows = (
        Session.objects.filter(patient_id=session.patient_id, started_at__gte=day_start, started_at__lt=next_day_start)
        .filter(Q(signed_at__isnull=False) | Q(pk=session.pk))
        .annotate(electroacupuncture=Exists(ElectroPair.objects.filter(session=OuterRef("pk"))))
        .order_by()
        .values_list(
            "pk",
            "started_at",
            "contact_minutes",
            "electroacupuncture",
            "reinsertions",
            "tuina_minutes",
            "tuina_separate_region",
        )
    )
    day = [
        billing.SessionTime(
            id=pk,
            service_date=service_date,
            started_at=started_at,
            contact_minutes=contact_minutes,
            electroacupuncture=electroacupuncture,
            reinsertions=reinsertions,
            tuina_minutes=tuina_minutes,
            tuina_separate_region=separate_region,
        )
        for pk, started_at, contact_minutes, electroacupuncture, reinsertions, tuina_minutes, separate_region in rows
    ]
    return billing.day_cpt_lines(day)[session.pk]


def build_superbill(session: Session) -> Superbill:
    plan = session.plan
    profile = getattr(session.practitioner, "staff_profile", None)
    codes = plan.diagnosis_codes[: len(POINTER_LETTERS)]
    diagnoses = [(POINTER_LETTERS[i], code, billing.describe_icd10(code)) for i, code in enumerate(codes)]
    pointers = ",".join(letter for letter, _, _ in diagnoses[:4])  # a claim line links at most four
    fees = dict(Fee.objects.values_list("cpt_code", "amount"))
    cpt = billed_cpt_lines(session)
    lines = [
        SuperbillLine(
            code=line.code,
            description=line.description,
            modifiers=" ".join(line.modifiers),
            units=line.units,
            pointers=pointers,
            fee=fees.get(line.code, Decimal("0.00")),
            note=line.note,
        )
        for line in cpt
    ]
    paid = (session.payments.aggregate(total=Sum("amount"))["total"] or Decimal(0)).quantize(Decimal("0.01"))
    licence = f"{profile.licence_state} {profile.licence_number}".strip() if profile else ""
    where = contact_details(session.location)
    return Superbill(
        clinic_name=where["name"],
        clinic_address=where["address"],
        clinic_phone=where["phone"],
        tax_id=settings.CLINIC_TAX_ID,
        practitioner=session.practitioner.get_full_name() or session.practitioner.get_username(),
        credentials=profile.credentials if profile else "",
        licence=licence,
        npi=profile.npi if profile else "",
        patient_name=session.patient.full_name,
        patient_dob=session.patient.date_of_birth,
        chart_number=session.patient.chart_number,
        service_date=timezone.localtime(session.started_at).date(),
        place_of_service="11 — Office",
        diagnoses=diagnoses,
        lines=lines,
        paid=paid,
        conflicts=tuple(billing.excludes1_conflicts(plan.diagnosis_codes)),
    )


def superbill_pdf(bill: Superbill) -> bytes:
    pdf = FPDF(format="letter")
    pdf.set_title(pdf_text(f"Superbill {bill.patient_name} {bill.service_date:%Y-%m-%d}"))
    pdf.set_author(pdf_text(bill.clinic_name))
    pdf.add_page()
    letterhead(pdf, bill.clinic_name, bill.clinic_address, bill.clinic_phone, f"Tax ID {bill.tax_id}")
    pdf.ln(3)
    pdf.set_font("Helvetica", "B", 12)
    pdf.cell(0, 7, "SUPERBILL - Statement of services", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    rows = [
        ("Provider", f"{bill.practitioner}, {bill.credentials}".strip(", ")),
        ("Licence", bill.licence or "-"),
        ("NPI", bill.npi or "-"),
        ("Patient", f"{bill.patient_name} (chart {bill.chart_number})"),
        ("Date of birth", f"{bill.patient_dob:%m/%d/%Y}"),
        ("Date of service", f"{bill.service_date:%m/%d/%Y}"),
        ("Place of service", bill.place_of_service),
    ]
    label_rows(pdf, rows)
    pdf.ln(2)
    pdf.set_font("Helvetica", "B", 10)
    pdf.cell(0, 6, "Diagnoses (ICD-10-CM)", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    for letter, code, description in bill.diagnoses:
        pdf.cell(0, 5, pdf_text(f"{letter}. {code}  {description}"), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    widths = (20, 78, 18, 12, 20, 22, 22)
    with pdf.table(col_widths=widths, text_align=("LEFT", "LEFT", "LEFT", "RIGHT", "LEFT", "RIGHT", "RIGHT")) as table:
        table.row(["CPT", "Description", "Modifier", "Units", "Dx pointer", "Fee", "Amount"])
        for line in bill.lines:
            table.row(
                [
                    line.code,
                    pdf_text(f"{line.description}. {line.note}" if line.note else line.description),
                    line.modifiers,
                    str(line.units),
                    line.pointers,
                    f"${line.fee:.2f}",
                    f"${line.amount:.2f}",
                ]
            )
    pdf.ln(3)
    pdf.set_font("Helvetica", "B", 10)
    owed = ("Credit", bill.credit) if bill.credit else ("Balance", bill.balance)
    for label, amount in (("Total charges", bill.total), ("Amount paid", bill.paid), owed):
        pdf.cell(150, 6, label, align="R")
        pdf.cell(0, 6, f"${amount:.2f}", align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.set_font("Helvetica", "", 9)
    pdf.multi_cell(
        0,
        5,
        pdf_text(
            f"I certify that the services above were provided by me. Signed electronically by {bill.practitioner}."
        ),
    )
    return pdf_bytes(pdf)
