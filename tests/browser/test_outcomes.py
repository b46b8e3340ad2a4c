import json
import re
from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from clinic.links import issue_link
from intake.models import Referral
from outcomes.models import Questionnaire
from tests.browser.conftest import axe_violations, new_context, sign_in
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


def page_height(page) -> int:
    return page.evaluate("() => document.documentElement.scrollHeight")


def next_step(page, number: int, title: str) -> None:
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_text(f"Step {number} of 4: {title}", exact=True)).to_be_visible()


def test_patient_fills_in_the_weekly_form_on_a_phone_and_the_clinician_sees_it(
    phone_page, page, live_server, acupuncturist
):
    questionnaire = due_questionnaire(acupuncturist)
    _, token = issue_link(patient=questionnaire.patient, purpose="questionnaire", subject=questionnaire)
    phone = phone_page
    phone.goto(f"{live_server.url}/l/{token}/")
    expect(phone).to_have_url(f"{live_server.url}/p/questionnaire/")
    expect(phone.get_by_role("heading", name=f"Hello {questionnaire.patient.given_name}")).to_be_visible()
    expect(phone.get_by_role("progressbar", name="Step 1 of 4: warning signs")).to_have_attribute("value", "1")
    heights = {}  # each step's page height on a 390 x 844 phone (one page of about 10,000 px before the steps)
    heights[1] = page_height(phone)
    answer_everything(phone)  # step 1: the warning signs, all "no"
    next_step(phone, 2, "your pain")
    heights[2] = page_height(phone)
    # Touch targets: every choice is at least 44 px high.
    choices = phone.locator("label.choice").evaluate_all("els => els.map(e => e.getBoundingClientRect().height)")
    assert min(choices) >= 44
    answer_everything(phone)
    next_step(phone, 3, "everyday life")
    heights[3] = page_height(phone)
    answer_everything(phone)
    next_step(phone, 4, "the last questions")  # week 1: the PGIC too
    heights[4] = page_height(phone)
    print(f"Weekly form, page height per step at 390 x 844: {heights}")
    # The ODI's sixty statements keep step 3 the longest; every step is well under the single page it was.
    assert heights[3] < 6000 and max(heights[1], heights[2], heights[4]) < 2000
    answer_everything(phone)
    phone.get_by_role("button", name="Send my answers").click()
    expect(phone.get_by_role("heading", name="Thank you")).to_be_visible()
    questionnaire.refresh_from_db()
    assert questionnaire.odi_score == 40  # every section "2"
    assert questionnaire.get_pgic_display() == "No change"
    assert questionnaire.back_pain_now == 3 and questionnaire.draft == {}

    sign_in(page, live_server, "lac")
    page.goto(f"{live_server.url}/patients/{questionnaire.patient.pk}/")
    expect(page.locator("#outcome-chart")).to_be_visible()
    data = json.loads(page.locator("#outcome-chart-data").text_content())
    assert data["dates"] == [questionnaire.due_date.isoformat()] and data["odi"] == [40]
    rendered = page.evaluate("() => Chart.getChart('outcome-chart').data.datasets[0].data.length")
    assert rendered == 1


def test_a_closed_page_loses_nothing_the_link_resumes_at_the_next_step(
    chromium, phone_page, live_server, acupuncturist
):
    questionnaire = due_questionnaire(acupuncturist)
    _, token = issue_link(patient=questionnaire.patient, purpose="questionnaire", subject=questionnaire)
    phone_page.goto(f"{live_server.url}/l/{token}/")
    answer_everything(phone_page)
    next_step(phone_page, 2, "your pain")
    answer_everything(phone_page)
    next_step(phone_page, 3, "everyday life")
    phone_page.close()  # the patient closes the page, and opens the link again later, on another phone
    context = new_context(chromium, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    again = context.new_page()
    try:
        again.goto(f"{live_server.url}/l/{token}/")
        expect(again.get_by_text("Step 3 of 4: everyday life", exact=True)).to_be_visible()
        again.get_by_role("button", name="Back").click()
        expect(again.get_by_text("Step 2 of 4: your pain", exact=True)).to_be_visible()
        expect(again.locator("fieldset#q-leg_pain_now input[value='3']")).to_be_checked()
    finally:
        context.close()


def test_the_pain_scale_is_one_row_of_eleven_at_360_px(phone_page, live_server, acupuncturist):
    questionnaire = due_questionnaire(acupuncturist)
    _, token = issue_link(patient=questionnaire.patient, purpose="questionnaire", subject=questionnaire)
    phone_page.set_viewport_size({"width": 360, "height": 800})
    phone_page.goto(f"{live_server.url}/l/{token}/")
    answer_everything(phone_page)
    next_step(phone_page, 2, "your pain")
    scale = phone_page.get_by_role("group", name="Back pain now")
    boxes = scale.locator("label.choice").evaluate_all(
        "els => els.map(e => { const r = e.getBoundingClientRect(); return [r.x, r.y, r.width, r.height]; })"
    )
    assert len(boxes) == 11
    print(f"Pain scale at 360 px: cells {min(w for _x, _y, w, _h in boxes):.1f} x {boxes[0][3]:.0f} px")
    assert len({round(y) for _x, y, _w, _h in boxes}) == 1  # one line
    assert min(w for _x, _y, w, _h in boxes) >= 24 and min(h for *_rest, h in boxes) >= 44
    assert boxes[-1][0] + boxes[-1][2] <= 360
    expect(scale).to_contain_text("0 No pain")
    expect(scale).to_contain_text("10 Worst imaginable")
    # Still a radio group: one choice by keyboard, the arrow keys moving it.
    scale.get_by_role("radio", name="5", exact=True).check()
    phone_page.keyboard.press("ArrowRight")
    expect(scale.get_by_role("radio", name="6", exact=True)).to_be_checked()
    assert phone_page.evaluate("() => document.documentElement.scrollWidth") <= 360  # nothing sideways


def test_enter_on_an_answer_goes_to_the_next_step_and_back_is_shown_on_the_left(phone_page, live_server, acupuncturist):
    questionnaire = due_questionnaire(acupuncturist)
    _, token = issue_link(patient=questionnaire.patient, purpose="questionnaire", subject=questionnaire)
    phone_page.goto(f"{live_server.url}/l/{token}/")
    answer_everything(phone_page)
    next_step(phone_page, 2, "your pain")
    back, next_button = (phone_page.get_by_role("button", name=name) for name in ("Back", "Next"))
    assert back.bounding_box()["x"] < next_button.bounding_box()["x"]  # Back on the left, as on paper
    answer_everything(phone_page)
    # Enter on a chosen answer presses the form's default button, its first: Next, never Back.
    phone_page.locator("fieldset#q-leg_pain_worst input[type=radio]:checked").press("Enter")
    expect(phone_page.get_by_text("Step 3 of 4: everyday life", exact=True)).to_be_visible()
    questionnaire.refresh_from_db()
    assert questionnaire.draft["leg_pain_worst"] == 3
    # Tab goes from the last answer to Next, then to Back.
    phone_page.locator("fieldset.question input[type=radio]").last.focus()
    phone_page.keyboard.press("Tab")
    expect(phone_page.get_by_role("button", name="Next")).to_be_focused()
    phone_page.keyboard.press("Tab")
    expect(phone_page.get_by_role("button", name="Back")).to_be_focused()


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
    assert not axe_violations(phone_page, live_server)  # the red heading keeps 4.5:1 (WCAG AA)
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


def test_every_step_of_the_patient_form_has_no_accessibility_violations(phone_page, live_server, acupuncturist):
    questionnaire = due_questionnaire(acupuncturist, includes_phq9=True)
    _, token = issue_link(patient=questionnaire.patient, purpose="questionnaire", subject=questionnaire)
    phone_page.goto(f"{live_server.url}/l/{token}/")

    def scan():
        return axe_violations(phone_page, live_server)

    assert scan() == []  # step 1
    phone_page.get_by_role("button", name="Next").click()  # nothing answered: the error state
    expect(phone_page.locator("#form-errors")).to_be_visible()
    assert scan() == []
    answer_everything(phone_page)
    next_step(phone_page, 2, "your pain")
    assert scan() == []
    phone_page.get_by_role("button", name="Next").click()  # nothing answered: the error state
    expect(phone_page.locator("#form-errors")).to_be_visible()
    assert scan() == []
    answer_everything(phone_page)
    next_step(phone_page, 3, "everyday life")
    assert scan() == []
    answer_everything(phone_page)
    next_step(phone_page, 4, "the last questions")
    assert scan() == []
    print(f"Weekly form with the PHQ-9, step 4 height at 390 x 844: {page_height(phone_page)}")
    assert page_height(phone_page) < 5000  # the PHQ-9 week's last step (one page of about 13,000 px before)
    phone_page.get_by_role("button", name="Send my answers").click()  # nothing answered: the error state
    expect(phone_page.locator("#form-errors")).to_be_visible()
    assert scan() == []
    # The crisis resources, shown when item 9 is answered above "not at all".
    phone_page.locator("fieldset#q-phq9_9").get_by_text("Several days").click()
    expect(phone_page.get_by_test_id("crisis-resources")).to_be_visible()
    assert scan() == []


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
