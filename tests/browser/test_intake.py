import re
from datetime import date

from playwright.sync_api import expect

from clinic.links import issue_link
from intake import rules
from intake.models import Intake, Referral
from tests.browser.conftest import sign_in
from tests.factories import PatientFactory


def test_red_flag_stops_treatment_until_the_acupuncturist_clears_it(page, live_server, front_desk, acupuncturist):
    patient = PatientFactory(given_name="Tomas", family_name="Varga")
    sign_in(page, live_server, "desk")
    page.goto(f"{live_server.url}/patients/{patient.pk}/")
    page.get_by_role("link", name="Record intake").click()

    page.get_by_label("Chief complaint").fill("Low back pain and numbness since lifting on Monday")
    page.get_by_label("Low back").check()
    page.locator("#id_pain_side_0").check()  # left
    page.get_by_label("Onset date").fill("2026-11-16")
    page.get_by_label("Pain now (0-10)").fill("7")
    page.get_by_label("Worst pain in the past week (0-10)").fill("9")
    for key in rules.RED_FLAG_KEYS:
        page.locator(f"#id_{key}_{0 if key == 'saddle_anaesthesia' else 1}").check()
    for n in range(1, 10):
        page.locator(f"#id_phq9_{n}_0").check()
    page.get_by_role("button", name="Save intake").click()

    banner = page.get_by_test_id("red-flag-banner")
    expect(banner).to_contain_text("Saddle anaesthesia")
    page.get_by_role("link", name="Dashboard").click()
    expect(page.get_by_test_id("open-referral")).to_contain_text("Varga, Tomas")

    page.get_by_role("button", name="Maria Lopez").click()
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, live_server, "lac")
    page.get_by_test_id("open-referral").get_by_role("link", name="referral").click()
    page.get_by_label("Referred to").select_option("emergency")
    page.get_by_label("Details (name, service)").fill("Memorial ED")
    page.get_by_label("Referred on").fill(date.today().isoformat())
    page.get_by_label("Cleared to treat").check()
    page.get_by_role("button", name="Close referral").click()

    expect(page).to_have_url(re.compile(rf"/patients/{patient.pk}/$"))
    expect(page.get_by_test_id("red-flag-banner")).to_have_count(0)
    expect(page.get_by_text("Cleared to treat")).to_be_visible()
    assert Referral.objects.get().outcome == "cleared"


def test_patient_fills_in_the_pre_visit_intake_on_a_phone(phone_page, live_server):
    patient = PatientFactory(given_name="Lena", family_name="Fischer")
    _, token = issue_link(patient=patient, purpose="intake")
    page = phone_page
    page.goto(f"{live_server.url}/l/{token}/")
    expect(page).to_have_url(f"{live_server.url}/p/intake/")
    expect(page.get_by_role("heading", name="Hello Lena")).to_be_visible()
    assert "Fischer" not in page.content()

    page.get_by_label("What brings you to the clinic?").fill("Pain down my right leg")
    page.get_by_label("Buttock").check()
    page.get_by_label("Right", exact=True).check()
    page.get_by_label("Your pain right now, from 0 (none) to 10 (worst imaginable)").fill("5")
    page.get_by_label("Your worst pain in the past week (0-10)").fill("7")
    for key in rules.RED_FLAG_KEYS:
        page.locator(f"#id_{key}_1").check()
    for n in range(1, 10):
        page.locator(f"#id_phq9_{n}_0").check()
    page.get_by_label("Acupuncture needling").check()
    page.get_by_label("Type your full name to sign").fill("Lena Fischer")
    # The submit button is big enough for a thumb.
    button = page.get_by_role("button", name="Send my answers")
    box = button.bounding_box()
    assert box["height"] >= 44 and box["width"] >= 300
    button.click()

    expect(page.get_by_role("heading", name="Thank you")).to_be_visible()
    intake = Intake.objects.get(patient=patient)
    assert intake.source == "online"
    assert intake.pain_side == "right"
    assert set(intake.consents.values_list("modality", flat=True)) == {"needling"}
