"""JSON log lines with the request's id; the id on the response; a proxy's id believed only when it looks like
one; no patient link token, query string or request object in any line (app or gunicorn)."""

import contextvars
import io
import json
import logging
import re
import runpy
from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.db import IntegrityError
from django.urls import reverse

from clinic.logs import JsonFormatter, QuietPermissionDenied, RedactLinkTokens, RequestIdFilter

HEX_ID = re.compile(r"[0-9a-f]{32}")


@pytest.fixture
def json_log():
    """The root logger's lines as the production handler writes them (its filters, the JSON formatter)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    for active in (RedactLinkTokens(), QuietPermissionDenied(), RequestIdFilter()):
        handler.addFilter(active)
    handler.setFormatter(JsonFormatter())
    # runserver's logger does not propagate to the root: it has the console handler of its own.
    loggers = [logging.getLogger(), logging.getLogger("django.server")]
    for logger in loggers:
        logger.addHandler(handler)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    for logger in loggers:
        logger.removeHandler(handler)


def test_every_response_carries_a_fresh_request_id(client, db):
    first = client.get(reverse("clinic:login"))
    second = client.get(reverse("clinic:login"))
    assert HEX_ID.fullmatch(first["X-Request-ID"])
    assert HEX_ID.fullmatch(second["X-Request-ID"])
    assert first["X-Request-ID"] != second["X-Request-ID"]


def test_a_log_line_is_json_with_the_request_id_and_no_token(client, db, json_log):
    response = client.get("/l/secret-token-value/no-such-page/?token=another-secret&q=Bergstrom")
    assert response.status_code == 404
    lines = [line for line in json_log() if line["logger"] == "django.request"]
    assert lines, "Django logs a 404"
    line = lines[-1]
    assert line["request_id"] == response["X-Request-ID"]
    assert line["level"] == "WARNING"
    assert datetime.fromisoformat(line["time"]).utcoffset() == timedelta(0)
    assert line["status_code"] == 404
    assert line["message"].startswith("Not Found: /l/[redacted]")
    # Only these keys: Django's extra `request` (its text is the whole URL) is not written.
    assert set(line) <= set(JsonFormatter.FIELDS)
    text = json.dumps(json_log())
    for secret in ("secret-token-value", "another-secret", "Bergstrom"):
        assert secret not in text


def test_runservers_request_line_loses_its_query_string(json_log):
    logging.getLogger("django.server").info('"%s" %s %s', "GET /patients/?q=Bergstrom&page=2 HTTP/1.1", 200, 512)
    assert json_log()[-1]["message"] == '"GET /patients/ HTTP/1.1" 200 512'


def test_a_line_outside_a_request_has_no_id(json_log):
    # A management command's context: no request has set an id in it.
    contextvars.Context().run(logging.getLogger("clinic.test").warning, "from a command")
    assert json_log()[-1]["request_id"] == "-"
    assert json_log()[-1]["message"] == "from a command"


def test_a_traceback_is_redacted_too(json_log):
    try:
        raise ValueError("could not open /l/working-token-9/")
    except ValueError:
        logging.getLogger("clinic.test").exception("failed")
    line = json_log()[-1]
    assert "ValueError: could not open /l/[redacted]/" in line["exc_info"]
    assert "working-token-9" not in json.dumps(line)


def test_a_database_errors_quoted_values_are_not_logged(json_log):
    try:
        raise IntegrityError(
            'new row violates check constraint "x"\nDETAIL:  Failing row contains (7, Bergström, 1961-04-02).'
        )
    except IntegrityError:
        logging.getLogger("clinic.test").exception("failed")
    line = json_log()[-1]
    assert 'IntegrityError: new row violates check constraint "x"' in line["exc_info"]
    assert "DETAIL: [redacted]" in line["exc_info"]
    assert "Bergström" not in line["exc_info"] and "1961" not in line["exc_info"]


@pytest.mark.parametrize("proxies", [1, 2])
def test_the_proxys_request_id_is_kept(client, db, settings, proxies):
    settings.TRUSTED_PROXY_COUNT = proxies
    for incoming in ("0f8fad5b-d9cb-469f-a165-70867728950e", "7d3c6a0e5b9f4c2a8e1d0b7a6c5f4e3d"):
        response = client.get(reverse("clinic:login"), headers={"X-Request-ID": incoming})
        assert response["X-Request-ID"] == incoming


@pytest.mark.parametrize(
    "incoming",
    [
        "short",
        "x" * 65,
        "has space in it 123",
        'quote"injected-value',
        "line\\nbreak-123456",
        "/l/secret-token-value/",
        "-starts-with-a-dash",
    ],
)
def test_a_request_id_that_does_not_look_like_one_is_replaced(client, db, settings, incoming):
    settings.TRUSTED_PROXY_COUNT = 1
    response = client.get(reverse("clinic:login"), headers={"X-Request-ID": incoming})
    assert HEX_ID.fullmatch(response["X-Request-ID"])


def test_a_request_id_straight_from_a_client_is_not_believed(client, db, settings):
    settings.TRUSTED_PROXY_COUNT = 0
    incoming = "0f8fad5b-d9cb-469f-a165-70867728950e"
    response = client.get(reverse("clinic:login"), headers={"X-Request-ID": incoming})
    assert HEX_ID.fullmatch(response["X-Request-ID"])


def test_settings_pick_the_format_from_the_environment():
    # The suite runs without DEBUG: production's JSON lines unless LOG_FORMAT says otherwise.
    handler = settings.LOGGING["handlers"]["console"]
    assert handler["formatter"] == settings.LOG_FORMAT
    assert "request_id" in handler["filters"] and "redact_link_tokens" in handler["filters"]
    assert settings.MIDDLEWARE[0] == "clinic.logs.RequestIdMiddleware"


def _gunicorn_line(monkeypatch, log_format: str) -> str:
    from gunicorn.config import Config

    monkeypatch.setenv("CACHE_URL", "redis://127.0.0.1:6379/1")
    monkeypatch.setenv("LOG_FORMAT", log_format)
    conf = runpy.run_path(str(settings.BASE_DIR / "deploy/gunicorn.conf.py"))
    config = Config()
    config.set("accesslog", "-")
    config.set("access_log_format", conf["access_log_format"])
    logger = conf["logger_class"](config)
    stream = io.StringIO()
    logger.access_log.handlers = [logging.StreamHandler(stream)]
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": "/l/working-token-123/?q=Bergstrom",
        "PATH_INFO": "/l/working-token-123/",
        "QUERY_STRING": "q=Bergstrom",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "10.0.0.2",
    }
    resp = SimpleNamespace(
        status="302 Found", status_code=302, response_length=0, sent=0, headers=[("X-Request-ID", "abc123def456")]
    )
    req = SimpleNamespace(headers=[("X-Forwarded-For", "203.0.113.9")], method="GET", path="/l/working-token-123/")
    logger.access(resp, req, environ, SimpleNamespace(seconds=0, microseconds=1000, total_seconds=lambda: 0.001))
    return stream.getvalue()


def test_gunicorns_json_access_line(monkeypatch):
    line = json.loads(_gunicorn_line(monkeypatch, "json"))
    assert line["message"] == "GET /l/[redacted]/ HTTP/1.1"
    assert line["request_id"] == "abc123def456"
    assert line["status_code"] == 302
    assert line["client"] == "203.0.113.9"


def test_gunicorns_text_access_line_has_the_id_and_no_query(monkeypatch):
    text = _gunicorn_line(monkeypatch, "text")
    assert '"GET /l/[redacted]/ HTTP/1.1" 302' in text
    assert text.rstrip().endswith("abc123def456")
    assert "Bergstrom" not in text and "working-token-123" not in text
