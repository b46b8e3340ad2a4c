"""Every page of the access table (tests/test_access.py) that a role opens with a 200: the list the
accessibility test (tests/browser/test_every_page.py) and the HTML-validity test (tests/test_html_validity.py)
walk. A new row in the table is picked up by both with nothing else to change.
"""

import re

from django.urls import reverse

from clinic.links import issue_link
from tests.test_access import ACCESS

# "patient": a browser holding a weekly-questionnaire link session (as tests/test_access.py opens it).
PAGE_ROLES = ["patient", "front_desk", "acupuncturist", "manager"]

_DOCTYPE = re.compile(rb"^\s*<!doctype html>", re.IGNORECASE)


def pages_for(role: str, objects) -> list[tuple[str, str]]:
    """(URL name, path) of every page in the access table that `role` may open (expected status 200)."""
    pages = []
    for name, (kwargs_for, expected) in ACCESS.items():
        if expected.get(role) == 200:
            pages.append((name, reverse(name, kwargs=kwargs_for(objects) if kwargs_for else None)))
    return pages


def patient_link_path(objects) -> str:
    """The weekly-questionnaire link a patient opens; following it starts the patient's link session."""
    questionnaire = objects.questionnaire
    _, token = issue_link(patient=questionnaire.patient, purpose="questionnaire", subject=questionnaire)
    return reverse("clinic:link-open", args=[token])


def is_document(content_type: str, body: bytes) -> bool:
    """An HTML document (not a PDF, CSV, JSON, or an HTML fragment such as the point picker's options).

    Fragments are inserted into a page that is itself checked; on their own they are not documents
    (no doctype, no <title>), so neither axe nor the Nu checker can judge them.
    """
    return content_type.split(";")[0].strip() == "text/html" and bool(_DOCTYPE.match(body))
