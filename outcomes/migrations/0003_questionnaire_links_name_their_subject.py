"""Questionnaire links made before PatientLink.subject_type existed name their questionnaire's type."""

from django.db import migrations


def name_the_subject(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    PatientLink = apps.get_model("clinic", "PatientLink")
    links = PatientLink.objects.filter(purpose="questionnaire", subject_id__isnull=False, subject_type__isnull=True)
    if links.exists():
        questionnaire, _ = ContentType.objects.get_or_create(app_label="outcomes", model="response")
        links.update(subject_type=questionnaire)


class Migration(migrations.Migration):
    dependencies = [
        ("outcomes", "0002_response_answered_on"),
        ("clinic", "0005_patientlink_subject"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(name_the_subject, migrations.RunPython.noop)]
