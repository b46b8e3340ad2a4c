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
                f"the app knows one, and the managers {settings.ALERT_ESCALATE_MINUTES} minutes later.",
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


@register(Tags.security, Tags.database, deploy=True)
def app_role_does_not_own_the_audit_trail(app_configs, databases=None, **kwargs):
    """The role the app connects as must not own the audit table: an owner can truncate it, drop its
    trigger or switch the trigger off (deploy/postgres-roles.sql and the README's two roles)."""
    from django.db import connection

    if connection.vendor != "postgresql" or not databases:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tableowner = current_user FROM pg_tables WHERE schemaname = 'public' AND tablename = %s",
            ["auditlog_logentry"],
        )
        row = cursor.fetchone()
    if not row or not row[0]:
        return []
    return [
        Error(
            "The app's database role owns the audit trail table: it could truncate it or drop its trigger.",
            hint="Connect the app as its own role (README: two database roles); on an existing database, "
            "REASSIGN OWNED BY <app role> TO <owner role> and run deploy/postgres-roles.sql.",
            id="clinic.E003",
        )
    ]
