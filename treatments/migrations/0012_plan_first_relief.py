"""Time to first relief on the plan (outcomes.relief.first_relief), as derived columns of its outcome summary.

Existing plans are marked out of date (`outcome_stale`), so the live rule fills the new columns in before
the report, its CSV or the hourly reminder run reads them: no copy of the rule here.
"""

from django.db import migrations, models


def mark_stale(apps, schema_editor):
    TreatmentPlan = apps.get_model("treatments", "TreatmentPlan")
    TreatmentPlan.objects.update(outcome_stale=True)


class Migration(migrations.Migration):
    dependencies = [
        ("treatments", "0011_payments_recorded"),
    ]

    operations = [
        migrations.AddField(
            model_name="treatmentplan",
            name="first_relief_days",
            field=models.PositiveSmallIntegerField(editable=False, null=True, verbose_name="days to first relief"),
        ),
        migrations.AddField(
            model_name="treatmentplan",
            name="tuina_first_session",
            field=models.BooleanField(editable=False, null=True, verbose_name="Tui Na at the first session"),
        ),
        migrations.RunPython(mark_stale, migrations.RunPython.noop),
    ]
