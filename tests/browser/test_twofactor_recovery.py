"""Two-factor recovery in a browser: a manager sets up two-factor sign-in and gets backup codes, resets another
manager's second factor, signs in with a backup code and sets up a new phone in place of the lost one; axe-core
(WCAG 2.1 AA) and the CSP on each of those pages."""

import re

from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from clinic.roles import MANAGER
from tests.browser.conftest import axe_violations
from tests.factories import UserFactory

PASSWORD = "correct-horse-battery"


def current_code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def password(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_backup_codes_and_the_managers_reset(page, live_server, manager, front_desk):
    csp = []
    page.on("console", lambda m: csp.append(m.text) if "Content Security Policy" in m.text else None)
    colleague = UserFactory(username="boss2", first_name="Ola", last_name="Berg", role=MANAGER)
    TOTPDevice.objects.create(user=colleague, name="Phone", confirmed=True)
    for _ in range(5):  # the front desk locks themselves out
        Client().post("/accounts/login/", {"username": "desk", "password": "wrong-password"})

    # Set up: the authenticator, then the backup codes, shown once.
    password(page, live_server, "boss")
    page.wait_for_url(re.compile(r"/accounts/2fa/setup/"))
    device = TOTPDevice.objects.get(user=manager, confirmed=False)
    page.get_by_label("6-digit code").fill(current_code(device))
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    page.wait_for_url(re.compile(r"/accounts/2fa/backup-codes/"))
    codes = page.get_by_test_id("backup-codes").locator("li").all_inner_texts()
    assert len(codes) == 10
    expect(page.get_by_role("link", name="Download as .txt")).to_have_attribute("download", "backup-codes.txt")
    page.evaluate("() => { window.printed = false; window.print = () => { window.printed = true; }; }")
    page.get_by_role("button", name="Print").click()
    assert page.evaluate("() => window.printed")  # the page's own script, allowed by the CSP
    assert not axe_violations(page, live_server)
    page.get_by_role("link", name="I have kept them: continue").click()
    page.wait_for_url(f"{live_server.url}/")

    # The staff sign-in page, and a reset with its confirmation.
    page.goto(f"{live_server.url}/staff/sign-in/")
    expect(page.get_by_test_id("staff-desk")).to_contain_text("Locked out")
    assert not axe_violations(page, live_server)
    page.get_by_test_id("staff-boss2").get_by_role("link", name="Reset two-factor…").click()
    assert not axe_violations(page, live_server)
    page.get_by_role("button", name="Reset two-factor sign-in for boss2").click()
    expect(page.get_by_role("alert")).to_contain_text("Two-factor sign-in reset for boss2")
    assert not TOTPDevice.objects.filter(user=colleague).exists()
    page.get_by_test_id("staff-desk").get_by_role("link", name="Lift lockout…").click()
    assert not axe_violations(page, live_server)
    page.get_by_role("button", name="Lift the lockout for desk").click()
    expect(page.get_by_role("alert")).to_contain_text("Sign-in lockout lifted for desk")

    # The phone is lost: sign in with a backup code.
    page.get_by_role("button", name="Dana Whitfield").click()
    page.get_by_role("button", name="Sign out").click()
    password(page, live_server, "boss")
    page.wait_for_url(re.compile(r"/accounts/2fa/verify/"))
    assert not axe_violations(page, live_server)
    page.get_by_label("6-digit code or backup code").fill(codes[0].upper())
    page.get_by_role("button", name="Verify").click()
    page.wait_for_url(f"{live_server.url}/")
    expect(page.get_by_role("alert")).to_contain_text("You have 9 backup codes left")
    page.goto(f"{live_server.url}/accounts/2fa/backup-codes/")
    expect(page.get_by_test_id("codes-left")).to_contain_text("9")
    assert not axe_violations(page, live_server)

    # The new phone: setting it up retires the lost one, and the page says so first.
    page.goto(f"{live_server.url}/accounts/2fa/setup/")
    expect(page.get_by_test_id("replaces-authenticator")).to_contain_text("retires the one you use now")
    assert not axe_violations(page, live_server)
    new_phone = TOTPDevice.objects.get(user=manager, confirmed=False)
    page.get_by_label("6-digit code").fill(current_code(new_phone))
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    page.wait_for_url(f"{live_server.url}/")
    assert list(TOTPDevice.objects.filter(user=manager)) == [new_phone]
    assert csp == []
