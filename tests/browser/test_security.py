from django.utils import timezone
from playwright.sync_api import expect

from outcomes.models import Questionnaire
from tests.browser.conftest import sign_in
from tests.factories import SessionFactory, TreatmentPlanFactory


def test_pages_run_under_the_content_security_policy_without_violations(page, live_server, acupuncturist):
    plan = TreatmentPlanFactory(practitioner=acupuncturist)
    session = SessionFactory(plan=plan, signed=True)
    Questionnaire.objects.create(
        patient=plan.patient,
        plan=plan,
        due_date=timezone.localdate(),
        week=0,
        odi_score=40,
        submitted_at=timezone.now(),
    )
    violations = []
    page.on(
        "console",
        lambda message: violations.append(message.text) if "Content Security Policy" in message.text else None,
    )
    sign_in(page, live_server, "lac")
    for path in ("/", f"/patients/{plan.patient.pk}/", f"/plans/{plan.pk}/sessions/new/", f"/sessions/{session.pk}/"):
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("networkidle")
    # The chart drew (Chart.js ran from the vendored file) and the dropdown menu works (Bootstrap JS).
    page.goto(f"{live_server.url}/patients/{plan.patient.pk}/")
    assert page.evaluate("() => Chart.getChart('outcome-chart') !== undefined")
    page.get_by_role("button", name="Wei Chen").click()
    expect(page.get_by_role("link", name="Two-factor sign-in")).to_be_visible()
    assert violations == []


def test_five_wrong_passwords_lock_the_sign_in(page, live_server, front_desk):
    for _ in range(5):
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_label("Username").fill("desk")
        page.get_by_label("Password").fill("not-my-password")
        page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_test_id("locked-out")).to_contain_text("Too many wrong passwords")
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("desk")
    page.get_by_label("Password").fill("correct-horse-battery")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_test_id("locked-out")).to_be_visible()
