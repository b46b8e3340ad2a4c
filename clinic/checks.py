"""Deployment checks (`manage.py check --deploy`): settings that work on a laptop but fail a clinic."""

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register


@register(Tags.security, deploy=True)
def shared_cache(app_configs, **kwargs):
    if settings.CACHE_URL:
        return []
    return [
        Warning(
            "CACHE_URL is not set: patient-link rate limits are counted in each worker's own memory.",
            hint="Set CACHE_URL=redis://... whenever gunicorn runs more than one worker or there is more than "
            "one app server, so every worker counts the same attempts.",
            id="clinic.W001",
        )
    ]


@register(Tags.security, deploy=True)
def alert_addresses(app_configs, **kwargs):
    """A patient who reports a warning sign is told the clinic has been alerted: someone must be."""
    errors = []
    if not settings.CLINIC_ALERT_EMAILS:
        errors.append(
            Error(
                "CLINIC_ALERT_EMAILS is empty: an urgent alert would reach only the patient's practitioner, when "
                "the app knows one, and the managers an hour later.",
                hint="Set CLINIC_ALERT_EMAILS to the on-call addresses that must hear of a red flag at once.",
                id="clinic.E001",
            )
        )
    if any(host in settings.SITE_URL for host in ("://127.0.0.1", "://localhost")):
        errors.append(
            Error(
                f"SITE_URL is {settings.SITE_URL}: alert and reminder emails would link to this machine only.",
                hint="Set SITE_URL to the clinic's public address, e.g. https://clinic.example.org.",
                id="clinic.E002",
            )
        )
    return errors
