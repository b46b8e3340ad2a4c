import re

from playwright.sync_api import expect

from clinic.models import Patient
from tests.browser.conftest import sign_in


def test_front_desk_registers_finds_and_opens_a_patient(page, live_server, front_desk):
    sign_in(page, live_server, "desk")
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()

    page.get_by_role("link", name="Register patient").first.click()
    page.get_by_label("Given name").fill("Harriet")
    page.get_by_label("Family name").fill("Quimby")
    page.get_by_label("Date of birth").fill("1975-05-11")
    page.get_by_label("Sex").select_option("female")
    page.get_by_label("Phone", exact=True).fill("(217) 555-0456")
    page.get_by_label("Email").fill("hq@example.com")
    page.get_by_role("button", name="Register patient").click()
    expect(page.get_by_text("Registered Harriet Quimby as chart")).to_be_visible()
    chart_number = Patient.objects.get(family_name="Quimby").chart_number

    page.get_by_role("link", name="Patients", exact=True).click()
    page.get_by_label("Search patients").fill("quim")
    # htmx replaces the results as one types; the no-JS submit button works too.
    result = page.get_by_role("link", name="Quimby, Harriet")
    expect(result).to_be_visible()
    result.click()
    expect(page).to_have_url(re.compile(r"/patients/\d+/$"))
    expect(page.get_by_text(chart_number)).to_be_visible()
    expect(page.get_by_role("heading", name="Quimby, Harriet")).to_be_visible()


def test_bad_input_keeps_what_was_typed(page, live_server, front_desk):
    sign_in(page, live_server, "desk")
    page.goto(f"{live_server.url}/patients/new/")
    page.get_by_label("Given name").fill("Harriet")
    page.get_by_label("Family name").fill("Quimby")
    page.get_by_label("Date of birth").fill("2999-01-01")
    page.get_by_label("Sex").select_option("female")
    page.get_by_role("button", name="Register patient").click()
    expect(page.get_by_text("The date of birth cannot be in the future.")).to_be_visible()
    expect(page.get_by_label("Given name")).to_have_value("Harriet")
    expect(page.get_by_label("Date of birth")).to_have_value("2999-01-01")
