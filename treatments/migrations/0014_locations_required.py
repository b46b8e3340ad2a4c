"""Every plan and session has its location (0013 filled them in)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("treatments", "0013_locations")]

    operations = [
        migrations.AlterField(
            model_name=model,
            name="location",
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+", to="clinic.location"),
        )
        for model in ("treatmentplan", "session")
    ]
