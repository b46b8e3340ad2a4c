import io
import re

from django.conf import settings
from playwright.sync_api import expect
from pypdf import PdfReader

from tests.browser.conftest import axe_violations, sign_in
from tests.factories import SessionFactory, TreatmentPlanFactory
from treatments.models import Addendum, Payment, Session


def test_acupuncturist_logs_a_session_from_the_previous_one_signs_amends_and_prints(page, live_server, acupuncturist):
    plan = TreatmentPlanFactory(practitioner=acupuncturist, planned_sessions=8)
    SessionFactory(plan=plan, points=["BL23", "BL25", "GB30", "BL40"], contact_minutes=30, signed=True)
    sign_in(page, live_server, "lac")
    page.goto(f"{live_server.url}/patients/{plan.patient.pk}/")
    page.get_by_role("link", name="Log session").click()

    expect(page.get_by_text("pre-filled from the previous session")).to_be_visible()
    codes = page.locator("#point-rows input.point-code")
    expect(codes.nth(0)).to_have_value("BL23")
    expect(codes.nth(3)).to_have_value("BL40")
    # Adding a point is one field: typing in the empty last row makes another appear.
    count = codes.count()
    codes.nth(count - 1).fill("gb 34")
    expect(codes).to_have_count(count + 1)
    page.get_by_label("Pain before (0-10)").fill("6")
    page.get_by_label("Pain after (0-10)").fill("3")
    page.get_by_label("S — subjective").fill("Leg pain eased after the last visit; sitting 40 minutes now.")
    page.get_by_role("button", name="Save session").click()

    expect(page.get_by_role("heading", name=re.compile("Session of"))).to_be_visible()
    session = Session.objects.filter(signed_at__isnull=True).get()
    assert [p.point.code for p in session.points.all()] == ["BL23", "BL25", "GB30", "BL40", "GB34"]
    expect(page.get_by_text("97810")).to_be_visible()

    page.get_by_role("button", name="Sign and lock").click()
    expect(page.get_by_text("Session signed and locked.")).to_be_visible()
    page.get_by_label("Addendum").fill("GB30 needled on the left side only.")
    page.get_by_role("button", name="Add addendum").click()
    expect(page.locator("#addenda")).to_contain_text("GB30 needled on the left side only.")
    assert Addendum.objects.get().session == session

    page.get_by_role("link", name="Superbill", exact=True).click()
    expect(page.get_by_text("97810")).to_be_visible()
    pdf_url = page.get_by_role("link", name="Download PDF").get_attribute("href")
    response = page.request.get(f"{live_server.url}{pdf_url}")
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.body())).pages)
    assert "97810" in text and plan.patient.family_name in text


def test_the_front_desk_records_a_payment_on_the_superbill(page, live_server, acupuncturist, front_desk):
    session = SessionFactory(plan=TreatmentPlanFactory(practitioner=acupuncturist), contact_minutes=30, signed=True)
    sign_in(page, live_server, "desk")
    page.goto(f"{live_server.url}/sessions/{session.pk}/superbill/")
    assert not axe_violations(page, live_server)
    page.get_by_label("Amount ($)").fill("12.345")
    page.get_by_role("button", name="Record payment").click()
    expect(page.get_by_text("Enter dollars and cents, e.g. 85.00.")).to_be_visible()
    expect(page.get_by_text("This field is required.")).to_be_visible()  # the method
    expect(page.get_by_label("Amount ($)")).to_have_value("12.345")
    assert not axe_violations(page, live_server)  # the error state too
    page.get_by_label("Amount ($)").fill("40")
    page.get_by_label("Method").select_option("cash")
    page.get_by_role("button", name="Record payment").click()
    expect(page.get_by_text("Payment of $40.00 recorded.")).to_be_visible()
    expect(page.locator(".superbill tfoot")).to_contain_text(re.compile(r"Amount paid\s*\$40\.00"))
    assert Payment.objects.get().method == "cash"


def test_typing_a_long_note_keeps_the_sign_in_and_an_ended_one_is_shown(page, live_server, acupuncturist):
    plan = TreatmentPlanFactory(practitioner=acupuncturist)
    sign_in(page, live_server, "lac")
    page.goto(f"{live_server.url}/plans/{plan.pk}/sessions/new/")
    # The form pings every five minutes of typing; the test shortens the wait rather than sleep.
    page.locator("#session-form").evaluate("form => { form.dataset.staySignedInSeconds = '0'; }")
    note = page.get_by_label("S — subjective")
    with page.expect_response(lambda r: "/accounts/stay-signed-in/" in r.url) as pinged:
        note.fill("Leg pain eased after the last visit")
    assert pinged.value.status == 204
    expect(page.locator("#signed-out-warning")).to_be_hidden()

    page.context.clear_cookies(name=settings.SESSION_COOKIE_NAME)  # the sign-in ends (idle, or signed out)
    with page.expect_response(lambda r: "/accounts/stay-signed-in/" in r.url):
        note.fill("Leg pain eased after the last visit; sitting 40 minutes now.")
    expect(page.locator("#signed-out-warning")).to_be_visible()
    expect(note).to_have_value("Leg pain eased after the last visit; sitting 40 minutes now.")


def test_the_navigation_counts_notes_to_sign_and_the_list_opens_each_to_sign(page, live_server, acupuncturist):
    from datetime import timedelta

    from django.utils import timezone

    plan = TreatmentPlanFactory(practitioner=acupuncturist)
    for days in (1, 2, 3):
        SessionFactory(plan=plan, started_at=timezone.now() - timedelta(days=days), points=[])
    sign_in(page, live_server, "lac")
    link = page.get_by_role("link", name="Notes to sign, 3", exact=True)  # as a screen reader names it
    expect(link).to_be_visible()
    link.click()
    expect(page.get_by_role("heading", name="Notes to sign")).to_be_visible()
    assert axe_violations(page, live_server) == []
    page.get_by_role("link", name=re.compile("^Review and sign")).first.click()
    page.get_by_role("button", name="Sign and lock").click()
    expect(page.get_by_role("link", name="Notes to sign, 2", exact=True)).to_be_visible()
