"""Logging filters: nothing in a log opens a patient's link, and a refused page is one line, not a traceback."""

import logging
import re

# A patient link's path: /l/<token>/. The token is a working key to a patient's form until it is used.
LINK_PATH = re.compile(r"/l/[^/\s\"?]+")


def redact(text: str) -> str:
    return LINK_PATH.sub("/l/[redacted]", text)


class RedactLinkTokens(logging.Filter):
    """Replace the token of any patient link in a log line (Django's "Not Found: /l/…", runserver's and
    gunicorn's request lines) before it is written."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "/l/" in message:
            record.msg, record.args = redact(message), None
        return True


class QuietPermissionDenied(logging.Filter):
    """A 403 is a user meeting a page their role does not open, not a fault: log the line, not a traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", None) == 403:
            record.exc_info = record.exc_text = None
        return True
