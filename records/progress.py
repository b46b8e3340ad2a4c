"""The progress report of a course of care, for a payer's reviewer or the referring physician
(docs/clinical-rules.md, "Progress report").

`progress_report` gathers what the report says: the clinician's assessment and addressee from the issued
`ProgressReport`, everything else from the records as they stood when it was issued (sessions logged and
questionnaires answered by then), so a copy printed again for the payer says the same. Change from baseline
and responder status are `outcomes.chart.course_summary`'s, the patient chart's own; the visits and no-shows
are the plan page's (`scheduling.panels.course_figures`). `progress_chart_svg` draws the ODI and pain trend
as one SVG, shown inline on the HTML page and drawn into the PDF by fpdf2's SVG renderer (no plotting
library: the same picture in both, vector, its labels real text). `progress_report_pdf` lays it out.
"""

from dataclasses import dataclass, field
from datetime import date, datetime
from io import BytesIO

from django.utils import timezone
from django.utils.dateformat import format as format_date
from django.utils.html import escape
from fpdf import FPDF

from clinic.locations import contact_details
from clinic.pdf import label_rows, letterhead, paragraph, pdf_bytes, pdf_text
from outcomes import scoring
from outcomes.chart import OutcomeSummary, PainChange, course_summary
from outcomes.models import Questionnaire
from outcomes.scoring import (
    MEANINGFUL_FRACTION,
    ODI_BAND_LABELS,
    ODI_MEANINGFUL_POINTS,
    PAIN_MEANINGFUL_POINTS,
    OdiBand,
    odi_band,
)
from records.models import ProgressReport
from scheduling.panels import course_figures
from treatments import billing

ODI_SCALE = (
    "Oswestry Disability Index (ODI 2.1a): 0-100 %, higher is more disability. Minimal clinically important "
    f"difference: a drop of {ODI_MEANINGFUL_POINTS} points or {MEANINGFUL_FRACTION * 100} % of the baseline "
    "(Ostelo et al. 2008); a responder meets it against the baseline."
)
MCID = "a minimal clinically important difference"
PAIN_SCALE = (
    "Back and leg pain now: numeric rating scale (NRS) 0-10, 0 no pain, 10 worst imaginable. Meaningful change: "
    f"a drop of {PAIN_MEANINGFUL_POINTS} points or {MEANINGFUL_FRACTION * 100} % of the baseline."
)


@dataclass(frozen=True)
class ScoreRow:
    """One answered questionnaire of the course."""

    due_date: date
    week: int
    odi: int | None
    band: str
    back_pain: int | None
    leg_pain: int | None


@dataclass(frozen=True)
class Measure:
    """One outcome measure, baseline against latest."""

    name: str
    baseline: int
    latest: int
    points: int  # latest - baseline: an improvement is negative
    percent: str  # of the baseline, signed, "" when the baseline is 0
    meaningful: bool
    unit: str = ""

    @property
    def change_text(self) -> str:
        text = f"{self.points:+d}{self.unit and ' ' + self.unit}"
        return f"{text} ({self.percent} %)" if self.percent else text


@dataclass
class ProgressReportData:
    clinic_name: str
    clinic_address: str
    clinic_phone: str
    clinic_email: str
    issued_at: datetime
    addressee: str
    patient_name: str
    patient_dob: date
    chart_number: str
    diagnoses: list[tuple[str, str]]
    tcm_pattern: str
    plan_start: date
    plan_status: str
    frequency: str
    planned_sessions: int
    goals: str
    sessions_attended: int
    first_session: date | None
    last_session: date | None
    visits: dict | None  # the schedule's counts, None when no visit of the course was booked through it
    rows: list[ScoreRow]
    summary: OutcomeSummary
    measures: list[Measure]
    chart_svg: str
    assessment: str
    clinician: str
    credentials: str
    licence: str
    npi: str
    missing: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def dates_of_service(self) -> str:
        if self.first_session is None:
            return "none yet"
        first, last = format_date(self.first_session, "M j, Y"), format_date(self.last_session, "M j, Y")
        return first if first == last else f"{first} to {last}"

    @property
    def attendance(self) -> str:
        text = f"{self.sessions_attended} of {self.planned_sessions} planned sessions attended"
        if self.visits is None:
            return f"{text}. No visits of this course were booked through the schedule, so no-shows are not recorded."
        visits = self.visits
        text += f"; of {visits['due']} booked visits due, {visits['attended']} attended, {visits['no_shows']} no-show"
        text += "" if visits["no_shows"] == 1 else "s"
        if visits["adherence_percent"] is not None:
            text += f" (adherence {visits['adherence_percent']} %)"
        return text + "."

    @property
    def responder_text(self) -> str:
        summary = self.summary
        if summary.responder is None:
            return "Responder status: not assessable yet (it needs a baseline ODI and a later one)."
        odi = summary.change
        change = f"{odi.points:+d} points" + (f" ({odi.percent:+} %)" if odi.percent is not None else "")
        if summary.responder:
            return f"Responder: yes. The ODI changed {change} from the baseline, {MCID}."
        if odi.points > 0:
            return (
                f"Responder: no. The ODI worsened by {odi.points} points from the baseline (higher is more disability)."
            )
        return f"Responder: not yet. The ODI changed {change} from the baseline, less than {MCID}."

    @property
    def threshold_text(self) -> str:
        threshold = self.summary.meaningful_threshold
        if threshold is None:
            return ""
        baseline = self.summary.baseline.odi_score
        return f"For this patient's baseline of {baseline} %, an ODI of {threshold} % or lower is a meaningful change."

    @property
    def signature_line(self) -> str:
        parts = [f"{self.clinician}, {self.credentials}".strip(", ")]
        if self.licence:
            parts.append(f"licence {self.licence}")
        if self.npi:
            parts.append(f"NPI {self.npi}")
        return "; ".join(parts)


def _pain(name: str, baseline, latest) -> Measure | None:
    if baseline is None or latest is None:
        return None
    change = PainChange(baseline, latest)
    return Measure(name, baseline, latest, change.points, _percent(baseline, latest), change.meaningful, "points")


def _percent(baseline: int, latest: int) -> str:
    percent = scoring.change(baseline, latest).percent
    return "" if percent is None else f"{percent:+}"


# The ODI bands as a payer or physician reads them: Fairbank's top band says "bed-bound or exaggerating", which
# a report about one patient must not say of them.
REPORT_BANDS = {**ODI_BAND_LABELS, OdiBand.BED_BOUND: "Bed-bound"}


def as_issued(plan, author) -> dict:
    """What a report prints of its plan and its author, kept on the report when it is issued (JSON)."""
    profile = getattr(author, "staff_profile", None)
    return {
        "diagnoses": [[code, billing.describe_icd10(code)] for code in plan.diagnosis_codes],
        "tcm_pattern": plan.get_tcm_pattern_display(),
        "plan_start": plan.start_date.isoformat(),
        "plan_status": plan.get_status_display(),
        "frequency": plan.frequency,
        "planned_sessions": plan.planned_sessions,
        "goals": plan.goals,
        "clinician": author.get_full_name() or author.get_username(),
        "credentials": profile.credentials if profile else "",
        "licence": f"{profile.licence_state} {profile.licence_number}".strip() if profile else "",
        "npi": profile.npi if profile else "",
    }


def progress_report(report: ProgressReport) -> ProgressReportData:
    """What `report` says. Four queries: sessions, questionnaires, visits (one aggregate each), and the count
    of locations `contact_details` reads; the report's plan, patient, location and author are the caller's."""
    plan, patient, moment = report.plan, report.plan.patient, report.created_at
    clinic = contact_details(patient.location)
    # Counted as the report was issued: the sessions and answers on record then (a session logged later with an
    # earlier date is not counted), and the plan and author as they were (`as_issued`, kept on the report).
    issued = report.as_issued or as_issued(plan, report.author)
    logged = plan.sessions.filter(started_at__lte=moment, created_at__lte=moment)
    starts = sorted(logged.values_list("started_at", flat=True))
    answered = list(Questionnaire.objects.filter(plan=plan, submitted_at__lte=moment).order_by("due_date", "pk"))
    scored = [r for r in answered if r.odi_score is not None]
    summary = course_summary(scored, first_session_at=starts[0] if starts else None)
    visits = course_figures(plan, now=moment)
    booked = visits["due"] or visits["booked"] or visits["no_shows"]
    days = [timezone.localtime(start, clinic["time_zone"]).date() for start in starts]
    measures: list[Measure] = []
    baseline, latest = summary.baseline, summary.latest
    if summary.change is not None:
        percent = summary.change.percent
        measures.append(
            Measure(
                "ODI (%)",
                baseline.odi_score,
                latest.odi_score,
                summary.change.points,
                "" if percent is None else f"{percent:+}",
                summary.responder,
                "points",
            )
        )
        for name, column in (
            ("Back pain now (NRS 0-10)", "back_pain_now"),
            ("Leg pain now (NRS 0-10)", "leg_pain_now"),
        ):
            measure = _pain(name, getattr(baseline, column), getattr(latest, column))
            if measure is not None:
                measures.append(measure)
    rows = [
        ScoreRow(
            r.due_date,
            r.week,
            r.odi_score,
            REPORT_BANDS[odi_band(r.odi_score)] if r.odi_score is not None else "",
            r.back_pain_now,
            r.leg_pain_now,
        )
        for r in answered
    ]
    data = ProgressReportData(
        clinic_name=clinic["name"],
        clinic_address=clinic["address"],
        clinic_phone=clinic["phone"],
        clinic_email=clinic["email"],
        issued_at=timezone.localtime(moment, clinic["time_zone"]),
        addressee=report.addressee,
        patient_name=patient.full_name,
        patient_dob=patient.date_of_birth,
        chart_number=patient.chart_number,
        diagnoses=[tuple(diagnosis) for diagnosis in issued["diagnoses"]],
        tcm_pattern=issued["tcm_pattern"],
        plan_start=date.fromisoformat(issued["plan_start"]),
        plan_status=issued["plan_status"],
        frequency=issued["frequency"],
        planned_sessions=issued["planned_sessions"],
        goals=issued["goals"],
        sessions_attended=len(starts),
        first_session=days[0] if days else None,
        last_session=days[-1] if days else None,
        visits=visits if booked else None,
        rows=rows,
        summary=summary,
        measures=measures,
        chart_svg=progress_chart_svg(rows, days, threshold=summary.meaningful_threshold),
        assessment=report.assessment,
        clinician=issued["clinician"],
        credentials=issued["credentials"],
        licence=issued["licence"],
        npi=issued["npi"],
    )
    data.missing, data.notes = _gaps(data, answered, scored)
    return data


def _gaps(data: ProgressReportData, answered: list, scored: list) -> tuple[list[str], list[str]]:
    """What the report cannot say and why (a smaller report, never none), and what qualifies what it says."""
    missing, notes = [], []
    summary = data.summary
    if not data.sessions_attended:
        missing.append("No treatment session has been logged for this course of care yet.")
    if not answered:
        missing.append(
            "No outcome questionnaire has been answered for this course of care: there are no objective measures "
            "to report yet."
        )
    elif not scored:
        missing.append("No answered questionnaire has an ODI score (two or more of its sections were left unanswered).")
    elif summary.baseline is None:
        missing.append(
            "No baseline: no ODI was scored in week 0 or 1 of this course, so the change from baseline and "
            "responder status cannot be given."
        )
    elif summary.latest == summary.baseline:
        missing.append("Only the baseline questionnaire has been answered: there is no later score to compare yet.")
    if summary.baseline_before_treatment is False:
        notes.append(
            "The baseline questionnaire was answered after treatment had begun, so the change from baseline may "
            "understate the improvement."
        )
    return missing, notes


# --- the chart -------------------------------------------------------------------------------

WIDTH, HEIGHT = 640, 266
LEFT, RIGHT, TOP, BOTTOM = 44, 596, 26, 206
SERIES = (
    # (label, colour, dash, the row's value scaled to 0-100)
    ("ODI (%)", "#0d6efd", "", lambda row: row.odi),
    ("Back pain (NRS x10)", "#d63384", "6 3", lambda row: None if row.back_pain is None else row.back_pain * 10),
    ("Leg pain (NRS x10)", "#fd7e14", "2 3", lambda row: None if row.leg_pain is None else row.leg_pain * 10),
)


def progress_chart_svg(rows: list[ScoreRow], session_days: list[date], *, threshold: int | None) -> str:
    """The ODI and pain trend against time (left axis ODI 0-100 %, right axis pain 0-10), the session days as
    ticks along the bottom and the meaningful-change threshold as a dashed line; "" with no score to plot."""
    plotted = [row for row in rows if row.odi is not None or row.back_pain is not None or row.leg_pain is not None]
    if not plotted:
        return ""
    days = [row.due_date for row in plotted] + list(session_days)
    first, last = min(days), max(days)
    span = max((last - first).days, 1)

    def x(day: date) -> float:
        return round(LEFT + (RIGHT - LEFT) * ((day - first).days / span if last > first else 0.5), 1)

    def y(value: float) -> float:
        return round(BOTTOM - (BOTTOM - TOP) * value / 100, 1)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" '
        'role="img" aria-label="ODI and pain over the course of care" font-family="Helvetica" font-size="10">',
        f'<rect x="{LEFT}" y="{TOP}" width="{RIGHT - LEFT}" height="{BOTTOM - TOP}" fill="none" stroke="#adb5bd"/>',
    ]
    for value in (0, 20, 40, 60, 80, 100):
        parts.append(f'<line x1="{LEFT}" y1="{y(value)}" x2="{RIGHT}" y2="{y(value)}" stroke="#e9ecef"/>')
        parts.append(f'<text x="{LEFT - 4}" y="{y(value) + 3}" text-anchor="end" fill="#495057">{value}</text>')
        parts.append(f'<text x="{RIGHT + 4}" y="{y(value) + 3}" fill="#495057">{value // 10}</text>')
    parts.append(f'<text x="4" y="{TOP - 12}" fill="#495057">ODI %</text>')
    parts.append(f'<text x="{RIGHT - 6}" y="{TOP - 12}" fill="#495057">pain</text>')
    if threshold is not None:
        parts.append(
            f'<line x1="{LEFT}" y1="{y(threshold)}" x2="{RIGHT}" y2="{y(threshold)}" stroke="#198754" '
            'stroke-dasharray="4 4"/>'
        )
    for day in sorted(set(session_days)):
        parts.append(f'<line x1="{x(day)}" y1="{BOTTOM}" x2="{x(day)}" y2="{BOTTOM - 6}" stroke="#6c757d"/>')
    for _label, colour, dash, value_of in SERIES:
        points = [(x(row.due_date), y(value_of(row))) for row in plotted if value_of(row) is not None]
        if not points:
            continue
        dashed = f' stroke-dasharray="{dash}"' if dash else ""
        if len(points) > 1:
            coords = " ".join(f"{px},{py}" for px, py in points)
            parts.append(f'<polyline points="{coords}" fill="none" stroke="{colour}" stroke-width="2"{dashed}/>')
        parts += [f'<circle cx="{px}" cy="{py}" r="3" fill="{colour}"/>' for px, py in points]
    for day in sorted({first, last}):
        parts.append(
            f'<text x="{x(day)}" y="{BOTTOM + 14}" text-anchor="middle" fill="#495057">'
            f"{escape(format_date(day, 'M j, Y'))}</text>"
        )
    legend_x = LEFT
    for label, colour, dash, _value in SERIES:
        dashed = f' stroke-dasharray="{dash}"' if dash else ""
        parts.append(
            f'<line x1="{legend_x}" y1="{HEIGHT - 24}" x2="{legend_x + 20}" y2="{HEIGHT - 24}" stroke="{colour}" '
            f'stroke-width="2"{dashed}/>'
        )
        parts.append(f'<text x="{legend_x + 24}" y="{HEIGHT - 20}">{escape(label)}</text>')
        legend_x += 130
    if threshold is not None:
        parts.append(
            f'<line x1="{legend_x}" y1="{HEIGHT - 24}" x2="{legend_x + 20}" y2="{HEIGHT - 24}" stroke="#198754" '
            'stroke-dasharray="4 4"/>'
        )
        parts.append(f'<text x="{legend_x + 24}" y="{HEIGHT - 20}">ODI meaningful change</text>')
    parts.append(f'<line x1="{LEFT + 10}" y1="{HEIGHT - 2}" x2="{LEFT + 10}" y2="{HEIGHT - 8}" stroke="#6c757d"/>')
    parts.append(f'<text x="{LEFT + 24}" y="{HEIGHT - 2}" fill="#495057">session days (ticks along the bottom)</text>')
    parts.append("</svg>")
    return "".join(parts)


# --- the PDF ---------------------------------------------------------------------------------


class _ReportPdf(FPDF):
    footer_text = ""

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("Helvetica", "", 8)
        self.cell(0, 5, pdf_text(f"{self.footer_text} | page {self.page_no()} of {{nb}}"), align="C")


def _heading(pdf: FPDF, text: str) -> None:
    pdf.ln(2)
    paragraph(pdf, text, size=11, style="B", height=7)


def _score(value: int | None, unit: str = "") -> str:
    return "-" if value is None else f"{value}{unit}"


def progress_report_pdf(data: ProgressReportData) -> bytes:
    pdf = _ReportPdf(format="letter")
    pdf.footer_text = (
        f"Progress report: {data.patient_name}, chart {data.chart_number}. Confidential health information"
    )
    pdf.set_title(pdf_text(f"Progress report {data.patient_name} {data.issued_at:%Y-%m-%d}"))
    pdf.set_author(pdf_text(data.clinic_name))
    pdf.set_auto_page_break(True, margin=16)
    pdf.add_page()
    letterhead(pdf, data.clinic_name, data.clinic_address, data.clinic_phone, data.clinic_email)
    pdf.ln(3)
    paragraph(pdf, "Progress report", size=14, style="B", height=8)
    paragraph(pdf, "Acupuncture course of care for low back pain / sciatica", size=10)
    pdf.ln(2)
    label_rows(
        pdf,
        [
            ("Patient", data.patient_name),
            ("Date of birth", format_date(data.patient_dob, "M j, Y")),
            ("Chart number", data.chart_number),
            ("Report date", format_date(data.issued_at, "M j, Y")),
            ("Addressed to", data.addressee),
            ("Dates of service", data.dates_of_service),
        ],
        width=42,
        height=5.5,
    )
    _heading(pdf, "Diagnoses (ICD-10-CM)")
    for code, description in data.diagnoses or [("-", "none recorded on the plan")]:
        paragraph(pdf, f"{code}  {description}".rstrip())
    _heading(pdf, "Plan of care")
    label_rows(
        pdf,
        [
            ("Start date", format_date(data.plan_start, "M j, Y")),
            ("Status", data.plan_status),
            ("TCM pattern", data.tcm_pattern),
            ("Frequency", data.frequency),
            ("Planned sessions", str(data.planned_sessions)),
            ("Goals", data.goals),
        ],
        width=42,
        height=5.5,
    )
    _heading(pdf, "Attendance")
    paragraph(pdf, data.attendance)
    _heading(pdf, "Objective measures")
    paragraph(pdf, ODI_SCALE, size=9, height=4.5)
    paragraph(pdf, PAIN_SCALE, size=9, height=4.5)
    pdf.ln(1)
    if data.measures:
        pdf.set_font("Helvetica", "", 9)
        with pdf.table(
            col_widths=(55, 40, 40, 40, 25), text_align=("LEFT", "RIGHT", "RIGHT", "RIGHT", "CENTER")
        ) as table:
            table.row(["Measure", "Baseline", "Latest", "Change", "Meaningful"])
            baseline, latest = data.summary.baseline, data.summary.latest
            for measure in data.measures:
                table.row(
                    [
                        measure.name,
                        f"{measure.baseline} ({format_date(baseline.due_date, 'M j')})",
                        f"{measure.latest} ({format_date(latest.due_date, 'M j')})",
                        pdf_text(measure.change_text),
                        "yes" if measure.meaningful else "no",
                    ]
                )
        pdf.ln(1)
    paragraph(pdf, data.responder_text, style="B")
    if data.threshold_text:
        paragraph(pdf, data.threshold_text, size=9)
    for line in data.missing + data.notes:
        paragraph(pdf, line, size=9)
    if data.rows:
        pdf.ln(2)
        pdf.set_font("Helvetica", "", 9)
        with pdf.table(
            col_widths=(35, 18, 22, 55, 30, 30), text_align=("LEFT", "RIGHT", "RIGHT", "LEFT", "RIGHT", "RIGHT")
        ) as table:
            table.row(["Questionnaire due", "Week", "ODI (%)", "ODI band", "Back pain", "Leg pain"])
            for row in data.rows:
                table.row(
                    [
                        format_date(row.due_date, "M j, Y"),
                        str(row.week),
                        _score(row.odi),
                        row.band,
                        _score(row.back_pain),
                        _score(row.leg_pain),
                    ]
                )
    if data.chart_svg:
        if pdf.will_page_break(95):
            pdf.add_page()
        _heading(pdf, "Trend over the course of care")
        paragraph(
            pdf,
            "ODI (left axis, %) and back and leg pain now (right axis, NRS 0-10) by questionnaire due date.",
            size=9,
        )
        pdf.image(BytesIO(data.chart_svg.encode()), x=pdf.l_margin, w=pdf.epw)
    _heading(pdf, "Clinician's assessment")
    paragraph(pdf, data.assessment or "-")
    if pdf.will_page_break(30):
        pdf.add_page()
    pdf.ln(8)
    paragraph(pdf, f"Clinician: {data.signature_line}")
    paragraph(
        pdf, f"Issued electronically by {data.clinician} on {format_date(data.issued_at, 'M j, Y, H:i')}.", size=9
    )
    pdf.ln(6)
    paragraph(pdf, "Signature: ________________________________   Date: ________________", height=6)
    return pdf_bytes(pdf)
