"""Record the needle re-insertions of a session: each add-on unit (+97811 / +97814) needs one.

Until now add-on units were billed from contact minutes alone. Every existing session is given the
re-insertions its minutes billed under that rule, max(timed_units(contact_minutes) - 1, 0), so
`billing.cpt_lines` and `billing.day_cpt_lines` bill it exactly as before and a superbill already
printed for an old session does not change. (For a later session of a day, billed all its units as
add-ons, the day rule counts its first unit as a new insertion, so units - 1 re-insertions give back
all its units.)

Signed sessions are updated too. Their lock is `SessionQuerySet` (and `Session.save`), Python code on
the app's model; there is no database trigger on the table. The historical model from
`apps.get_model` has a plain manager (the app's is not `use_in_migrations`), so its UPDATE is not
refused, and it sends no signal the audit trail would record.
"""

import django.core.validators
from django.conf import settings
from django.db import migrations, models
from django.db.models import Case, Value, When

# billing.timed_units as of this migration, frozen here so a later change to the rule cannot change
# what this migration wrote: a unit for each 15 minutes, the first from 8 minutes on ("8-minute rule").
UNIT_MINUTES = 15
MINIMUM_UNIT_MINUTES = 8
MAX_CONTACT_MINUTES = 240


def timed_units(minutes: int) -> int:
    if minutes < MINIMUM_UNIT_MINUTES:
        return 0
    return (minutes + UNIT_MINUTES - MINIMUM_UNIT_MINUTES) // UNIT_MINUTES


def keep_billed_add_ons(apps, schema_editor):
    Session = apps.get_model("treatments", "Session")
    by_add_ons: dict[int, list[int]] = {}
    for minutes in range(MAX_CONTACT_MINUTES + 1):
        add_ons = max(timed_units(minutes) - 1, 0)
        if add_ons:
            by_add_ons.setdefault(add_ons, []).append(minutes)
    # One UPDATE for the whole table; sessions under two units keep the default 0.
    Session.objects.using(schema_editor.connection.alias).filter(contact_minutes__gte=min(by_add_ons[1])).update(
        reinsertions=Case(
            *(
                When(contact_minutes__range=(min(minutes), max(minutes)), then=Value(add_ons))
                for add_ons, minutes in sorted(by_add_ons.items())
            ),
            default=Value(0),
            output_field=models.PositiveSmallIntegerField(),
        )
    )


class Migration(migrations.Migration):

    dependencies = [
        ('clinic', '0004_patient_search_pattern_idx'),
        ('treatments', '0007_plan_review_due_idx'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='session',
            name='reinsertions',
            field=models.PositiveSmallIntegerField(default=0, help_text='Each re-insertion after the first 15 minutes allows one additional-15-minute code.', validators=[django.core.validators.MinValueValidator(0), django.core.validators.MaxValueValidator(20)], verbose_name='needle re-insertions'),
        ),
        migrations.AddConstraint(
            model_name='session',
            constraint=models.CheckConstraint(condition=models.Q(('reinsertions__isnull', True), models.Q(('reinsertions__gte', 0), ('reinsertions__lte', 20)), _connector='OR'), name='session_reinsertions_range'),
        ),
        # Last, so no ALTER TABLE follows an UPDATE in this transaction (PostgreSQL refuses one on a
        # table with deferred trigger events pending). The values written (0-15) pass the constraint.
        migrations.RunPython(keep_billed_add_ons, migrations.RunPython.noop),
    ]
