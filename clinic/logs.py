"""Logging: nothing in a log opens a patient's link, a refused page is one line, not a traceback, and every
line written while a request is served carries that request's id (JSON lines with LOG_FORMAT=json)."""

import logging
import re
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

import pythonjsonlogger.json
from django.conf import settings
from django.http import HttpRequest
from django.http.response import HttpResponseBase

# A patient link's path: /l/<token>/. The token is a working key to a patient's form until it is used.
LINK_PATH = re.compile(r"/l/[^/\s\"?]+")


# PostgreSQL's detail line of a failed statement quotes the row's values ("DETAIL:  Key (email)=(ann@example.org)
# already exists.", "Failing row contains (…)"): a patient's data, in an exception's message and traceback.
DATABASE_DETAIL = re.compile(r"^(\s*DETAIL:).*$", re.MULTILINE)


def redact(text: str) -> str:
    """The text with every patient link's token and every database error's quoted values taken out."""
    return DATABASE_DETAIL.sub(r"\1 [redacted]", LINK_PATH.sub("/l/[redacted]", text))


# The query string of a request line ("GET /patients/?q=Bergstrom HTTP/1.1"): a search's is a patient's name.
QUERY_STRING = re.compile(r"\?[^\s\"]*")


class RedactLinkTokens(logging.Filter):
    """Replace the token of any patient link in a log line (Django's "Not Found: /l/…", runserver's and
    gunicorn's request lines) before it is written, and drop the query string from runserver's request lines."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.name == "django.server" and "?" in message:
            message = QUERY_STRING.sub("", message)
            record.msg, record.args = message, None
        if "/l/" in message:
            record.msg, record.args = redact(message), None
        return True


class QuietPermissionDenied(logging.Filter):
    """A 403 is a user meeting a page their role does not open, not a fault: log the line, not a traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", None) == 403:
            record.exc_info = record.exc_text = None
        return True


# --- request ids ------------------------------------------------------------------------------------------

# The id of the request this thread (or task) is serving, for every log line written while it is served.
request_id: ContextVar[str] = ContextVar("request_id", default="-")
REQUEST_ID_HEADER = "X-Request-ID"
# What a proxy's id looks like (nginx's $request_id: 32 hex digits; Caddy's and most others': a UUID).
# Anything else (too long, spaces, quotes, a line break) is not taken into the logs: a fresh id replaces it.
VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{7,63}")


class RequestIdMiddleware:
    """Give each request an id: the trusted proxy's X-Request-ID when it looks like one, else a new UUID.
    It is on every log line written while the request is served and on the response, so a user's report
    ("it failed at 10:02", with the id from the error page's headers) finds the lines in the logs."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        # Only a proxy of ours sets the header; straight from a client it is not believed.
        trusted = settings.TRUSTED_PROXY_COUNT > 0 and VALID_REQUEST_ID.fullmatch(incoming)
        value = incoming if trusted else uuid.uuid4().hex
        # Not reset on the way out: Django writes its line for a 4xx or 5xx after the middleware has returned.
        # The next request (each thread serves one at a time; ASGI tasks copy the context) sets its own.
        request_id.set(value)
        response = self.get_response(request)
        response[REQUEST_ID_HEADER] = value
        return response


class RequestIdFilter(logging.Filter):
    """Put the current request's id on the record (`-` outside a request: commands, start-up)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        return True


class JsonFormatter(pythonjsonlogger.json.JsonFormatter):
    """One JSON object per line: time, level, logger, message, request id, and a status code or traceback
    when there is one. Nothing else a record carries is written: Django attaches the request object to its
    records, whose text holds the path and query of the URL (a patient link's token)."""

    FIELDS = ("time", "level", "logger", "message", "request_id", "status_code", "exc_info", "stack_info")

    def __init__(self) -> None:
        super().__init__(
            "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        )

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802
        # ISO 8601 in UTC, as gunicorn's JSON access lines: a collector sorts them without knowing TIME_ZONE.
        return datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")

    def add_fields(self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]) -> None:
        super().add_fields(log_data, record, message_dict)
        for key in [key for key in log_data if key not in self.FIELDS]:
            del log_data[key]
        if not isinstance(log_data.get("status_code"), int | None):
            del log_data["status_code"]
        if isinstance(log_data.get("exc_info"), str):
            log_data["exc_info"] = redact(log_data["exc_info"])
