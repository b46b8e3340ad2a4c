"""The superbill from a signed session: HTML and PDF (DESIGN section 3, billing)."""

import io
from decimal import Decimal

import pytest
from django.urls import reverse
from pypdf import PdfReader

from tests.factories import SessionFactory, TreatmentPlanFactory
from treatments.models import ElectroPair, Payment, Point
from treatments.superbill import build_superbill


@pytest.fixture
def signed_session(acupuncturist):
    plan = TreatmentPlanFactory(practitioner=acupuncturist, diagnosis_codes=["M54.42", "M51.16"])
    session = SessionFactory(plan=plan, contact_minutes=40, points=["BL23", "BL25"])
    ElectroPair.objects.create(
        session=session,
        point_a=Point.objects.get(code="BL25"),
        point_b=Point.objects.get(code="BL40"),
        frequency_hz=2,
        minutes=20,
    )
    session.tuina_minutes = 15
    session.save()
    from treatments.services import sign_session

    return sign_session(session=session, user=acupuncturist)


def test_the_bill_has_cpt_lines_codes_fees_and_provider(signed_session, acupuncturist):
    bill = build_superbill(signed_session)
    assert [(line.code, line.units, line.modifiers) for line in bill.lines] == [
        ("97813", 1, ""),
        ("97814", 2, ""),
        ("97140", 1, "59"),
    ]
    assert [line.pointers for line in bill.lines] == ["A,B"] * 3
    assert [code for _, code, _ in bill.diagnoses] == ["M54.42", "M51.16"]
    # Fees from the clinic's schedule loaded by the migration: 85 + 2 x 60 + 45.
    assert bill.total == Decimal("250.00")
    profile = acupuncturist.staff_profile
    assert (bill.npi, bill.credentials) == (profile.npi, profile.credentials)
    assert profile.licence_number in bill.licence
    assert bill.patient_dob == signed_session.patient.date_of_birth


def test_payments_reduce_the_balance(signed_session):
    Payment.objects.create(session=signed_session, amount=Decimal("100.00"), method="card")
    bill = build_superbill(signed_session)
    assert (bill.paid, bill.balance) == (Decimal("100.00"), Decimal("150.00"))


def test_html_superbill_is_print_ready(lac_client, signed_session):
    response = lac_client.get(reverse("treatments:superbill", args=[signed_session.pk]))
    page = response.content.decode()
    assert response.status_code == 200
    for text in ("97813", "97814", "97140", "M54.42", "M51.16", signed_session.patient.family_name, "250.00"):
        assert text in page
    assert "superbill.pdf" in page


def test_pdf_superbill_carries_the_same_content(desk_client, signed_session):
    response = desk_client.get(reverse("treatments:superbill-pdf", args=[signed_session.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "no-store"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    for expected in ("97813", "97814", "97140", "M54.42", signed_session.patient.family_name, "250.00"):
        assert expected in text


def test_no_superbill_from_an_unsigned_session(lac_client, acupuncturist):
    session = SessionFactory(plan=TreatmentPlanFactory(practitioner=acupuncturist))
    for name in ("treatments:superbill", "treatments:superbill-pdf"):
        response = lac_client.get(reverse(name, args=[session.pk]))
        assert response.status_code == 403
        assert "Sign the note first" in response.content.decode()


def test_unknown_session_superbill_is_404(lac_client):
    assert lac_client.get(reverse("treatments:superbill-pdf", args=[424242])).status_code == 404
