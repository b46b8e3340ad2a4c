"""The Patient Global Impression of Change in the weekly questionnaire (issue 18): 1-7, asked from week 1 on."""

import django.core.validators
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("outcomes", "0005_one_source"),
    ]

    operations = [
        migrations.AddField(
            model_name="questionnaire",
            name="pgic",
            field=models.PositiveSmallIntegerField(
                blank=True,
                choices=[
                    (1, "Very much improved"),
                    (2, "Much improved"),
                    (3, "Minimally improved"),
                    (4, "No change"),
                    (5, "Minimally worse"),
                    (6, "Much worse"),
                    (7, "Very much worse"),
                ],
                null=True,
                validators=[
                    django.core.validators.MinValueValidator(1),
                    django.core.validators.MaxValueValidator(7),
                ],
                verbose_name="global impression of change (PGIC)",
            ),
        ),
        migrations.AddConstraint(
            model_name="questionnaire",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("pgic__isnull", True), models.Q(("pgic__gte", 1), ("pgic__lte", 7)), _connector="OR"
                ),
                name="response_pgic_range",
            ),
        ),
    ]
