# The clinic app in a container: gunicorn with deploy/gunicorn.conf.py, as a non-root user, the static files
# collected at build. deploy/compose.yaml runs it with PostgreSQL, Redis and the periodic jobs.
#   docker build -t clinic .
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PATH=/venv/bin:$PATH

# The production lock only (no test tools), every file checked against its hash.
COPY requirements.txt /tmp/requirements.txt
RUN python -m venv /venv \
    && /venv/bin/pip install --require-hashes --no-deps -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

RUN useradd --system --uid 10001 --user-group --home-dir /app --shell /usr/sbin/nologin clinic
WORKDIR /app
COPY --chown=root:root . /app

# The settings need a key to load; this one exists only in this build step and is never the app's.
RUN SECRET_KEY=collectstatic-only-not-a-runtime-key python manage.py collectstatic --no-input \
    && python -m compileall -q /app

USER clinic
# gunicorn's control socket (gunicornc) where the clinic user may write.
ENV GUNICORN_BIND=0.0.0.0:8000 XDG_RUNTIME_DIR=/tmp
EXPOSE 8000
CMD ["gunicorn", "clinic.wsgi", "-c", "deploy/gunicorn.conf.py"]
