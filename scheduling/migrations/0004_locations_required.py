"""The second step of the locations (0003): required columns, and each location's beds in place of the
settings row's one figure. A bed is unique per location and quarter hour, no longer clinic-wide."""

from django.db import migrations, models
import django.db.models.deletion


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0003_locations")]

    operations = [
        migrations.AlterField(
            model_name="appointment",
            name="location",
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+", to="clinic.location"),
        ),
        migrations.AlterField(
            model_name="appointmentslot",
            name="location",
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="+", to="clinic.location"),
        ),
        migrations.AlterField(
            model_name="openinghours",
            name="location",
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="+", to="clinic.location"),
        ),
        migrations.AlterModelOptions(
            name='openinghours',
            options={'ordering': ['location', 'weekday', 'opens'], 'verbose_name_plural': 'opening hours'},
        ),
        migrations.RemoveConstraint(
            model_name='appointmentslot',
            name='slot_place_once',
        ),
        migrations.RemoveConstraint(
            model_name='schedulesettings',
            name='schedulesettings_beds_range',
        ),
        migrations.RemoveField(
            model_name='schedulesettings',
            name='beds',
        ),
        migrations.AddIndex(
            model_name='appointment',
            index=models.Index(fields=['location', 'start'], name='appointment_location_idx'),
        ),
        migrations.AddConstraint(
            model_name='appointmentslot',
            constraint=models.UniqueConstraint(fields=('location', 'slot', 'place'), name='slot_location_place_once'),
        ),
    ]
