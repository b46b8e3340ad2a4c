"""The audit trail is append-only in the database itself, whatever code runs against it.

PostgreSQL refuses UPDATE and DELETE on audit entries. SQLite refuses UPDATE; DELETE stays possible
there only because the test suite empties tables between browser tests with DELETE.
"""

from django.db import migrations

POSTGRES = [
    """
    CREATE OR REPLACE FUNCTION clinic_audit_append_only() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION 'The audit trail is append-only: entries cannot be changed or deleted.';
    END;
    $$ LANGUAGE plpgsql;
    """,
    """
    CREATE TRIGGER auditlog_logentry_append_only BEFORE UPDATE OR DELETE ON auditlog_logentry
    FOR EACH ROW EXECUTE FUNCTION clinic_audit_append_only();
    """,
]
POSTGRES_REVERSE = [
    "DROP TRIGGER IF EXISTS auditlog_logentry_append_only ON auditlog_logentry;",
    "DROP FUNCTION IF EXISTS clinic_audit_append_only();",
]
SQLITE = [
    """
    CREATE TRIGGER auditlog_logentry_append_only BEFORE UPDATE ON auditlog_logentry
    BEGIN SELECT RAISE(ABORT, 'The audit trail is append-only: entries cannot be changed.'); END;
    """
]
SQLITE_REVERSE = ["DROP TRIGGER IF EXISTS auditlog_logentry_append_only;"]


def forwards(apps, schema_editor):
    statements = POSTGRES if schema_editor.connection.vendor == "postgresql" else SQLITE
    for sql in statements:
        schema_editor.execute(sql)


def backwards(apps, schema_editor):
    statements = POSTGRES_REVERSE if schema_editor.connection.vendor == "postgresql" else SQLITE_REVERSE
    for sql in statements:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("clinic", "0002_patientlink"), ("auditlog", "0017_add_actor_email")]
    operations = [migrations.RunPython(forwards, backwards)]
