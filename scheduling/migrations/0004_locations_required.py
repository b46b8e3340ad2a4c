"""The second step of the locations (0003): required columns, and each location's beds in place of the
settings row's one figure. A bed is unique per location and quarter hour, no longer clinic-wide."""

from django.db import migrations, models
from django.db.migrations.exceptions import IrreversibleError
from django.db.models import Count
import django.db.models.deletion


def refuse_shared_beds(apps, schema_editor):
    """Undone, the beds are one clinic's again (unique per quarter hour, not per location): refused, with the
    reason, while two locations hold the same bed number at the same time."""
    Slot = apps.get_model("scheduling", "AppointmentSlot")
    shared = (
        Slot.objects.values("slot", "place").annotate(n=Count("pk")).filter(n__gt=1).order_by("slot", "place")
    )
    if first := shared.first():
        count = shared.count()
        raise IrreversibleError(
            f"Cannot undo the locations: the same bed is booked at two or more locations at once in {count} "
            f"quarter hour{'s' if count != 1 else ''} (the first at {first['slot']:%Y-%m-%d %H:%M} UTC, bed "
            f"{first['place']}). One clinic's beds cannot hold them: cancel or move those appointments first."
        )


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
        # Undone first: before the clinic-wide bed constraint comes back.
        migrations.RunPython(migrations.RunPython.noop, refuse_shared_beds),
    ]
