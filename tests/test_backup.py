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
