"""WSGI entry point for `gunicorn bench.wsgi` (the --http mode of bench/run.py)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")

application = get_wsgi_application()
