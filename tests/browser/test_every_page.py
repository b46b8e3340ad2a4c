"""Zero axe-core violations (WCAG 2.0/2.1 A and AA) on every page of the access table, for every role that
opens it (issue 20).

The pages are the rows of tests/test_access.py's ACCESS whose expected status for the role is 200
(tests/every_page.py), so a new page is checked as soon as it has its row. Each role has one browser context:
staff carry the session cookie of a test client signed in as them (past the second factor for the manager,
as tests/conftest.py's role clients are); the patient opens a weekly-questionnaire link. The data
(`rich_objects`) shows each page's fuller markup: red-flag rows, signed and unsigned notes, answered and
overdue questionnaires, today's visits. One run lists every violation on every page.

The Django admin is left out, as in the access table: its markup is Django's, and no clinic role works in it.
"""

from django.conf import settings

from tests.browser.conftest import axe_results, new_context
from tests.conftest import _client_for
from tests.every_page import PAGE_ROLES, client_for, is_document, pages_after_a_post, pages_for, patient_link_path


def serve(body: bytes):
    """A route handler that answers with `body`, once the page's own request has been made by a test client."""
    return lambda route: route.fulfill(body=body, content_type="text/html; charset=utf-8")


def test_every_page_passes_axe_for_every_role(chromium, live_server, rich_objects, front_desk, acupuncturist, manager):
    users = {"front_desk": front_desk, "acupuncturist": acupuncturist, "manager": manager}
    failures, checked = [], 0
    for role in PAGE_ROLES:
        context = new_context(chromium, viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.set_default_timeout(10_000)
        if role == "patient":
            page.goto(f"{live_server.url}{patient_link_path(rich_objects)}")
        else:
            cookie = _client_for(users[role]).cookies[settings.SESSION_COOKIE_NAME].value
            context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}])
        for name, path in pages_for(role, rich_objects):
            url = f"{live_server.url}{path}"
            # Asked first without rendering: PDFs, CSV, JSON and HTML fragments are not pages to check.
            head = page.request.get(url)
            if head.status != 200:
                failures.append(f"{name} ({path}) as {role}: status {head.status}, expected 200")
                continue
            if not is_document(head.headers.get("content-type", ""), head.body()):
                continue
            response = page.goto(url)
            assert response is not None and response.status == 200, f"{role} GET {path}"
            checked += 1
            for violation in axe_results(page, live_server):
                targets = ", ".join(" ".join(node["target"]) for node in violation["nodes"][:5])
                more = len(violation["nodes"]) - 5
                failures.append(
                    f"{name} ({path}) as {role}: {violation['id']} ({violation['impact']}) on {targets}"
                    + (f" and {more} more" if more > 0 else "")
                )
        context.close()
    # The pages reached only by a POST, after every GET (see tests/test_html_validity.py for why in this order):
    # made by a test client, then served to the browser at their own address, so their styles load.
    for role in PAGE_ROLES:
        client = client_for(role, users, rich_objects)
        context = new_context(chromium, viewport={"width": 1280, "height": 900})
        page = context.new_page()
        for label, path, response in pages_after_a_post(role, client, rich_objects):
            url = f"{live_server.url}{path}"
            page.route(lambda address, url=url: address == url, serve(response.content))
            page.goto(url)
            page.unroute_all()
            checked += 1
            for violation in axe_results(page, live_server):
                targets = ", ".join(" ".join(node["target"]) for node in violation["nodes"][:5])
                failures.append(f"{label} ({path}) as {role}: {violation['id']} ({violation['impact']}) on {targets}")
        context.close()
    assert checked
    assert not failures, f"{len(failures)} axe violations on {checked} pages x roles:\n" + "\n".join(failures)
