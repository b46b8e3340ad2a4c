"""Locations (docs/architecture.md, "Locations"): the model, a patient's home location, where staff work.

One location is made from the clinic's settings and given to every patient and every staff profile, so a
clinic that never adds a second sees nothing change. 0008 then makes the home location required (its own
transaction: PostgreSQL refuses to alter a table with the fill's deferred checks pending). Reversible: going
back drops the columns and the table.
"""

from django.conf import settings

import clinic.models
import django.core.validators
import django.db.models.deletion
from django.db import migrations, models


def create_default(apps, schema_editor):
    Location = apps.get_model("clinic", "Location")
    Patient = apps.get_model("clinic", "Patient")
    StaffProfile = apps.get_model("clinic", "StaffProfile")
    location, _ = Location.objects.get_or_create(
        name=settings.CLINIC_NAME or "Main clinic",
        # No address or phone of its own: the clinic's settings stay the ones printed until a manager sets them.
        defaults={"time_zone": settings.TIME_ZONE},
    )
    Patient.objects.update(location=location)
    Through = StaffProfile.locations.through
    Through.objects.bulk_create(
        [Through(staffprofile_id=pk, location_id=location.pk) for pk in StaffProfile.objects.values_list("pk", flat=True)]
    )


class Migration(migrations.Migration):

    dependencies = [
        ('clinic', '0006_patient_search_keys'),
    ]

    operations = [
        migrations.CreateModel(
            name='Location',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=100, unique=True)),
                ('address', models.CharField(blank=True, help_text="As printed on letters, superbills and patients' emails; blank: the clinic's (CLINIC_ADDRESS).", max_length=200)),
                ('phone', models.CharField(blank=True, help_text="Blank: the clinic's (CLINIC_PHONE).", max_length=30)),
                ('time_zone', models.CharField(default=clinic.models.default_time_zone, help_text="The zone of the clinic's clock, for example America/Chicago: opening hours and visit times are in it.", max_length=64, validators=[clinic.models.validate_time_zone], verbose_name='time zone')),
                ('beds', models.PositiveSmallIntegerField(default=4, help_text='How many patients this location can treat at the same time.', validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(40)], verbose_name='treatment beds')),
            ],
            options={
                'ordering': ['name'],
                'permissions': [('view_all_locations', "Can switch to every location's patients")],
                'constraints': [models.CheckConstraint(condition=models.Q(('beds__isnull', True), models.Q(('beds__gte', 1), ('beds__lte', 40)), _connector='OR'), name='location_beds_range'), models.CheckConstraint(condition=models.Q(('name', ''), _negated=True), name='location_name_not_blank')],
            },
        ),
        migrations.AddField(
            model_name='patient',
            name='location',
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name='patients', to='clinic.location', verbose_name='home location'),
        ),
        migrations.AddField(
            model_name='staffprofile',
            name='locations',
            field=models.ManyToManyField(blank=True, help_text='Where this person works: they see these patients.', related_name='staff', to='clinic.location'),
        ),
        migrations.RunPython(create_default, migrations.RunPython.noop),
    ]
