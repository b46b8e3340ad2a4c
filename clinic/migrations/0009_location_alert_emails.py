"""Each location's urgent-alert addresses (blank: the clinic's CLINIC_ALERT_EMAILS, as before)."""

import clinic.models
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('clinic', '0008_locations_required'),
    ]

    operations = [
        migrations.AddField(
            model_name='location',
            name='alert_emails',
            field=models.CharField(blank=True, help_text="Who is told at once of a red flag or a self-harm answer of this location's patients, separated by commas (an on-call phone's email gateway, the clinic's lead). Blank: the clinic's (CLINIC_ALERT_EMAILS).", max_length=500, validators=[clinic.models.validate_email_list], verbose_name='urgent alert addresses'),
        ),
    ]
