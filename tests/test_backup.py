"""The documented backup procedure works: pg_dump, restore into a fresh database, same rows (README)."""

import shutil
import subprocess
import uuid

import psycopg
import pytest
from django.db import connection

from tests.factories import SessionFactory, TreatmentPlanFactory

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the backup procedure is for PostgreSQL"),
    pytest.mark.skipif(not shutil.which("pg_dump"), reason="pg_dump is not installed"),
]
TABLES = ["clinic_patient", "intake_intake", "treatments_session", "treatments_sessionpoint", "auditlog_logentry"]


def libpq_args(settings_dict: dict, name: str) -> list[str]:
    args = ["--host", settings_dict["HOST"] or "localhost", "--username", settings_dict["USER"] or "postgres"]
    return [*args, "--port", str(settings_dict["PORT"] or 5432), "--dbname", name]


def table_counts(conninfo: str) -> dict[str, int]:
    with psycopg.connect(conninfo) as conn:
        return {table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in TABLES}  # noqa: S608


@pytest.mark.django_db(transaction=True)
def test_dump_and_restore_into_a_fresh_database(acupuncturist, tmp_path):
    plan = TreatmentPlanFactory(practitioner=acupuncturist)
    for _ in range(3):
        SessionFactory(plan=plan, signed=True)
    db = connection.settings_dict
    source = db["NAME"]
    copy = f"restore_check_{uuid.uuid4().hex[:8]}"
    dump = tmp_path / "clinic.dump"
    base = f"host={db['HOST'] or 'localhost'} port={db['PORT'] or 5432} user={db['USER'] or 'postgres'}"
    subprocess.run(["pg_dump", "--format=custom", "--file", str(dump), *libpq_args(db, source)], check=True)
    with psycopg.connect(f"{base} dbname=postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{copy}"')
    try:
        subprocess.run(["pg_restore", "--no-owner", *libpq_args(db, copy), str(dump)], check=True)
        original, restored = table_counts(f"{base} dbname={source}"), table_counts(f"{base} dbname={copy}")
        assert restored == original
        assert restored["treatments_session"] == 3
    finally:
        with psycopg.connect(f"{base} dbname=postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{copy}"')


ROOT = __import__("pathlib").Path(__file__).resolve().parents[1]


def run_manage(*args: str, database_url: str) -> subprocess.CompletedProcess:
    import os
    import sys

    env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE"}}
    env |= {"DATABASE_URL": database_url, "DEBUG": "1", "DJANGO_SETTINGS_MODULE": "clinic.settings"}
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True)


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(not shutil.which("psql"), reason="psql is not installed")
def test_two_roles_restore_as_the_readme_says_and_the_app_role_cannot_undo_the_audit_trail(acupuncturist, tmp_path):
    """The production guide end to end: an owner that migrates and restores, an app role that only works.

    Dump, create the database for the owner, restore as the owner, apply deploy/postgres-roles.sql, then as
    the app role: the migration check passes, patient data is read and written, audit entries are added;
    and the audit trail cannot be truncated, altered, its trigger dropped or disabled, or an entry changed.
    """
    SessionFactory(plan=TreatmentPlanFactory(practitioner=acupuncturist), signed=True)
    db = connection.settings_dict
    suffix = uuid.uuid4().hex[:8]
    owner, app, copy = f"clinic_owner_{suffix}", f"clinic_app_{suffix}", f"clinic_restored_{suffix}"
    host, port, user = db["HOST"] or "localhost", str(db["PORT"] or 5432), db["USER"] or "postgres"
    base = f"host={host} port={port} user={user}"
    dump = tmp_path / "clinic.dump"
    subprocess.run(["pg_dump", "--format=custom", "--file", str(dump), *libpq_args(db, db["NAME"])], check=True)
    with psycopg.connect(f"{base} dbname=postgres", autocommit=True) as admin:
        admin.execute(f'CREATE ROLE "{owner}" NOLOGIN')
        admin.execute(f'CREATE ROLE "{app}" LOGIN')
        admin.execute(f'CREATE DATABASE "{copy}" OWNER "{owner}"')
    try:
        subprocess.run(["pg_restore", "--no-owner", f"--role={owner}", *libpq_args(db, copy), str(dump)], check=True)
        grants = [
            "psql",
            "-v",
            f"app={app}",
            "-v",
            f"owner={owner}",
            "-q",
            "-f",
            str(ROOT / "deploy/postgres-roles.sql"),
        ]
        subprocess.run([*grants, *libpq_args(db, copy)], check=True, capture_output=True)
        app_url = f"postgres://{app}@{host}:{port}/{copy}"
        checked = run_manage("migrate", "--check", database_url=app_url)
        assert checked.returncode == 0, checked.stdout + checked.stderr
        # The deployment check passes as the app role, and refuses a role that owns the audit trail.
        deploy = run_manage("check", "--deploy", "--database", "default", database_url=app_url)
        assert "clinic.E003" not in deploy.stdout + deploy.stderr
        owner_url = f"postgres://{user}@{host}:{port}/{db['NAME']}"  # the suite's own database, which it owns
        assert "clinic.E003" in run_manage("check", "--deploy", "--database", "default", database_url=owner_url).stderr
        with psycopg.connect(f"host={host} port={port} user={app} dbname={copy}", autocommit=True) as conn:
            assert conn.execute("SELECT count(*) FROM treatments_session").fetchone()[0] == 1
            conn.execute("UPDATE clinic_patient SET city = 'Springfield'")
            conn.execute(
                "INSERT INTO auditlog_logentry (content_type_id, object_pk, object_repr, action, changes_text,"
                " timestamp, additional_data, serialized_data, changes, actor_email)"
                " SELECT id, '', 'check', 3, '', now(), '{}', NULL, NULL, NULL FROM django_content_type LIMIT 1"
            )
            refused = [
                "TRUNCATE auditlog_logentry",
                "ALTER TABLE auditlog_logentry DISABLE TRIGGER ALL",
                "DROP TRIGGER auditlog_logentry_append_only ON auditlog_logentry",
                "DROP TABLE auditlog_logentry",
                "UPDATE auditlog_logentry SET object_repr = 'tampered'",
                "DELETE FROM auditlog_logentry",
                "TRUNCATE clinic_patient CASCADE",
                "INSERT INTO django_migrations (app, name, applied) VALUES ('x', 'y', now())",
            ]
            for statement in refused:
                with pytest.raises(psycopg.errors.InsufficientPrivilege):
                    conn.execute(statement)
    finally:
        with psycopg.connect(f"{base} dbname=postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{copy}"')
            admin.execute(f'DROP ROLE IF EXISTS "{app}"')
            admin.execute(f'DROP ROLE IF EXISTS "{owner}"')
