"""Where a plan's course and each session are given: the patient's home location (clinic 0007), filled in
here; 0014 makes them required in a transaction of its own (PostgreSQL refuses to alter a table with the
fill's deferred checks pending)."""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def fill(apps, schema_editor):
    Patient = apps.get_model("clinic", "Patient")
    TreatmentPlan = apps.get_model("treatments", "TreatmentPlan")
    Session = apps.get_model("treatments", "Session")
    home = Patient.objects.filter(pk=OuterRef("patient_id")).values("location_id")[:1]
    TreatmentPlan.objects.update(location=Subquery(home))
    plan_location = TreatmentPlan.objects.filter(pk=OuterRef("plan_id")).values("location_id")[:1]
    Session.objects.update(location=Subquery(plan_location))


class Migration(migrations.Migration):

    dependencies = [
        ('clinic', '0008_locations_required'),
        ('treatments', '0012_plan_first_relief'),
    ]

    operations = [
        migrations.AddField(
            model_name='session',
            name='location',
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='clinic.location'),
        ),
        migrations.AddField(
            model_name='treatmentplan',
            name='location',
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='clinic.location'),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
