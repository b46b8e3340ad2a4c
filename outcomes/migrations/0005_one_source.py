"""One Source for intakes and questionnaires (clinic.fields.Source): a paper form typed in by staff is "staff"."""

from django.db import migrations, models


def paper_is_staff(apps, schema_editor):
    apps.get_model("outcomes", "Questionnaire").objects.filter(source="paper").update(source="staff")


def staff_is_paper(apps, schema_editor):
    apps.get_model("outcomes", "Questionnaire").objects.filter(source="staff").update(source="paper")


class Migration(migrations.Migration):
    dependencies = [
        ("outcomes", "0004_rename_response_questionnaire"),
    ]

    operations = [
        migrations.AlterField(
            model_name="questionnaire",
            name="source",
            field=models.CharField(
                blank=True,
                choices=[("online", "Online, by the patient"), ("staff", "Entered by staff")],
                max_length=6,
            ),
        ),
        migrations.RunPython(paper_is_staff, staff_is_paper),
    ]
