"""Reading back the documents the app prints."""

import io

from pypdf import PdfReader


def pdf_text(response) -> str:
    """A PDF response's text, every run of white space one space, after checking it is a PDF."""
    assert response["Content-Type"] == "application/pdf"
    return " ".join(" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(response.content)).pages)
