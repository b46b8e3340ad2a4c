"""The patient's names as the search compares them (folded: no accents, apostrophes or case), filled in for
every existing patient, with the prefix indexes the search uses on PostgreSQL (as 0004's)."""

import re
import unicodedata

from django.db import migrations, models

SILENT = str.maketrans("", "", "'’‘`´.")
SPELLED = str.maketrans({"ø": "o", "æ": "ae", "đ": "d", "ł": "l", "ı": "i"})
INDEXES = {
    "patient_family_key_idx": "family_key varchar_pattern_ops",
    "patient_given_key_idx": "given_key varchar_pattern_ops",
}


def fold(text):
    # A frozen copy of clinic.search.fold as it was when this migration was written.
    decomposed = unicodedata.normalize("NFKD", text or "")
    letters = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold().translate(SILENT)
    return " ".join(re.sub(r"[^\w]+", " ", letters.translate(SPELLED)).split())


def fill(apps, schema_editor):
    Patient = apps.get_model("clinic", "Patient")
    patients = list(Patient.objects.only("pk", "family_name", "given_name"))
    for patient in patients:
        patient.family_key, patient.given_key = fold(patient.family_name), fold(patient.given_name)
    Patient.objects.bulk_update(patients, ["family_key", "given_key"], batch_size=1000)
    if schema_editor.connection.vendor == "postgresql":
        for name, expression in INDEXES.items():
            schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON clinic_patient ({expression})")


def unfill(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name in INDEXES:
            schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("clinic", "0005_patientlink_subject")]

    operations = [
        migrations.AddField(
            model_name="patient",
            name="family_key",
            field=models.CharField(blank=True, editable=False, max_length=100),
        ),
        migrations.AddField(
            model_name="patient",
            name="given_key",
            field=models.CharField(blank=True, editable=False, max_length=100),
        ),
        migrations.RunPython(fill, unfill),
    ]
