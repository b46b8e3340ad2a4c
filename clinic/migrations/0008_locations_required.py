"""Every patient has a home location (0007 filled it in); a new one gets the first location unless named
(`Patient.save`)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("clinic", "0007_locations")]

    operations = [
        migrations.AlterField(
            model_name="patient",
            name="location",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="patients",
                to="clinic.location",
                verbose_name="home location",
            ),
        ),
    ]
