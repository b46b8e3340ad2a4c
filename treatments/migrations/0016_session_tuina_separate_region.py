"""Whether the practitioner recorded Tui Na given to an anatomic region separate from the needling: the only
ground for modifier XS on 97140 beside acupuncture. Every existing session starts unticked, signed ones
included: nothing in their record declared a separate region, so none is inferred, and a superbill printed
again bills their 97140 without a modifier, as bundled (docs/clinical-rules.md, "Billing"). A practitioner
who did treat a separate region says so in an addendum; the note itself stays as signed.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("treatments", "0015_plan_leg_pain"),
    ]

    operations = [
        migrations.AddField(
            model_name="session",
            name="tuina_separate_region",
            field=models.BooleanField(
                default=False,
                help_text="Tick only when the Tui Na regions above are apart from every region needled that day: the superbill then bills 97140 with modifier XS. Unticked, 97140 is expected to bundle into the acupuncture codes.",
                verbose_name="Tui Na to a region separate from the needling",
            ),
        ),
    ]
