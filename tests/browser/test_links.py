"""The link page in a browser: Copy puts the link on the clipboard, Print prints the handout alone."""

from playwright.sync_api import expect

from tests.browser.conftest import new_context, sign_in
from tests.factories import PatientFactory


def test_copy_puts_the_link_on_the_clipboard_and_print_shows_the_handout_alone(chromium, live_server, front_desk):
    patient = PatientFactory(given_name="Ada", email="")
    context = new_context(chromium, viewport={"width": 1280, "height": 900})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        sign_in(page, live_server, "desk")
        page.goto(f"{live_server.url}/patients/{patient.pk}/")
        page.get_by_role("button", name="Send pre-visit intake link").click()
        url = page.get_by_label("The link", exact=True).input_value()
        assert url.startswith(f"{live_server.url}/l/")

        page.get_by_role("button", name="Copy the link").click()
        expect(page.get_by_role("status")).to_have_text("Link copied.")
        assert page.evaluate("navigator.clipboard.readText()") == url

        handout = page.get_by_test_id("link-handout")
        expect(handout).to_contain_text("For Ada: pre-visit intake")
        expect(handout.get_by_role("img", name="QR code of the link")).to_be_visible()
        # On paper only the handout: the navigation, the patient's header and the buttons are hidden.
        page.emulate_media(media="print")
        expect(handout).to_be_visible()
        expect(page.get_by_role("navigation", name="Main")).to_be_hidden()
        expect(page.get_by_role("button", name="Print the handout")).to_be_hidden()
        page.emulate_media(media="screen")

        # What this change added passes axe (the rest of the page is another test's concern).
        page.add_script_tag(url=f"{live_server.url}/static/vendor/axe-core/axe.min.js")
        violations = page.evaluate(
            """async () => (await axe.run(
                {include: [['.link-handout'], ['#copy-link'], ['#print-handout'], ['#link-url']]},
                {runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}
            )).violations.map(v => v.id)"""
        )
        assert violations == []
    finally:
        context.close()
