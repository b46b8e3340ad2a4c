"""What every printed document shares (fpdf2, its core fonts): the text they can draw, and the bytes."""

from io import BytesIO

from fpdf import FPDF


def pdf_text(value: str) -> str:
    """The core PDF fonts are Latin-1: dashes become hyphens and what they cannot draw a "?", rather than fail."""
    return value.replace("—", "-").replace("–", "-").replace("→", "->").encode("latin-1", "replace").decode("latin-1")


def pdf_bytes(pdf: FPDF) -> bytes:
    buffer = BytesIO()
    pdf.output(buffer)
    return buffer.getvalue()
