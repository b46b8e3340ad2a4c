import json
import re
from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from clinic.links import issue_link
from intake.models import Referral
from outcomes.models import Questionnaire
from tests.browser.conftest import sign_in
from tests.factories import SessionFactory, TreatmentPlanFactory


def due_questionnaire(acupuncturist, **kwargs):
    plan = TreatmentPlanFactory(practitioner=acupuncturist)
    SessionFactory(plan=plan, started_at=timezone.now() - timedelta(days=7), signed=True)
    return Questionnaire.objects.create(
        patient=plan.patient, plan=plan, due_date=timezone.localdate(), week=1, **kwargs
    )


def answer_everything(page, *, warning_sign: str | None = None):
    for question in page.locator("fieldset.question").all():
        legend = question.locator("legend").inner_text()
        choices = question.locator("label.choice")
        if warning_sign and warning_sign in legend:
            question.get_by_text("Yes", exact=True).click()
        elif choices.count() == 2:  # the warning signs: no
            question.get_by_text("No", exact=True).click()
        elif choices.count() == 6:  # an ODI section: the third statement
            choices.nth(2).click()
        else:  # pain 0-10, days 0-7 and the PGIC ("No change")
            choices.nth(3).click()


def test_patient_fills_in_the_weekly_form_on_a_phone_and_the_clinician_sees_it(
    phone_page, page, live_server, acupuncturist
):
    questionnaire = due_questionnaire(acupuncturist)
    _, token = issue_link(patient=questionnaire.patient, purpose="questionnaire", subject=questionnaire)
    phone = phone_page
    phone.goto(f"{live_server.url}/l/{token}/")
    expect(phone).to_have_url(f"{live_server.url}/p/questionnaire/")
    expect(phone.get_by_role("heading", name=f"Hello {questionnaire.patient.given_name}")).to_be_visible()
    # Touch targets: every choice is at least 44 px high.
    heights = phone.locator("label.choice").evaluate_all("els => els.map(e => e.getBoundingClientRect().height)")
    assert min(heights) >= 44
    answer_everything(phone)  # step 1: the warning signs, all "no"
    phone.get_by_role("button", name="Next").click()
    expect(phone.get_by_role("heading", name="Part 1 of 3: your pain")).to_be_visible()  # week 1: the PGIC too
    answer_everything(phone)
    expect(phone.locator("[data-progress-text]")).to_contain_text("answered")
    phone.get_by_role("button", name="Send my answers").click()
    expect(phone.get_by_role("heading", name="Thank you")).to_be_visible()
    questionnaire.refresh_from_db()
    assert questionnaire.odi_score == 40  # every section "2"
    assert questionnaire.get_pgic_display() == "No change"

    sign_in(page, live_server, "lac")
    page.goto(f"{live_server.url}/patients/{questionnaire.patient.pk}/")
    expect(page.locator("#outcome-chart")).to_be_visible()
    data = json.loads(page.locator("#outcome-chart-data").text_content())
    assert data["dates"] == [questionnaire.due_date.isoformat()] and data["odi"] == [40]
    rendered = page.evaluate("() => Chart.getChart('outcome-chart').data.datasets[0].data.length")
    assert rendered == 1


def test_tapping_yes_shows_the_instructions_at_once_and_saves_the_sign_before_anything_is_sent(
    phone_page, page, live_server, acupuncturist
):
    questionnaire = due_questionnaire(acupuncturist)
    _, token = issue_link(patient=questionnaire.patient, purpose="questionnaire", subject=questionnaire)
    phone_page.goto(f"{live_server.url}/l/{token}/")
    urgent = phone_page.get_by_test_id("urgent-instructions")
    expect(urgent).to_be_hidden()
    # The patient taps "Yes" to one question and nothing else: no button pressed.
    question = phone_page.locator("fieldset.question", has_text="between your legs")
    question.get_by_text("Yes", exact=True).tap()
    expect(urgent).to_be_visible()
    expect(urgent).to_contain_text("emergency department today")
    expect(urgent.get_by_role("link", name="Call 911")).to_have_attribute("href", "tel:911")
    # The tap itself sent the answer: the referral is open while the page is still unsubmitted.
    expect(urgent).to_contain_text("Your answer has reached the clinic")
    assert Referral.objects.open().get(patient=questionnaire.patient).flags == ["saddle_anaesthesia"]
    assert phone_page.url == f"{live_server.url}/p/questionnaire/"

    # The patient closes the page. The clinic sees the alert at the top of the dashboard.
    phone_page.close()
    sign_in(page, live_server, "lac")
    expect(page.get_by_test_id("open-alert").first).to_contain_text(questionnaire.patient.family_name)
    expect(page.get_by_test_id("open-alert").first).to_contain_text("Emergency")


def test_a_warning_sign_shows_urgent_care_and_blocks_the_next_session(phone_page, page, live_server, acupuncturist):
    questionnaire = due_questionnaire(acupuncturist)
    _, token = issue_link(patient=questionnaire.patient, purpose="questionnaire", subject=questionnaire)
    phone_page.goto(f"{live_server.url}/l/{token}/")
    answer_everything(phone_page, warning_sign="between your legs")
    phone_page.get_by_role("button", name="Next").click()
    urgent = phone_page.get_by_test_id("urgent-instructions")
    expect(urgent).to_contain_text("emergency department today")

    sign_in(page, live_server, "lac")
    expect(page.get_by_test_id("open-alert")).to_contain_text(questionnaire.patient.family_name)
    page.goto(f"{live_server.url}/plans/{questionnaire.plan.pk}/sessions/new/")
    expect(page.get_by_text(re.compile("Urgent referral open since .*Saddle anaesthesia"))).to_be_visible()
    expect(page.get_by_role("button", name="Save session")).to_have_count(0)


def test_the_patient_form_has_no_serious_accessibility_violations(phone_page, live_server, acupuncturist):
    axe_url = f"{live_server.url}/static/vendor/axe-core/axe.min.js"  # same origin: allowed by the CSP
    questionnaire = due_questionnaire(acupuncturist, includes_phq9=True)
    _, token = issue_link(patient=questionnaire.patient, purpose="questionnaire", subject=questionnaire)
    phone_page.goto(f"{live_server.url}/l/{token}/")

    def scan():
        phone_page.add_script_tag(url=axe_url)
        results = phone_page.evaluate("async () => (await axe.run(document)).violations")
        serious = [v for v in results if v["impact"] in ("serious", "critical")]
        return [(v["id"], v["impact"], [node["target"] for node in v["nodes"]]) for v in serious]

    assert not scan()  # step 1
    phone_page.get_by_role("button", name="Next").click()  # nothing answered: the error state
    expect(phone_page.locator("#form-errors")).to_be_visible()
    assert not scan()
    answer_everything(phone_page)
    phone_page.get_by_role("button", name="Next").click()
    expect(phone_page.get_by_role("button", name="Send my answers")).to_be_visible()
    assert not scan()  # step 2
    phone_page.get_by_role("button", name="Send my answers").click()  # skipped sections: the error state
    expect(phone_page.locator("#form-errors")).to_be_visible()
    assert not scan()
    # The crisis resources, shown when item 9 is answered above "not at all".
    phone_page.locator("fieldset#q-phq9_9").get_by_text("Several days").click()
    expect(phone_page.get_by_test_id("crisis-resources")).to_be_visible()
    assert not scan()


def test_the_front_desk_resends_an_overdue_questionnaire_from_the_dashboard(
    page, live_server, front_desk, acupuncturist
):
    plan = TreatmentPlanFactory(practitioner=acupuncturist)
    today = timezone.localdate()
    older = Questionnaire.objects.create(patient=plan.patient, plan=plan, due_date=today - timedelta(days=10), week=1)
    Questionnaire.objects.create(patient=plan.patient, plan=plan, due_date=today - timedelta(days=3), week=2)
    sign_in(page, live_server, "desk")
    # Two rows share one form; each button posts its own questionnaire.
    page.get_by_role("button", name="Resend").first.click()
    expect(page).to_have_url(f"{live_server.url}/patients/{plan.patient.pk}/questionnaires/{older.due_date}/link/")
    expect(page.get_by_role("heading", name=re.compile(r"Questionnaire link for .* \(due"))).to_contain_text(
        f"{older.due_date:%b} {older.due_date.day}"
    )
    expect(page.get_by_text(f"Emailed to {plan.patient.email}")).to_be_visible()
    older.refresh_from_db()
    assert older.reminded_at is not None


def test_the_outcome_chart_axis_reads_short_dates(page, live_server, acupuncturist):
    from datetime import date, datetime

    plan = TreatmentPlanFactory(practitioner=acupuncturist)
    SessionFactory(plan=plan, started_at=timezone.make_aware(datetime(2026, 10, 3, 10)), points=[])
    for due, week, odi in ((date(2026, 10, 1), 0, 40), (date(2026, 10, 29), 4, 26)):
        Questionnaire.objects.create(
            patient=plan.patient, plan=plan, due_date=due, week=week, odi_score=odi, submitted_at=timezone.now()
        )
    sign_in(page, live_server, "lac")
    page.goto(f"{live_server.url}/patients/{plan.patient.pk}/")
    expect(page.locator("#outcome-chart")).to_be_visible()
    ticks = page.evaluate("() => Chart.getChart('outcome-chart').scales.x.ticks.map(t => t.label)")
    assert ticks == ["Oct 1", "Oct 3", "Oct 29"]
