from django.conf import settings
from django.utils.functional import SimpleLazyObject

from clinic.locations import NO_LOCATION_MESSAGE, contact_details, scope_of
from clinic.phones import tel_uri


def clinic(request):
    return {**_clinic(request), **_patients_location(request)}


def _patients_location(request) -> dict:
    """On a patient's page, the name, phone and address of their own location (set by clinic.links)."""
    location = getattr(request, "patient_location", None)
    if location is None:
        return {}
    where = contact_details(location)
    return {
        "CLINIC_NAME": where["name"],
        "CLINIC_PHONE": where["phone"],
        "CLINIC_ADDRESS": where["address"],
        "CLINIC_TEL": tel_uri(where["phone"]),
    }


def _clinic(request) -> dict:
    return {
        "CLINIC_NAME": settings.CLINIC_NAME,
        "CLINIC_PHONE": settings.CLINIC_PHONE,
        "CLINIC_EMAIL": settings.CLINIC_EMAIL,
        "CLINIC_ADDRESS": settings.CLINIC_ADDRESS,
        "CLINIC_TEL": tel_uri(settings.CLINIC_PHONE),
        "EMERGENCY_NUMBER": settings.EMERGENCY_NUMBER,
        "EMERGENCY_TEL": tel_uri(settings.EMERGENCY_NUMBER),
        "CRISIS_LINE": settings.CRISIS_LINE,
        "CRISIS_LINE_NAME": settings.CRISIS_LINE_NAME,
        "CRISIS_TEL": tel_uri(settings.CRISIS_LINE),
        # Read only by pages that name locations (one query, kept for the request).
        "location_scope": SimpleLazyObject(lambda: scope_of(getattr(request, "user", None))),
        "NO_LOCATION_MESSAGE": NO_LOCATION_MESSAGE,
    }
