"""Writes that the core makes: registering a patient with a fresh chart number."""

from django.db import IntegrityError, transaction
from django.db.models import IntegerField, Max
from django.db.models.functions import Cast, Substr

from clinic.models import Patient

CHART_PREFIX = "P"


def next_chart_number() -> str:
    highest = (
        Patient.objects.filter(chart_number__startswith=CHART_PREFIX)
        .annotate(n=Cast(Substr("chart_number", len(CHART_PREFIX) + 1), IntegerField()))
        .aggregate(m=Max("n"))["m"]
    )
    return f"{CHART_PREFIX}{(highest or 0) + 1:06d}"


def register_patient(*, patient: Patient, attempts: int = 5) -> Patient:
    """Save a new patient under the next free chart number.

    Two desks registering at the same moment may pick the same number; the unique constraint
    refuses the second, which then takes the next one.
    """
    for _ in range(attempts):
        patient.chart_number = next_chart_number()
        try:
            with transaction.atomic():
                patient.save(force_insert=True)
            return patient
        except IntegrityError:
            patient.pk = None
            continue
    raise IntegrityError("Could not allocate a chart number; please try again.")
