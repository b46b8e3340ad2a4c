"""The schedule's settings row and the usual week's opening hours, so the first bookings (which may come
from two desks at once) never race to create them."""

from datetime import time

from django.db import migrations

DEFAULT_HOURS = [*((day, time(8), time(19)) for day in range(5)), (5, time(9), time(13))]


def create(apps, schema_editor):
    ScheduleSettings = apps.get_model("scheduling", "ScheduleSettings")
    OpeningHours = apps.get_model("scheduling", "OpeningHours")
    _, created = ScheduleSettings.objects.get_or_create(pk=1)
    if created and not OpeningHours.objects.exists():
        OpeningHours.objects.bulk_create(OpeningHours(weekday=d, opens=o, closes=c) for d, o, c in DEFAULT_HOURS)


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0001_initial")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
