"""Each location's beds, opening hours, appointments and slot rows (docs/architecture.md, "Locations").

The first of two steps: the columns, filled from what they belong to (an appointment at its plan's location,
else its patient's home location; the opening hours and the clinic's beds to the first location). The second
(0004) makes them required and moves the beds off the settings row, in a transaction of its own: PostgreSQL
refuses to alter a table with the fills' deferred checks pending.
"""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def fill(apps, schema_editor):
    Location = apps.get_model("clinic", "Location")
    Appointment = apps.get_model("scheduling", "Appointment")
    AppointmentSlot = apps.get_model("scheduling", "AppointmentSlot")
    OpeningHours = apps.get_model("scheduling", "OpeningHours")
    ScheduleSettings = apps.get_model("scheduling", "ScheduleSettings")
    TreatmentPlan = apps.get_model("treatments", "TreatmentPlan")
    Patient = apps.get_model("clinic", "Patient")
    first = Location.objects.order_by("pk").first()
    if first is None:
        return  # no location: an empty database (clinic 0007 made one for any patient)
    settings_row = ScheduleSettings.objects.filter(pk=1).first()
    if settings_row is not None:
        Location.objects.filter(pk=first.pk).update(beds=settings_row.beds)
    OpeningHours.objects.update(location=first.pk)
    plan_location = TreatmentPlan.objects.filter(pk=OuterRef("plan_id")).values("location_id")[:1]
    Appointment.objects.filter(plan__isnull=False).update(location=Subquery(plan_location))
    home = Patient.objects.filter(pk=OuterRef("patient_id")).values("location_id")[:1]
    Appointment.objects.filter(plan__isnull=True).update(location=Subquery(home))
    visit_location = Appointment.objects.filter(pk=OuterRef("appointment_id")).values("location_id")[:1]
    AppointmentSlot.objects.update(location=Subquery(visit_location))


def unfill(apps, schema_editor):
    """Back to one clinic: the settings row takes the first location's beds again."""
    Location = apps.get_model("clinic", "Location")
    ScheduleSettings = apps.get_model("scheduling", "ScheduleSettings")
    first = Location.objects.order_by("pk").first()
    if first is not None:
        ScheduleSettings.objects.filter(pk=1).update(beds=first.beds)


class Migration(migrations.Migration):
    dependencies = [
        ("clinic", "0008_locations_required"),
        ("scheduling", "0002_default_settings"),
        ("treatments", "0014_locations_required"),
    ]

    operations = [
        *(
            migrations.AddField(
                model_name=model,
                name="location",
                field=models.ForeignKey(null=True, on_delete=on_delete, related_name="+", to="clinic.location"),
            )
            for model, on_delete in (
                ("appointment", django.db.models.deletion.PROTECT),
                ("appointmentslot", django.db.models.deletion.CASCADE),
                ("openinghours", django.db.models.deletion.CASCADE),
            )
        ),
        migrations.RunPython(fill, unfill),
    ]
