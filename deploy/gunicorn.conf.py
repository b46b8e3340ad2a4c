"""gunicorn settings for the clinic app: `gunicorn clinic.wsgi -c deploy/gunicorn.conf.py`.

The access log is kept, but a patient link's path (/l/<token>/, a working key to a patient's form) is
written redacted, so the log cannot be used to open anyone's questionnaire, and no query string is written
(a search's is a patient's name). Each line ends with the request's id (X-Request-ID, as on the app's own
lines); with LOG_FORMAT=json (the default without DEBUG) it is one JSON object, like the app's.
"""

import json
import os
from datetime import UTC, datetime

from gunicorn.glogging import Logger

from clinic.logs import redact

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "3"))
if workers > 1 and not os.environ.get("CACHE_URL"):
    # Each worker would count patient-link attempts in its own memory: the limits would multiply.
    raise SystemExit("With more than one worker, set CACHE_URL (Redis) so every worker shares the rate limits.")
accesslog = "-"
# The client's address as the proxy in front saw it (the first field), then the request as usual.
access_log_format = '%({x-forwarded-for}i)s %(h)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s" %({x-request-id}o)s'
debug = os.environ.get("DEBUG", "").strip().lower() in {"1", "true", "yes", "on"}
json_lines = os.environ.get("LOG_FORMAT", "text" if debug else "json") == "json"


class RedactingLogger(Logger):
    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        # The request line without its query string: a search's query is a patient's name.
        atoms["r"] = f"{atoms['m']} {atoms['U']} {atoms['H']}"
        for key in ("q", "{raw_uri}e", "{query_string}e"):
            atoms.pop(key, None)
        return {key: redact(value) if isinstance(value, str) else value for key, value in atoms.items()}

    def access(self, resp, req, environ, request_time):
        if not json_lines:
            return super().access(resp, req, environ, request_time)
        if not self.access_log_enabled:
            return None
        atoms = self.atoms(resp, req, environ, request_time)
        line = {
            "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "level": "INFO",
            "logger": "gunicorn.access",
            "message": atoms["r"],
            "request_id": atoms.get("{x-request-id}o", "-"),
            "status_code": int(atoms["s"]) if str(atoms["s"]).isdigit() else None,
            "client": atoms.get("{x-forwarded-for}i", "-"),
            "peer": atoms["h"],
            "bytes": atoms["B"],
            "ms": atoms["M"],
            "user_agent": atoms["a"],
        }
        self.access_log.info(json.dumps(line))
        return None


logger_class = RedactingLogger
