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


def client_for(role: str, users: dict, objects):
    """A Django test client as `role`: staff signed in (past the second factor where required), the patient
    holding the weekly-questionnaire link session."""
    from django.test import Client

    from tests.conftest import _client_for

    if role != "patient":
        return _client_for(users[role])
    client = Client()
    assert client.get(patient_link_path(objects)).status_code == 302
    return client


def is_document(content_type: str, body: bytes) -> bool:
    """An HTML document (not a PDF, CSV, JSON, or an HTML fragment such as the point picker's options).

    Fragments are inserted into a page that is itself checked; on their own they are not documents
    (no doctype, no <title>), so neither axe nor the Nu checker can judge them.
    """
    return content_type.split(";")[0].strip() == "text/html" and bool(_DOCTYPE.match(body))


def pages_after_a_post(role: str, client, objects) -> list[tuple[str, str, object]]:
    """(label, path, response) of the pages a role reaches only by posting a form, which the access table (GETs)
    never opens: the link page with its printable handout, the backup codes while they are shown, and each
    step of the patient's weekly form (its error state and the urgent page after a warning sign included).

    `client` is the role's Django test client (the patient's already holds the questionnaire's link session).
    """
    from intake.rules import CAUDA_EQUINA_KEYS
    from tests.factories import questionnaire_data, warning_sign_data

    pages = []

    def keep(label: str, response, path: str = "", *, shows: str = "") -> None:
        # What the page must be, so that a flow gone wrong (a redirect, another step) is not checked instead.
        assert shows in response.content.decode(), f"{label}: the page does not show {shows!r}"
        pages.append((label, path or response.request["PATH_INFO"], response))

    if role == "front_desk":
        questionnaire = objects.questionnaire
        due = questionnaire.due_date.isoformat()
        keep(
            "questionnaire link",
            client.post(reverse("outcomes:questionnaire-link-create", args=[questionnaire.patient.pk, due])),
        )
        keep(
            "intake link",
            client.post(reverse("intake:intake-link-create", args=[objects.patient.pk])),
            shows="QR code of the link",
        )
    if role == "manager":  # signed in past the second factor, with an authenticator (tests/conftest.py)
        made = client.post(reverse("clinic:twofactor-backup-codes"))
        keep("backup codes, shown once", client.get(made["Location"]), shows='data-testid="backup-codes"')
    if role == "patient":
        form, signs = reverse("outcomes:patient-form"), reverse("outcomes:patient-warning-signs")
        keep("step 1 with an answer missing", client.post(signs, {}), signs, shows="Step 1 of 4")
        client.post(signs, warning_sign_data())
        for number, step in ((2, "pain"), (3, "odi"), (4, "rest")):
            keep(
                f"step {number}",
                client.get(f"{form}?step={number}"),
                f"{form}?step={number}",
                shows=f"Step {number} of 4",
            )
            if step == "rest":
                keep(
                    "step 4 with answers missing",
                    client.post(form, {"step": step, "go": "next"}),
                    form,
                    shows="Step 4 of 4",
                )
            else:
                client.post(form, {**questionnaire_data(), "step": step, "go": "next"})
        urgent = client.post(signs, warning_sign_data(**{CAUDA_EQUINA_KEYS[0]: "True"}))
        keep("urgent page", urgent, signs, shows="Getting help comes first")
    return pages
