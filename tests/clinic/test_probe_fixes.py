"""What the second security probe found (issue 15), each checked where it was found."""

import logging

import pytest
from django.test import Client
from django.urls import reverse

from clinic.links import issue_link
from tests.test_access import ACCESS, named_urls

# --- no-store on every page that shows patient data -------------------------------------------------


@pytest.mark.parametrize("name", sorted(ACCESS))
def test_every_page_a_staff_member_opens_is_not_cached(name, objects, desk_client, lac_client, manager_client):
    from tests.test_access import ROLES

    kwargs_for, expected = ACCESS[name]
    clients = {"front_desk": desk_client, "acupuncturist": lac_client, "manager": manager_client}
    url = reverse(name, kwargs=kwargs_for(objects) if kwargs_for else None)
    for role in ROLES:
        if role in clients and expected[role] == 200:
            response = clients[role].get(url)
            assert "no-store" in response["Cache-Control"], f"{role} GET {url}: {response['Cache-Control']}"


def test_the_table_covers_every_url():
    assert set(named_urls()) == set(ACCESS)


def test_static_files_keep_their_caching(client):
    response = client.get("/static/css/clinic.css")
    assert "no-store" not in response.get("Cache-Control", "")


# --- the patient pages send no Referer, and their forms still pass the CSRF check --------------------


@pytest.fixture
def patient_browser(objects):
    browser = Client(enforce_csrf_checks=True)
    _, token = issue_link(patient=objects.questionnaire.patient, purpose="questionnaire", subject=objects.questionnaire)
    assert browser.get(reverse("clinic:link-open", args=[token]), secure=True).status_code == 302
    return browser


def csrf_token(page) -> str:
    html = page.content.decode()
    return html.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]


def test_the_patient_form_is_sent_no_referrer_and_posts_with_a_null_origin(patient_browser):
    from tests.factories import warning_sign_data

    page = patient_browser.get(reverse("outcomes:patient-form"), secure=True)
    assert page["Referrer-Policy"] == "no-referrer"
    data = warning_sign_data(csrfmiddlewaretoken=csrf_token(page))
    # What a browser sends under no-referrer: Origin "null", no Referer (Fetch Metadata when it has it).
    for headers in ({"HTTP_SEC_FETCH_SITE": "same-origin"}, {}):
        sent = patient_browser.post(
            reverse("outcomes:patient-warning-signs"), data, secure=True, HTTP_ORIGIN="null", **headers
        )
        assert sent.status_code == 302, sent.content.decode()[:300]


@pytest.mark.parametrize(
    ("origin", "fetch_site", "token_ok"),
    [
        ("null", "cross-site", True),  # another site's page posting into the patient's session
        ("null", "same-site", True),
        ("https://evil.example", "cross-site", True),
        ("null", "same-origin", False),  # no valid token: refused as ever
    ],
)
def test_a_post_from_elsewhere_or_without_the_token_is_refused(patient_browser, origin, fetch_site, token_ok):
    from tests.factories import warning_sign_data

    page = patient_browser.get(reverse("outcomes:patient-form"), secure=True)
    data = warning_sign_data(csrfmiddlewaretoken=csrf_token(page) if token_ok else "x" * 64)
    sent = patient_browser.post(
        reverse("outcomes:patient-warning-signs"),
        data,
        secure=True,
        HTTP_ORIGIN=origin,
        HTTP_SEC_FETCH_SITE=fetch_site,
    )
    assert sent.status_code == 403


def test_a_staff_form_still_refuses_a_null_origin(desk_client, patient):
    desk_client.handler.enforce_csrf_checks = True
    page = desk_client.get(reverse("clinic:patient-update", args=[patient.pk]), secure=True)
    sent = desk_client.post(
        reverse("clinic:patient-update", args=[patient.pk]),
        {"csrfmiddlewaretoken": csrf_token(page)},
        secure=True,
        HTTP_ORIGIN="null",
    )
    assert sent.status_code == 403


# --- a patient link opened in a staff browser ends the staff sign-in ---------------------------------


def test_opening_a_patient_link_signs_the_staff_member_out(desk_client, patient):
    assert desk_client.get(reverse("pages:dashboard")).status_code == 200
    _, token = issue_link(patient=patient, purpose="intake")
    assert desk_client.get(reverse("clinic:link-open", args=[token])).status_code == 302
    assert "_auth_user_id" not in desk_client.session
    assert desk_client.get(reverse("pages:dashboard"))["Location"].startswith(reverse("clinic:login"))
    assert desk_client.get(reverse("intake:patient-intake")).status_code == 200  # the patient's form, only


# --- the sign-in page and the point picker take any input -------------------------------------------


@pytest.mark.parametrize("username", ["a" * 151, "a" * 256, "ü" * 300, "x\x00y"])
def test_a_long_or_odd_username_is_a_failed_sign_in_not_an_error_page(client, db, username):
    client.raise_request_exception = True
    response = client.post(reverse("clinic:login"), {"username": username, "password": "wrong"})
    assert response.status_code == 200


@pytest.mark.parametrize("q", ["\x00", "bl\x0023", "%00"])
def test_the_point_picker_takes_a_nul(lac_client, q):
    lac_client.raise_request_exception = True
    response = lac_client.get(reverse("treatments:point-search"), {"q": q})
    assert response.status_code == 200


# --- logs: no working link in any line, and a 403 is one line ------------------------------------


def test_a_patient_link_in_a_log_line_is_redacted(caplog):
    from clinic.logs import RedactLinkTokens

    record = logging.LogRecord(
        "django.request", logging.WARNING, __file__, 1, "Not Found: %s", ("/l/abc123XYZ/",), None
    )
    RedactLinkTokens().filter(record)
    assert record.getMessage() == "Not Found: /l/[redacted]/"


def test_the_app_logs_an_unknown_link_without_its_token(client, db, caplog):
    handler = logging.getLogger().handlers[0] if logging.getLogger().handlers else None
    assert handler is not None and any(type(f).__name__ == "RedactLinkTokens" for f in handler.filters)
    client.get(reverse("clinic:link-open", args=["secret-token-value"]))
    for record in caplog.records:
        for active in handler.filters:
            active.filter(record)
        assert "secret-token-value" not in record.getMessage()


def test_gunicorn_refuses_several_workers_without_a_shared_cache(monkeypatch):
    import runpy

    from django.conf import settings

    monkeypatch.delenv("CACHE_URL", raising=False)
    monkeypatch.setenv("GUNICORN_WORKERS", "2")
    with pytest.raises(SystemExit, match="set CACHE_URL"):
        runpy.run_path(str(settings.BASE_DIR / "deploy/gunicorn.conf.py"))
    monkeypatch.setenv("GUNICORN_WORKERS", "1")
    assert runpy.run_path(str(settings.BASE_DIR / "deploy/gunicorn.conf.py"))["workers"] == 1


def test_gunicorns_access_log_redacts_the_link(monkeypatch):
    import runpy
    from types import SimpleNamespace

    from django.conf import settings
    from gunicorn.config import Config

    monkeypatch.setenv("CACHE_URL", "redis://127.0.0.1:6379/1")
    conf = runpy.run_path(str(settings.BASE_DIR / "deploy/gunicorn.conf.py"))
    logger = conf["logger_class"](Config())
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": "/l/working-token-123/",
        "PATH_INFO": "/l/working-token-123/",
        "QUERY_STRING": "",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "10.0.0.2",
    }
    resp = SimpleNamespace(status="302 Found", status_code=302, response_length=0, sent=0, headers=[])
    req = SimpleNamespace(headers=[], method="GET", path="/l/working-token-123/", query="")
    atoms = logger.atoms(resp, req, environ, SimpleNamespace(seconds=0, microseconds=1000, total_seconds=lambda: 0.001))
    assert all("working-token-123" not in str(value) for value in atoms.values())
    assert atoms["r"] == "GET /l/[redacted]/ HTTP/1.1"


def test_a_refused_page_is_logged_as_one_line_without_a_traceback(desk_client):
    import sys

    from clinic.logs import QuietPermissionDenied

    handler = logging.getLogger().handlers[0]
    assert any(isinstance(f, QuietPermissionDenied) for f in handler.filters)
    try:
        raise PermissionError("no")
    except PermissionError:
        exc_info = sys.exc_info()
    for status, kept in ((403, False), (500, True)):
        record = logging.LogRecord(
            "django.request", logging.WARNING, __file__, 1, "Forbidden: %s", ("/audit/",), exc_info
        )
        record.status_code = status
        QuietPermissionDenied().filter(record)
        assert (record.exc_info is not None) is kept  # a 500 keeps its traceback


# --- managers read the registry; registering and editing patients is the front desk's -----------------


def test_the_manager_cannot_register_or_edit_patients(manager_client, patient):
    assert manager_client.get(reverse("pages:patient-detail", args=[patient.pk])).status_code == 200
    assert manager_client.post(reverse("clinic:patient-create"), {"given_name": "X"}).status_code == 403
    assert (
        manager_client.post(reverse("clinic:patient-update", args=[patient.pk]), {"given_name": "X"}).status_code == 403
    )


# --- after the review of the fixes ---------------------------------------------------------------------


def test_signing_in_after_opening_a_patient_link_starts_a_clean_staff_session(client, front_desk, patient):
    from django.conf import settings

    _, token = issue_link(patient=patient, purpose="intake")
    assert client.get(reverse("clinic:link-open", args=[token])).status_code == 302
    signed_in = client.post(reverse("clinic:login"), {"username": "desk", "password": "correct-horse-battery"})
    assert signed_in.status_code == 302
    assert "patient_link" not in client.session and client.session.get_expire_at_browser_close()
    assert signed_in.cookies[settings.SESSION_COOKIE_NAME]["max-age"] == ""  # a browser-session cookie
    assert client.get(reverse("intake:patient-intake")).status_code == 404


@pytest.mark.parametrize("permission", ["auditlog.view_logentry", "auth.change_user", "outcomes.view_report"])
def test_a_sensitive_permission_given_singly_asks_for_the_second_factor(db, roles, permission):
    from django.contrib.auth.models import Permission

    from tests.factories import UserFactory

    app_label, codename = permission.split(".")
    user = UserFactory(username="odd", role="Front desk")
    user.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    client = Client()
    client.post(reverse("clinic:login"), {"username": "odd", "password": "correct-horse-battery"})
    response = client.get(reverse("pages:dashboard"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("clinic:twofactor-setup"))


@pytest.mark.parametrize(
    "url",
    [
        "/admin/clinic/patient/?family_name=%00",
        "/admin/auditlog/logentry/?cid=%00",
        "/admin/auth/user/?q=a%00b",
        "/admin/auditlog/logentry/?remote_addr=%00",
    ],
)
def test_a_nul_in_an_admin_address_is_a_400(admin_client, url):
    admin_client.raise_request_exception = True
    assert admin_client.get(url).status_code == 400


@pytest.mark.parametrize("address", ["abc", "999.1.1.1", "1.2.3"])
def test_an_address_filter_that_is_no_address_is_the_admins_invalid_filter_page(admin_client, address):
    admin_client.raise_request_exception = True
    response = admin_client.get("/admin/auditlog/logentry/", {"remote_addr": address})
    assert response.status_code == 302 and response["Location"].endswith("?e=1")
    assert admin_client.get("/admin/auditlog/logentry/", {"remote_addr": "203.0.113.7"}).status_code == 200


@pytest.mark.parametrize(
    ("who", "url_for"),
    [
        ("lac_client", lambda o: reverse("treatments:session-create", args=[o.plan.pk])),
        ("desk_client", lambda o: reverse("intake:intake-create", args=[o.patient.pk])),
        ("lac_client", lambda o: reverse("treatments:plan-create", args=[o.patient.pk])),
        ("desk_client", lambda o: reverse("outcomes:questionnaire-create", args=[o.patient.pk])),
    ],
)
def test_a_form_page_that_shows_a_patient_records_the_read(request, objects, who, url_for):
    from auditlog.models import LogEntry

    before = LogEntry.objects.filter(action=LogEntry.Action.ACCESS).count()
    assert request.getfixturevalue(who).get(url_for(objects)).status_code == 200
    assert LogEntry.objects.filter(action=LogEntry.Action.ACCESS).count() == before + 1


def test_reading_the_audit_log_is_recorded(manager_client, objects):
    from auditlog.models import LogEntry

    manager_client.get(reverse("clinic:audit-log"))
    entry = LogEntry.objects.filter(additional_data__listed="Audit log, page 1").get()
    assert objects.patient.pk in entry.additional_data["patient_ids"]


@pytest.mark.parametrize("query", [{"remote_addr": "\x00"}, {"remote_addr": "999.1.1.1"}, {"patient": "\x00"}])
def test_the_audit_log_filters_take_any_input(manager_client, query):
    manager_client.raise_request_exception = True
    assert manager_client.get(reverse("clinic:audit-log"), query).status_code == 200
