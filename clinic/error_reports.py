"""Error reports to a Sentry-protocol server (Sentry, or a self-hosted GlitchTip or Bugsink), when SENTRY_DSN is
set. A report says what failed and where in the code, never whom it was about: no request (URL, query,
headers, cookies, body), no user, no local variables, no breadcrumbs (earlier log lines and SQL), and a
patient link's token and a database error's quoted values (its DETAIL line) redacted in every message."""

from typing import Any

import sentry_sdk
from sentry_sdk.integrations.django import DjangoIntegration
from sentry_sdk.transport import Transport

from clinic.logs import redact, request_id

Event = dict[str, Any]
# What a report keeps: what failed (exception, message, level, logger), where (code, release, environment,
# the URL pattern, not the URL) and the request id that finds the log lines.
KEPT = {
    "event_id", "timestamp", "platform", "level", "logger", "exception", "logentry", "message", "transaction",
    "transaction_info", "release", "environment", "server_name", "sdk", "contexts", "tags", "modules", "fingerprint",
}  # fmt: skip


def scrub(event: Event, hint: object = None) -> Event:
    """The report as sent: only the KEPT keys, no frame's variables, messages redacted."""
    event = {key: value for key, value in event.items() if key in KEPT}
    for exception in event.get("exception", {}).get("values", []):
        if isinstance(exception.get("value"), str):
            exception["value"] = redact(exception["value"])
        for frame in exception.get("stacktrace", {}).get("frames", []):
            frame.pop("vars", None)
    for holder in (event.get("logentry", {}), event):
        for key in ("message", "formatted"):
            if isinstance(holder.get(key), str):
                holder[key] = redact(holder[key])
        holder.pop("params", None)
    contexts = event.get("contexts", {})
    event["contexts"] = {key: contexts[key] for key in ("runtime", "os", "trace") if key in contexts}
    event["tags"] = {**event.get("tags", {}), "request_id": request_id.get()}
    return event


def start_error_reports(*, dsn: str, environment: str, transport: type[Transport] | None = None) -> None:
    """Called from settings when SENTRY_DSN is set; `transport` is for the tests."""
    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        integrations=[DjangoIntegration(transaction_style="url")],
        # No personal data from the integrations: send_default_pii is left at its default (off; naming it is
        # deprecated in favour of data_collection), and scrub() keeps only what says what failed anyway.
        include_local_variables=False,
        max_request_body_size="never",
        max_breadcrumbs=0,
        traces_sample_rate=0,
        before_send=scrub,
        **({"transport": transport} if transport else {}),
    )
