"""The optional error reports (SENTRY_DSN): off and not even loaded when unset; when set, an error reaches the
report server with what failed and the request id, and nothing about the patient or the request."""

import json
import os
import subprocess
import sys

import pytest
import sentry_sdk
from django.http import HttpRequest, HttpResponse
from django.urls import path
from sentry_sdk.transport import Transport

from clinic.error_reports import scrub, start_error_reports
from clinic.logs import request_id

FAKE_DSN = "https://0123456789abcdef@errors.clinic.example/1"


def fail(request: HttpRequest, token: str) -> HttpResponse:
    name = request.POST.get("last_name", "")  # a local variable holding patient data
    raise RuntimeError(f"could not save {name!r} from /l/{token}/")


urlpatterns = [path("l/<str:token>/fail/", fail)]


def settings_in_a_fresh_process(**env: str) -> dict:
    clean = {k: v for k, v in os.environ.items() if k not in {"SENTRY_DSN", "DJANGO_SETTINGS_MODULE"}}
    script = (
        "import json, sys, django; django.setup(); loaded = 'sentry_sdk' in sys.modules;"
        "import sentry_sdk; client = sentry_sdk.get_client();"
        "print(json.dumps({'loaded': loaded, 'active': client.is_active(),"
        " 'pii': client.should_send_default_pii(), 'vars': client.options.get('include_local_variables')}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        env={**clean, "DJANGO_SETTINGS_MODULE": "tests.settings", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_without_sentry_dsn_nothing_is_started_or_loaded():
    started = settings_in_a_fresh_process()
    assert (started["loaded"], started["active"], started["pii"]) == (False, False, False)


def test_with_sentry_dsn_reports_start_without_personal_data():
    assert settings_in_a_fresh_process(SENTRY_DSN=FAKE_DSN) == {
        "loaded": True,
        "active": True,
        "pii": False,
        "vars": False,
    }


class Captured(Transport):
    events: list[dict] = []

    def capture_envelope(self, envelope):
        event = envelope.get_event()
        if event is not None:
            Captured.events.append(event)


@pytest.fixture
def reports():
    Captured.events = []
    start_error_reports(dsn=FAKE_DSN, environment="test", transport=Captured)
    yield Captured.events
    sentry_sdk.get_client().close()
    sentry_sdk.get_global_scope().set_client(None)


@pytest.mark.urls(__name__)
def test_an_error_reaches_the_report_without_patient_data(client, db, reports):
    client.raise_request_exception = False
    response = client.post(
        "/l/working-token-42/fail/?q=Bergstrom",
        {"last_name": "Bergström", "notes": "sciatica since the fall"},
        headers={"Cookie": "sessionid=staff-session-cookie"},
    )
    assert response.status_code == 500
    assert len(reports) == 1
    event = reports[0]
    exception = event["exception"]["values"][-1]
    assert exception["type"] == "RuntimeError"
    assert "/l/[redacted]/" in exception["value"]
    assert event["tags"]["request_id"] == response["X-Request-ID"]
    assert "request" not in event and "user" not in event and "breadcrumbs" not in event
    assert all("vars" not in frame for frame in exception["stacktrace"]["frames"])
    sent = json.dumps(event)
    for secret in ("working-token-42", "Bergstrom", "sciatica", "staff-session-cookie"):
        assert secret not in sent


def test_a_logged_error_is_reported_redacted(reports):
    import logging

    token = request_id.set("feedc0ffee123456")
    try:
        logging.getLogger("clinic.test").error("could not send the link /l/working-token-7/")
    finally:
        request_id.reset(token)
    assert reports, "an error-level log line is reported"
    event = reports[-1]
    assert "working-token-7" not in json.dumps(event)
    assert event["logentry"]["message"] == "could not send the link /l/[redacted]/"
    assert event["tags"]["request_id"] == "feedc0ffee123456"


def test_a_database_errors_quoted_values_are_not_reported():
    # PostgreSQL's DETAIL line quotes the row: a unique email, or the whole failing row of a check.
    message = (
        'duplicate key value violates unique constraint "patient_email"\n'
        "DETAIL:  Key (email)=(ann.bergstrom@example.org) already exists."
    )
    event = scrub({"exception": {"values": [{"type": "IntegrityError", "value": message}]}})
    value = event["exception"]["values"][0]["value"]
    assert value.startswith('duplicate key value violates unique constraint "patient_email"')
    assert "DETAIL: [redacted]" in value
    assert "bergstrom" not in json.dumps(event)
