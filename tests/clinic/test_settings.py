import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from clinic.env import env_bool, env_int, env_list

ROOT = Path(__file__).resolve().parents[2]


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DEBUG", "SECRET_KEY", "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "clinic.settings", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


PRODUCTION = {
    "ALLOWED_HOSTS": "clinic.example",
    "CACHE_URL": "redis://127.0.0.1:6379/1",
    "CLINIC_ALERT_EMAILS": "oncall@clinic.example",
    "SITE_URL": "https://clinic.example",
}


def test_production_settings_pass_check_deploy_with_no_warnings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", SECRET_KEY=secrets.token_urlsafe(50), **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize(
    ("missing", "warning"),
    [("CACHE_URL", "clinic.W001"), ("CLINIC_ALERT_EMAILS", "clinic.E001"), ("SITE_URL", "clinic.E002")],
)
def test_check_deploy_refuses_what_would_fail_a_clinic(missing, warning):
    env = {key: value for key, value in PRODUCTION.items() if key != missing}
    result = manage("check", "--deploy", "--fail-level", "WARNING", SECRET_KEY=secrets.token_urlsafe(50), **env)
    assert result.returncode != 0 and warning in result.stderr + result.stdout


def test_production_refuses_the_console_email_backend():
    result = manage(
        "check",
        SECRET_KEY=secrets.token_urlsafe(50),
        EMAIL_BACKEND="django.core.mail.backends.console.EmailBackend",
        **PRODUCTION,
    )
    assert result.returncode != 0
    assert "writes patients' names and working links to the log" in result.stderr


@pytest.mark.parametrize("count", ["-1", "two"])
def test_a_bad_proxy_count_fails_loudly(count):
    result = manage("check", DEBUG="1", TRUSTED_PROXY_COUNT=count)
    assert result.returncode != 0 and "TRUSTED_PROXY_COUNT" in result.stderr


def test_production_refuses_to_start_without_a_secret_key():
    result = manage("check")
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_production_refuses_the_development_key():
    result = manage("check", SECRET_KEY="dev-only-insecure-key-never-use-in-production")
    assert result.returncode != 0
    assert "development key" in result.stderr


def test_debug_mode_runs_with_the_development_key():
    result = manage("check", DEBUG="1")
    assert result.returncode == 0, result.stderr


def test_a_typo_in_debug_fails_loudly():
    result = manage("check", DEBUG="ture")
    assert result.returncode != 0
    assert "DEBUG='ture' is not a boolean" in result.stderr


@pytest.mark.parametrize(("raw", "expected"), [("1", True), ("yes", True), ("ON", True), ("0", False), ("", False)])
def test_env_bool(monkeypatch, raw, expected):
    monkeypatch.setenv("X_FLAG", raw)
    assert env_bool("X_FLAG") is expected


def test_env_bool_default_when_unset(monkeypatch):
    monkeypatch.delenv("X_FLAG", raising=False)
    assert env_bool("X_FLAG", default=True) is True


def test_env_int_rejects_words(monkeypatch):
    monkeypatch.setenv("X_NUM", "ten")
    with pytest.raises(ImproperlyConfigured, match="X_NUM='ten' is not a whole number"):
        env_int("X_NUM", 1)


def test_env_list_splits_and_trims(monkeypatch):
    monkeypatch.setenv("X_LIST", " a.example, b.example ,,")
    assert env_list("X_LIST") == ["a.example", "b.example"]


def test_database_url_selects_the_engine():
    import dj_database_url

    assert dj_database_url.parse("postgres://postgres@127.0.0.1:5432/clinic")["ENGINE"] == (
        "django.db.backends.postgresql"
    )


def test_prepared_statements_can_be_turned_off_for_a_transaction_pooler():
    """Settings only (no connection is made), so both databases' runs check it."""
    show = "from django.conf import settings; print(settings.DATABASES['default'].get('OPTIONS', {}))"
    postgres = {"DEBUG": "1", "DATABASE_URL": "postgres://clinic@127.0.0.1:5432/clinic"}
    on = manage("shell", "-c", show, **postgres)
    off = manage("shell", "-c", show, **postgres, DB_PREPARE_THRESHOLD="0")
    assert on.stdout.strip().splitlines()[-1] == "{'server_side_binding': True, 'prepare_threshold': 2}", on.stderr
    assert off.stdout.strip().splitlines()[-1] == "{}", off.stderr
