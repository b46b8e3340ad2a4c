"""gunicorn settings for the clinic app: `gunicorn clinic.wsgi -c deploy/gunicorn.conf.py`.

The access log is kept, but a patient link's path (/l/<token>/, a working key to a patient's form) is
written redacted, so the log cannot be used to open anyone's questionnaire.
"""

import os

from gunicorn.glogging import Logger

from clinic.logs import redact

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "3"))
if workers > 1 and not os.environ.get("CACHE_URL"):
    # Each worker would count patient-link attempts in its own memory: the limits would multiply.
    raise SystemExit("With more than one worker, set CACHE_URL (Redis) so every worker shares the rate limits.")
accesslog = "-"
# The client's address as the proxy in front saw it (the first field), then the request as usual.
access_log_format = '%({x-forwarded-for}i)s %(h)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s"'


class RedactingLogger(Logger):
    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        return {key: redact(value) if isinstance(value, str) else value for key, value in atoms.items()}


logger_class = RedactingLogger
