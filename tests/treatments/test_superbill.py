"""The superbill from a signed session: HTML and PDF (docs/clinical-rules.md, "Billing")."""

import io
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from auditlog.models import LogEntry
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from tests.factories import SessionFactory, TreatmentPlanFactory
from treatments.models import ElectroPair, Payment, Point, Session, TreatmentPlan
from treatments.services import sign_session
from treatments.superbill import build_superbill


def wire_bl25_to_bl40(session, *, minutes):
    """Electroacupuncture on the session: one pair, BL25 to BL40 at 2 Hz."""
    ElectroPair.objects.create(
        session=session,
        point_a=Point.objects.get(code="BL25"),
        point_b=Point.objects.get(code="BL40"),
        frequency_hz=2,
        minutes=minutes,
    )


@pytest.fixture
def signed_session(acupuncturist):
    plan = TreatmentPlanFactory(practitioner=acupuncturist, diagnosis_codes=["M54.16", "M54.50"])
    session = SessionFactory(plan=plan, contact_minutes=40, points=["BL23", "BL25"])
    wire_bl25_to_bl40(session, minutes=20)
    session.tuina_minutes = 15
    session.save()
    from treatments.services import sign_session

    return sign_session(session=session, user=acupuncturist)


def test_the_bill_has_cpt_lines_codes_fees_and_provider(signed_session, acupuncturist):
    bill = build_superbill(signed_session)
    # Tui Na beside acupuncture with no separate region recorded: no modifier, marked as bundling.
    assert [(line.code, line.units, line.modifiers) for line in bill.lines] == [
        ("97813", 1, ""),
        ("97814", 2, ""),
        ("97140", 1, ""),
    ]
    assert [bool(line.note) for line in bill.lines] == [False, False, True]
    assert [line.pointers for line in bill.lines] == ["A,B"] * 3
    assert [code for _, code, _ in bill.diagnoses] == ["M54.16", "M54.50"]
    # Fees from the clinic's schedule loaded by the migration: 85 + 2 x 60 + 45.
    assert bill.total == Decimal("250.00")
    profile = acupuncturist.staff_profile
    assert (bill.npi, bill.credentials) == (profile.npi, profile.credentials)
    assert profile.licence_number in bill.licence
    assert bill.patient_dob == signed_session.patient.date_of_birth


def tuina_session(plan, *, minutes: int, separate: bool, regions: str = "Left shoulder (trapezius)"):
    """A signed session of needling (BL23, BL25) with Tui Na, to a separate region if `separate`."""
    session = SessionFactory(
        plan=plan,
        contact_minutes=minutes,
        points=["BL23", "BL25"],
        tuina_minutes=20,
        tuina_regions=regions,
        tuina_separate_region=separate,
    )
    return sign_session(session=session, user=plan.practitioner)


def test_tuina_to_a_recorded_separate_region_bills_97140_with_xs(desk_client, acupuncturist):
    session = tuina_session(TreatmentPlanFactory(practitioner=acupuncturist), minutes=30, separate=True)
    bill = build_superbill(session)
    assert [(line.code, line.modifiers, line.note) for line in bill.lines if line.code == "97140"] == [
        ("97140", "XS", "")
    ]
    response = desk_client.get(reverse("treatments:superbill-pdf", args=[session.pk]))
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "XS" in text and "bundle" not in text


def test_tuina_without_a_recorded_separate_region_has_no_modifier_and_says_it_bundles(
    lac_client, desk_client, acupuncturist
):
    session = tuina_session(TreatmentPlanFactory(practitioner=acupuncturist), minutes=30, separate=False)
    (line,) = [line for line in build_superbill(session).lines if line.code == "97140"]
    assert (line.modifiers, line.units) == ("", 1)
    page = lac_client.get(reverse("treatments:superbill", args=[session.pk])).content.decode()
    assert "expected to bundle into the acupuncture codes" in page
    assert ">59<" not in page and ">XS<" not in page
    response = desk_client.get(reverse("treatments:superbill-pdf", args=[session.pk]))
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "bundle" in text


def test_tuina_without_acupuncture_that_day_needs_no_modifier_whatever_was_recorded(acupuncturist):
    session = tuina_session(TreatmentPlanFactory(practitioner=acupuncturist), minutes=5, separate=True)
    assert [(line.code, line.modifiers, line.note) for line in build_superbill(session).lines] == [("97140", "", "")]


def test_no_tuina_no_97140_line(acupuncturist):
    session = SessionFactory(
        plan=TreatmentPlanFactory(practitioner=acupuncturist), contact_minutes=30, points=["BL23"], tuina_minutes=0
    )
    session = sign_session(session=session, user=acupuncturist)
    assert [line.code for line in build_superbill(session).lines] == ["97810", "97811"]


def test_payments_reduce_the_balance(signed_session):
    Payment.objects.create(session=signed_session, amount=Decimal("100.00"), method="card", paid_on=date.today())
    bill = build_superbill(signed_session)
    assert (bill.paid, bill.balance, bill.credit) == (Decimal("100.00"), Decimal("150.00"), Decimal("0.00"))


def test_html_superbill_is_print_ready(lac_client, signed_session):
    response = lac_client.get(reverse("treatments:superbill", args=[signed_session.pk]))
    page = response.content.decode()
    assert response.status_code == 200
    for text in ("97813", "97814", "97140", "M54.16", "M54.50", signed_session.patient.family_name, "250.00"):
        assert text in page
    assert "superbill.pdf" in page


def test_pdf_superbill_carries_the_same_content(desk_client, signed_session):
    response = desk_client.get(reverse("treatments:superbill-pdf", args=[signed_session.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "no-store"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    for expected in ("97813", "97814", "97140", "M54.16", signed_session.patient.family_name, "250.00"):
        assert expected in text


def test_no_superbill_from_an_unsigned_session(lac_client, acupuncturist):
    # The role allows it; the note's state does not yet: a conflict (409), not a refusal (403).
    session = SessionFactory(plan=TreatmentPlanFactory(practitioner=acupuncturist))
    for name in ("treatments:superbill", "treatments:superbill-pdf"):
        response = lac_client.get(reverse(name, args=[session.pk]))
        assert response.status_code == 409
        assert "Sign the note first" in response.content.decode()
    response = lac_client.post(reverse("treatments:payment-create", args=[session.pk]), PAYMENT)
    assert response.status_code == 409
    assert not Payment.objects.exists()


def test_unknown_session_superbill_is_404(lac_client):
    assert lac_client.get(reverse("treatments:superbill-pdf", args=[424242])).status_code == 404


# --- one initial code per day across the patient's sessions ----------------------------------

SERVICE_DAY = date(2025, 3, 4)


@pytest.fixture
def plan(acupuncturist):
    return TreatmentPlanFactory(practitioner=acupuncturist, diagnosis_codes=["M54.42"])


def session_at(
    plan,
    at: time,
    *,
    minutes: int,
    electro: bool = False,
    signed: bool = True,
    day: date = SERVICE_DAY,
    reinsertions: int | None = None,
):
    """A session at a local clock time, with electrical stimulation if asked, signed as the app signs.

    Unless told, with a re-insertion for every further unit of its time (the factory's default).
    """
    started_at = timezone.make_aware(datetime.combine(day, at))
    given = {} if reinsertions is None else {"reinsertions": reinsertions}
    session = SessionFactory(
        plan=plan, started_at=started_at, contact_minutes=minutes, points=["BL23", "BL25"], **given
    )
    if electro:
        wire_bl25_to_bl40(session, minutes=15)
    if signed:
        sign_session(session=session, user=plan.practitioner)
    return Session.objects.select_related("plan", "patient", "practitioner__staff_profile").get(pk=session.pk)


def billed(session) -> list[tuple[str, int]]:
    return [(line.code, line.units) for line in build_superbill(session).lines]


def test_add_on_units_need_the_sessions_recorded_reinsertions(plan):
    # 30 minutes with the needles left in bills the initial code only; a later session of the day
    # bills its first unit (a new insertion) and one more per re-insertion.
    morning = session_at(plan, time(9, 0), minutes=30, reinsertions=0)
    afternoon = session_at(plan, time(15, 0), minutes=60, reinsertions=1)
    assert billed(morning) == [("97810", 1)]
    assert billed(afternoon) == [("97811", 2)]
    evening = session_at(plan, time(18, 0), minutes=45, electro=True, reinsertions=0, day=SERVICE_DAY + timedelta(1))
    assert billed(evening) == [("97813", 1)]


def test_three_signed_sessions_on_one_day_bill_one_initial_code(plan):
    # Created out of order: the first session of the day is the earliest, not the first saved.
    afternoon = session_at(plan, time(15, 0), minutes=40)
    morning = session_at(plan, time(9, 0), minutes=30)
    midday = session_at(plan, time(11, 30), minutes=20, electro=True)
    assert billed(morning) == [("97810", 1), ("97811", 1)]
    assert billed(midday) == [("97814", 1)]
    assert billed(afternoon) == [("97811", 3)]
    codes = [code for session in (morning, midday, afternoon) for code, _ in billed(session)]
    assert [code for code in codes if code in {"97810", "97813"}] == ["97810"]


def test_stimulation_in_the_first_session_makes_the_days_initial_97813(plan):
    first = session_at(plan, time(9, 0), minutes=15, electro=True)
    second = session_at(plan, time(13, 0), minutes=30)
    assert (billed(first), billed(second)) == ([("97813", 1)], [("97811", 2)])


def test_an_unsigned_session_of_the_day_does_not_take_the_initial_code(plan):
    session_at(plan, time(8, 0), minutes=30, signed=False)
    signed = session_at(plan, time(10, 0), minutes=30)
    assert billed(signed) == [("97810", 1), ("97811", 1)]


def test_a_short_first_session_leaves_the_initial_code_to_the_next(plan):
    short = session_at(plan, time(9, 0), minutes=7)
    full = session_at(plan, time(10, 0), minutes=20)
    assert (billed(short), billed(full)) == ([], [("97810", 1)])


def test_other_days_and_other_patients_do_not_count(plan, acupuncturist):
    # 23:30 the evening before and 00:30 the morning after are other local dates of service, though
    # the evening before falls on the same UTC date.
    session_at(plan, time(23, 30), minutes=30, day=SERVICE_DAY - timedelta(days=1))
    session_at(plan, time(0, 30), minutes=30, day=SERVICE_DAY + timedelta(days=1))
    session_at(TreatmentPlanFactory(practitioner=acupuncturist), time(8, 0), minutes=30)
    today = session_at(plan, time(9, 0), minutes=30)
    assert billed(today) == [("97810", 1), ("97811", 1)]


def test_sessions_of_another_plan_of_the_same_patient_count(plan, acupuncturist):
    other_plan = TreatmentPlanFactory(practitioner=acupuncturist, patient=plan.patient)
    session_at(other_plan, time(9, 0), minutes=20)
    later = session_at(plan, time(14, 0), minutes=20)
    assert billed(later) == [("97811", 1)]


def test_superbill_of_a_later_session_shows_add_ons_only(desk_client, plan):
    session_at(plan, time(9, 0), minutes=30)
    later = session_at(plan, time(14, 0), minutes=30)
    page = desk_client.get(reverse("treatments:superbill", args=[later.pk])).content.decode()
    assert "97811" in page
    assert "97810" not in page and "97813" not in page


def test_superbill_reads_the_same_queries_for_a_busy_day(desk_client, plan, django_assert_max_num_queries):
    def queries(session) -> int:
        url = reverse("treatments:superbill", args=[session.pk])
        desk_client.get(url)  # warm per-process caches
        with CaptureQueriesContext(connection) as captured:
            assert desk_client.get(url).status_code == 200
        return len(captured)

    alone = session_at(plan, time(9, 0), minutes=30, day=SERVICE_DAY - timedelta(days=7))
    busy = session_at(plan, time(9, 0), minutes=30, electro=True)
    for hour in (11, 13, 15, 17):
        session_at(plan, time(hour, 0), minutes=30, electro=hour % 2 == 1)
    assert queries(busy) == queries(alone)
    with django_assert_max_num_queries(15):
        desk_client.get(reverse("treatments:superbill", args=[busy.pk]))


def test_the_session_page_shows_the_lines_the_superbill_bills(lac_client, acupuncturist):
    plan = TreatmentPlanFactory(practitioner=acupuncturist)
    morning = timezone.now().replace(hour=9, minute=0, second=0, microsecond=0) - timedelta(days=1)
    first = SessionFactory(plan=plan, started_at=morning, contact_minutes=20, signed=True)
    second = SessionFactory(plan=plan, started_at=morning + timedelta(hours=5), contact_minutes=20, signed=True)
    first_page = lac_client.get(first.get_absolute_url()).context["cpt_lines"]
    second_page = lac_client.get(second.get_absolute_url()).context["cpt_lines"]
    assert [line.code for line in first_page] == ["97810"]
    assert [line.code for line in second_page] == ["97811"]  # the day's initial code is already billed


# --- payments recorded from the superbill page -----------------------------------------------

PAYMENT = {"amount": "100.00", "method": "card", "paid_on": "2026-11-30"}


def pay(client, session, **changes):
    return client.post(reverse("treatments:payment-create", args=[session.pk]), {**PAYMENT, **changes})


def test_the_front_desk_records_a_payment_and_the_superbill_shows_paid_and_balance(
    desk_client, front_desk, signed_session
):
    response = pay(desk_client, signed_session, paid_on=timezone.localdate().isoformat())
    assert response.status_code == 302 and response["Location"] == reverse(
        "treatments:superbill", args=[signed_session.pk]
    )
    payment = Payment.objects.get()
    assert (payment.amount, payment.method, payment.paid_on) == (Decimal("100.00"), "card", timezone.localdate())
    assert payment.recorded_by == front_desk and payment.session == signed_session
    page = desk_client.get(response["Location"]).content.decode()
    assert "Payment of $100.00 recorded." in page
    assert '<th colspan="6" class="text-end">Amount paid</th><th class="text-end">$100.00</th>' in page
    assert '<th colspan="6" class="text-end">Balance</th><th class="text-end">$150.00</th>' in page
    assert f'<td>{timezone.localdate():%m/%d/%Y}</td><td>Card</td><td class="text-end">$100.00</td>' in page


def test_a_payment_leaves_a_readable_audit_entry(desk_client, front_desk, signed_session):
    pay(desk_client, signed_session)
    entry = LogEntry.objects.get_for_model(Payment).get()
    assert entry.action == LogEntry.Action.CREATE and entry.actor == front_desk
    assert entry.object_repr == "$100.00 by card on 2026-11-30"
    assert entry.additional_data == {"patient_id": signed_session.patient_id}


def test_the_pdf_carries_what_was_paid_and_the_balance(desk_client, signed_session):
    pay(desk_client, signed_session, amount="60.50")
    response = desk_client.get(reverse("treatments:superbill-pdf", args=[signed_session.pk]))
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "Amount paid" in text and "$60.50" in text and "$189.50" in text


def test_paying_more_than_the_charges_shows_a_credit_not_a_negative_balance(desk_client, signed_session):
    pay(desk_client, signed_session, amount="300.00")
    bill = build_superbill(signed_session)
    assert (bill.balance, bill.credit) == (Decimal("-50.00"), Decimal("50.00"))
    page = desk_client.get(reverse("treatments:superbill", args=[signed_session.pk])).content.decode()
    assert 'Credit (paid more than charged)</th><th class="text-end">$50.00' in page
    assert "$-50.00" not in page


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"amount": "0"}, "amount", "Enter the amount received, at least $0.01."),
        ({"amount": "-5"}, "amount", "Enter the amount received, at least $0.01."),
        ({"amount": "12.345"}, "amount", "Enter dollars and cents, e.g. 85.00."),
        ({"amount": "100000"}, "amount", "Check the amount: it is over $99,999.99."),
        ({"amount": "ten"}, "amount", "Enter an amount in dollars and cents, e.g. 85.00."),
        ({"amount": ""}, "amount", "This field is required."),
        ({"method": ""}, "method", "This field is required."),
        ({"method": "bitcoin"}, "method", "Select a valid choice. bitcoin is not one of the available choices."),
        ({"paid_on": "2099-01-01"}, "paid_on", "A payment cannot be dated in the future."),
        ({"paid_on": "1899-12-31"}, "paid_on", "Check the year: a payment cannot be dated before 1900."),
        ({"paid_on": "30/11/2026"}, "paid_on", "Enter a valid date."),
    ],
)
def test_a_bad_payment_is_refused_beside_its_field_and_keeps_what_was_typed(
    desk_client, signed_session, changes, field, message
):
    response = pay(desk_client, signed_session, **changes)
    assert response.status_code == 400
    form = response.context["payment_form"]
    assert form.errors[field] == [message]
    assert {name: form[name].value() for name in PAYMENT} == {**PAYMENT, **changes}
    assert 'name="submission"' in response.content.decode()
    assert "The payment was not recorded" in response.content.decode()
    assert not Payment.objects.exists()


def test_a_payment_form_sent_twice_records_one_payment(desk_client, signed_session):
    form = desk_client.get(reverse("treatments:superbill", args=[signed_session.pk])).context["payment_form"]
    submission = form.initial["submission"]
    assert len(submission) >= 32
    first = pay(desk_client, signed_session, submission=submission)
    second = pay(desk_client, signed_session, submission=submission)
    assert first.status_code == second.status_code == 302
    assert Payment.objects.count() == 1
    page = desk_client.get(second["Location"]).content.decode()
    assert "This payment was already recorded (the form was sent twice)." in page
    # A new form is a new payment, even for the same amount.
    assert pay(desk_client, signed_session, submission="another-form").status_code == 302
    assert Payment.objects.count() == 2


def test_who_may_record_a_payment(desk_client, lac_client, manager_client, signed_session):
    assert pay(desk_client, signed_session).status_code == 302
    assert pay(lac_client, signed_session).status_code == 302
    # The manager reads the superbill but takes no money at the desk.
    assert pay(manager_client, signed_session).status_code == 403
    page = manager_client.get(reverse("treatments:superbill", args=[signed_session.pk])).content.decode()
    assert "Record a payment" not in page and "$100.00" in page
    assert Payment.objects.count() == 2


def test_the_superbill_page_reads_the_same_number_of_queries_however_many_payments(
    desk_client, signed_session, django_assert_max_num_queries
):
    url = reverse("treatments:superbill", args=[signed_session.pk])
    pay(desk_client, signed_session)
    with CaptureQueriesContext(connection) as one:
        desk_client.get(url)
    budget = len(one)  # read now: every request clears the connection's query log
    assert budget > 0
    for _ in range(5):
        pay(desk_client, signed_session, amount="1.00")
    with django_assert_max_num_queries(budget):
        desk_client.get(url)


def test_a_plan_saved_with_codes_that_exclude_each_other_is_flagged_on_the_superbill(desk_client, signed_session):
    plan = signed_session.plan
    url = reverse("treatments:superbill", args=[signed_session.pk])
    assert 'data-testid="excludes1"' not in desk_client.get(url).content.decode()
    # Saved before the rule (or past the form): the superbill says what the form would now refuse.
    TreatmentPlan.objects.filter(pk=plan.pk).update(diagnosis_codes=["M54.41", "M54.50"])
    page = desk_client.get(url).content.decode()
    assert 'data-testid="excludes1"' in page
    assert "M54.41 and M54.50 cannot be billed together" in page
