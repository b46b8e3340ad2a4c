"""The referral letter of an open red-flag referral: for the patient to carry to the emergency department
or to their physician, printed at the front desk (docs/clinical-rules.md, "Referral letter").

`referral_letter` gathers what the letter says, from the referral and the clinic's settings; the wording
is the app's own, with the patient's instructions in the words the patient pages use
(templates/patient/urgent_instructions.html). `referral_letter_pdf` lays it out.
"""

from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings
from django.utils import timezone
from django.utils.dateformat import format as format_date
from fpdf import FPDF

from clinic.locations import contact_details
from clinic.pdf import label_rows, letterhead, paragraph, pdf_bytes, pdf_text
from intake.models import Referral

# What the patient is told, in the words of the patient pages (an emergency) or as safety-netting advice
# naming the cauda equina signs (serious pathology).
EMERGENCY_INSTRUCTIONS = (
    "Go to a hospital emergency department today. Do not wait for your next appointment.",
    "If you cannot get there safely, call {emergency}.",
    "Tell them you have back pain and which of these warning signs you have. They can be signs of pressure on "
    "the nerves at the base of the spine (cauda equina syndrome), which needs to be checked the same day.",
)
ASSESSMENT_INSTRUCTIONS = (
    "See your physician promptly for an assessment, and take this letter with you.",
    "If your symptoms get worse, or you notice numbness between the legs, new problems passing urine or "
    "opening your bowels, or weakness in a leg, go to a hospital emergency department the same day or call "
    "{emergency}.",
)


@dataclass(frozen=True)
class ReferralLetter:
    clinic_name: str
    clinic_address: str
    clinic_phone: str
    emergency: bool
    printed_on: date
    patient_name: str
    patient_dob: date
    chart_number: str
    patient_phone: str
    signs: list[str]
    recorded_at: datetime
    recorded_from: str
    recorded_by: str
    reported_between_visits_at: datetime | None

    @property
    def title(self) -> str:
        if self.emergency:
            return "URGENT REFERRAL: possible cauda equina syndrome"
        return "REFERRAL FOR MEDICAL ASSESSMENT: red flags for serious pathology"

    @property
    def addressee(self) -> str:
        return "To the emergency department physician" if self.emergency else "To the patient's physician"

    @property
    def summary(self) -> str:
        if self.emergency:
            reason = (
                "which can be signs of cauda equina syndrome. We have advised them to go to a hospital emergency "
                "department today."
            )
        else:
            reason = (
                "which call for a medical assessment to rule out a serious cause of back pain (such as a fracture, "
                "an infection or cancer). We have advised them to see their physician promptly."
            )
        return (
            f"{self.patient_name} reported the warning signs below at {self.clinic_name}, {reason} No acupuncture "
            "has been given since these signs were recorded, and none will be until a doctor has assessed them and "
            "the clinic has recorded the result."
        )

    @property
    def instructions(self) -> list[str]:
        lines = EMERGENCY_INSTRUCTIONS if self.emergency else ASSESSMENT_INSTRUCTIONS
        return [line.format(emergency=settings.EMERGENCY_NUMBER) for line in lines]


def referral_letter(referral: Referral, *, today: date | None = None) -> ReferralLetter:
    """What the letter of `referral` says (its patient and the people on it read with it by the caller)."""
    patient = referral.patient
    clinic = contact_details(patient.location)
    by = referral.opened_by
    return ReferralLetter(
        clinic_name=clinic["name"],
        clinic_address=clinic["address"],
        clinic_phone=clinic["phone"],
        emergency=referral.is_emergency,
        printed_on=today or timezone.localdate(),
        patient_name=patient.full_name,
        patient_dob=patient.date_of_birth,
        chart_number=patient.chart_number,
        patient_phone=patient.phone,
        signs=referral.flag_labels,
        recorded_at=timezone.localtime(referral.opened_at, clinic["time_zone"]),
        recorded_from=referral.get_source_display(),
        recorded_by=(by.get_full_name() or by.get_username()) if by else "",
        reported_between_visits_at=timezone.localtime(referral.reported_between_visits_at, clinic["time_zone"])
        if referral.reported_between_visits_at
        else None,
    )


def _when(moment: datetime) -> str:
    return format_date(moment, "M j, Y, H:i")


def referral_letter_pdf(letter: ReferralLetter) -> bytes:
    pdf = FPDF(format="letter")
    pdf.set_title(pdf_text(f"Referral letter {letter.patient_name} {letter.printed_on:%Y-%m-%d}"))
    pdf.set_author(pdf_text(letter.clinic_name))
    pdf.add_page()
    contact = [part for part in (letter.clinic_address, letter.clinic_phone) if part]
    letterhead(pdf, letter.clinic_name, *contact)
    pdf.ln(4)
    paragraph(pdf, letter.title, size=13, style="B", height=7)
    paragraph(pdf, f"{format_date(letter.printed_on, 'M j, Y')}. {letter.addressee}", height=6)
    pdf.ln(2)
    patient = (
        ("Patient", letter.patient_name),
        ("Date of birth", format_date(letter.patient_dob, "M j, Y")),
        ("Chart number", letter.chart_number),
        ("Phone", letter.patient_phone or "-"),
    )
    label_rows(pdf, patient, width=35)
    pdf.ln(2)
    paragraph(pdf, letter.summary)
    source = letter.recorded_from[:1].lower() + letter.recorded_from[1:]
    recorded = f"Recorded {_when(letter.recorded_at)}, from the {source}"
    recorded += f" (by {letter.recorded_by})." if letter.recorded_by else "."
    if letter.reported_between_visits_at:
        recorded += f" Reported again between visits on {_when(letter.reported_between_visits_at)}."
    sections = (
        ("Warning signs found", [f"- {sign}" for sign in letter.signs] + [recorded]),
        ("What we told the patient", letter.instructions),
        (
            "Please tell us the result",
            [
                "Whether acupuncture for back pain may continue, and any precautions: "
                f"{', '.join([letter.clinic_name, *contact])}."
            ],
        ),
    )
    for heading, lines in sections:
        pdf.ln(2)
        paragraph(pdf, heading, size=11, style="B", height=7)
        for line in lines:
            paragraph(pdf, line)
    pdf.ln(10)
    paragraph(pdf, "Clinician: ______________________________   Signature: ______________________", height=6)
    return pdf_bytes(pdf)
