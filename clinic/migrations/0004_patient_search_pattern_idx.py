"""Indexes the registry search can use on PostgreSQL.

`istartswith` and `iexact` compile to `UPPER(col) LIKE UPPER('smi%')` and `UPPER(col) = ...`.
A LIKE prefix uses a b-tree index only under the C collation or with a pattern operator class,
so these indexes carry `varchar_pattern_ops`, whatever the database's collation. SQLite (a
single small clinic) scans the table, which is fast at its size; there this migration does nothing.
"""

from django.db import migrations

INDEXES = {
    "patient_family_upper_idx": "UPPER(family_name) varchar_pattern_ops",
    "patient_given_upper_idx": "UPPER(given_name) varchar_pattern_ops",
    "patient_chart_upper_idx": "UPPER(chart_number) varchar_pattern_ops",
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name, expression in INDEXES.items():
            schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON clinic_patient ({expression})")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name in INDEXES:
            schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("clinic", "0003_audit_append_only")]

    operations = [migrations.RunPython(create, drop)]
