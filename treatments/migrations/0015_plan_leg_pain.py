"""Leg pain at the baseline and at week 8 on the plan, as derived columns of its outcome summary (the
multi-site report's leg pain change). Existing plans are marked out of date (`outcome_stale`), so the live rule
fills the new columns in before anything reads them, as 0012 did: no copy of the rule here.
"""

from django.db import migrations, models


def mark_stale(apps, schema_editor):
    apps.get_model("treatments", "TreatmentPlan").objects.update(outcome_stale=True)


class Migration(migrations.Migration):

    dependencies = [
        ('treatments', '0014_locations_required'),
    ]

    operations = [
        migrations.AddField(
            model_name='treatmentplan',
            name='baseline_leg_pain',
            field=models.PositiveSmallIntegerField(editable=False, null=True, verbose_name='baseline leg pain (0-10)'),
        ),
        migrations.AddField(
            model_name='treatmentplan',
            name='week8_leg_pain',
            field=models.PositiveSmallIntegerField(editable=False, null=True, verbose_name='week-8 leg pain (0-10)'),
        ),
        migrations.RunPython(mark_stale, migrations.RunPython.noop),
    ]
