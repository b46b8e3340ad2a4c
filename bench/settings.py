"""Settings for the benchmark only (bench/run.py, bench/data.py, gunicorn bench.wsgi).

Production settings, run over plain HTTP on loopback with a fixed throwaway key. Never deploy this.
"""

import os

# Fixed values the production settings read at import time. The key is for benchmarking only.
os.environ["DEBUG"] = "0"
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-not-for-production-0123456789abcdefghijkl")

from clinic.settings import *  # noqa: E402, F403
from clinic.settings import BASE_DIR, STORAGES, TEMPLATES  # noqa: E402

DEBUG = False
ROOT_URLCONF = "bench.urls"
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"  # nothing leaves a benchmark
WSGI_APPLICATION = "bench.wsgi.application"
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]

# Loopback HTTP: no TLS redirect, cookies not marked Secure.
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0

# Creating users fast; the benchmark never measures a password check.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# The pages are measured, not static files: serve them from the finders, no collectstatic step.
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = False
STATIC_ROOT = None  # nothing collected; WhiteNoise would warn about the missing directory

# The harness opens hundreds of patient links from one address to time the questionnaire POST;
# link opening is not measured, so the per-address throttle is lifted (bench/scaleout.py, which
# checks that throttle across two servers, sets BENCH_PATIENT_LINK_RATE to the production default).
PATIENT_LINK_RATE = os.environ.get("BENCH_PATIENT_LINK_RATE", "1000000/h")

# The floor view's template.
TEMPLATES = [{**TEMPLATES[0], "DIRS": [*TEMPLATES[0]["DIRS"], BASE_DIR / "bench" / "templates"]}]

EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
