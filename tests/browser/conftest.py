"""Browser tests: Playwright for Python driving Debian's Chromium (never a downloaded browser).

Locally they skip with a reason when /usr/bin/chromium is missing; with CI=true a missing
browser fails the run, so CI can never pass without executing them.
"""

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ARTIFACTS = Path(os.environ.get("TEST_ARTIFACTS", Path(__file__).resolve().parents[2] / "test-artifacts"))


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


# Package scope: Playwright's event loop (see below) stops once the browser tests are done. Kept for
# the whole session, it stayed running in the main thread under every later test, whose database
# connections then lived in the loop's context, where the test database's teardown could not close
# them ("database test_clinic is being accessed by other users").
@pytest.fixture(scope="package")
def chromium():
    in_ci = os.environ.get("CI", "").lower() == "true"
    if not (shutil.which(CHROMIUM) or Path(CHROMIUM).exists()):
        message = f"Chromium not found at {CHROMIUM} (install Debian's package: apt-get install chromium)"
        if in_ci:
            pytest.fail(f"{message}; browser tests are required when CI=true")
        pytest.skip(message)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - the requirements install it
        if in_ci:
            pytest.fail("playwright is not installed; browser tests are required when CI=true")
        pytest.skip("playwright is not installed")
    # Playwright's sync API runs an event loop in the test thread; the ORM calls the tests make
    # between page actions are still synchronous and safe.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()
    del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]


def new_context(chromium, **options):
    """A browser context that asks pages for reduced motion: Bootstrap then drops its colour transitions, so
    axe never measures a button's contrast halfway between two states (as it did just after a click)."""
    return chromium.new_context(reduced_motion="reduce", **options)


def _page(chromium, request, **context_options):
    context = new_context(chromium, **context_options)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    if getattr(request.node, "rep_call", None) and request.node.rep_call.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()


@pytest.fixture
def page(chromium, request):
    yield from _page(chromium, request, viewport={"width": 1280, "height": 900})


@pytest.fixture
def phone_page(chromium, request):
    """A phone-sized viewport (390x844, as an iPhone 14) with touch."""
    yield from _page(chromium, request, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


def sign_in(page, live_server, username: str, password: str = "correct-horse-battery") -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/")


AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def axe_results(page, live_server) -> list[dict]:
    """axe-core's violations of WCAG 2.0/2.1 A and AA (every impact) on the page as it stands."""
    page.add_script_tag(url=f"{live_server.url}/static/vendor/axe-core/axe.min.js")  # same origin: CSP allows it
    return page.evaluate("async (tags) => (await axe.run(document, {runOnly: tags})).violations", AXE_TAGS)


def axe_violations(page, live_server) -> list:
    """(rule id, target selectors of each node) of every violation: empty when the page passes."""
    return [(v["id"], [node["target"] for node in v["nodes"]]) for v in axe_results(page, live_server)]
