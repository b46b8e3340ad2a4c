"""Writes that the core makes: registering a patient with a fresh chart number; adding a location."""

from django.db import IntegrityError, transaction
from django.db.models import IntegerField, Max
from django.db.models.functions import Cast, Substr

from clinic.models import Location, Patient, StaffProfile

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


@transaction.atomic
def add_location(*, location: Location) -> Location:
    """Save a new location. When it is the clinic's second, everyone active who works at no location yet is
    given the first: until now they all worked at the one clinic, and from now on a person with no location
    sees no patient (clinic.locations). Not those who may see every location (the manager), who without a
    location of their own see the whole group. Each profile made or changed has its audit entry."""
    from django.contrib.auth import get_user_model

    first = Location.objects.order_by("pk").first()
    location.save()
    if first is None or Location.objects.count() != 2:
        return location
    nowhere = get_user_model().objects.filter(is_active=True, is_superuser=False)
    nowhere = nowhere.exclude(staff_profile__locations__isnull=False)
    for user in nowhere:
        if user.has_perm("clinic.view_all_locations"):
            continue
        profile, _ = StaffProfile.objects.get_or_create(user=user)
        profile.locations.add(first)
    return location
