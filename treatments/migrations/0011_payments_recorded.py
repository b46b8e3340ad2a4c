"""Payments are recorded from the superbill page: the date paid, a method from a list, who recorded it."""

from decimal import Decimal

import django.core.validators
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

METHODS = {"card", "cash", "check", "hsa", "insurance", "other"}


def fill_in(apps, schema_editor):
    Payment = apps.get_model("treatments", "Payment")
    for payment in Payment.objects.all():
        payment.paid_on = payment.received_at.date()
        method = payment.method.strip().lower()
        payment.method = method if method in METHODS else "other"
        payment.save(update_fields=["paid_on", "method"])


class Migration(migrations.Migration):
    dependencies = [
        ("treatments", "0010_plan_outcome_stale"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="payment",
            name="paid_on",
            field=models.DateField(null=True, verbose_name="date paid"),
        ),
        migrations.AddField(
            model_name="payment",
            name="recorded_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.RunPython(fill_in, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="payment",
            name="paid_on",
            field=models.DateField(verbose_name="date paid"),
        ),
        migrations.AlterField(
            model_name="payment",
            name="method",
            field=models.CharField(
                choices=[
                    ("card", "Card"),
                    ("cash", "Cash"),
                    ("check", "Check"),
                    ("hsa", "HSA / FSA card"),
                    ("insurance", "Insurance"),
                    ("other", "Other"),
                ],
                max_length=20,
            ),
        ),
        migrations.AlterField(
            model_name="payment",
            name="amount",
            field=models.DecimalField(
                decimal_places=2,
                max_digits=8,
                validators=[
                    django.core.validators.MinValueValidator(Decimal("0.01")),
                    django.core.validators.MaxValueValidator(Decimal("99999.99")),
                ],
            ),
        ),
        migrations.AlterModelOptions(name="payment", options={"ordering": ["paid_on", "id"]}),
        migrations.AddConstraint(
            model_name="payment",
            constraint=models.CheckConstraint(condition=models.Q(amount__gt=0), name="payment_amount_positive"),
        ),
    ]
