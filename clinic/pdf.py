"""What every printed document shares (fpdf2, its core fonts): the text they can draw, and the bytes."""

from io import BytesIO

from django.http import HttpResponse
from fpdf import FPDF


def pdf_text(value: str) -> str:
    """The core PDF fonts are Latin-1: dashes become hyphens and what they cannot draw a "?", rather than fail."""
    return value.replace("—", "-").replace("–", "-").replace("→", "->").encode("latin-1", "replace").decode("latin-1")


def pdf_bytes(pdf: FPDF) -> bytes:
    buffer = BytesIO()
    pdf.output(buffer)
    return buffer.getvalue()


def paragraph(pdf: FPDF, text: str, *, size: int = 10, style: str = "", height: float = 5) -> None:
    """Text across the page, wrapped, left-aligned, the cursor on the next line after it."""
    pdf.set_font("Helvetica", style, size)
    pdf.multi_cell(0, height, pdf_text(text), align="L", new_x="LMARGIN", new_y="NEXT")


def label_rows(pdf: FPDF, rows, *, width: float = 40, height: float = 6) -> None:
    """A column of bold labels and their values beside them ("Patient  Ana Bergström"), a value wrapping
    under itself when it is long."""
    for label, value in rows:
        pdf.set_font("Helvetica", "B", 10)
        pdf.cell(width, height, pdf_text(label))
        pdf.set_font("Helvetica", "", 10)
        pdf.multi_cell(0, height, pdf_text(value), align="L", new_x="LMARGIN", new_y="NEXT")


def letterhead(pdf: FPDF, name: str, *details: str) -> None:
    """The clinic's name, then its address, phone and the like on one line: the top of every document."""
    paragraph(pdf, name, size=15, style="B", height=8)
    paragraph(pdf, " | ".join(part for part in details if part), size=9)


def pdf_response(content: bytes, filename: str, *, download: bool = False) -> HttpResponse:
    """A PDF shown in the browser (or, `download`, saved), never kept by a cache."""
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'{"attachment" if download else "inline"}; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response
