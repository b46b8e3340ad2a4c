"""Telling a person: who an alert is sent to, the channel it goes by, and escalation to the managers.

The message says only that an urgent alert needs the reader, with a staff link: no patient name and no
finding, because email and pagers are not a place for health information. The channel is a function
named by `settings.ALERT_CHANNEL`, called as `channel(to=[...], subject=..., body=...)`; email is the
default, and an SMS or pager gateway is one small function away.

Sending happens after the alert's transaction commits (`services.raise_alert`), and again from
`manage.py escalate_alerts` for any alert that could not be sent; each send locks its alert row and
records who it went to, so a second run, or a second server, sends nothing twice.
"""

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.module_loading import import_string

from clinic.locations import contact_details
from clinic.models import email_list
from clinic.roles import MANAGER
from intake.models import Alert

logger = logging.getLogger(__name__)

# An alert whose first message failed is tried again by the next run once it is this old, so a run
# never races the send that follows the alert's own commit.
RETRY_AFTER = timedelta(minutes=2)


def email_channel(*, to: list[str], subject: str, body: str) -> None:
    """The default channel: one email to every recipient (each sees the others: they are the clinic's staff)."""
    send_mail(subject, body, None, to)


def channel() -> Callable[..., None]:
    return import_string(settings.ALERT_CHANNEL)


def alert_url(alert: Alert) -> str:
    return f"{settings.SITE_URL.rstrip('/')}{reverse('intake:alert-detail', args=[alert.pk])}"


def message(alert: Alert, *, escalation: bool = False) -> tuple[str, str]:
    """Subject and body: that an urgent alert needs the reader, and where it is (the clinic, and the location of
    a group's). Nothing clinical."""
    subject = f"{contact_details(alert.patient.location)['name']}: urgent alert"
    subject += " not yet acknowledged" if escalation else ""
    body = render_to_string(
        "intake/email/alert.txt",
        {"url": alert_url(alert), "escalation": escalation, "minutes": settings.ALERT_ESCALATE_MINUTES},
    )
    return subject, body


def _unique(addresses) -> list[str]:
    """Each address once (whatever its case), in the order given; blanks dropped."""
    seen, unique = set(), []
    for address in addresses:
        if address and address.lower() not in seen:
            seen.add(address.lower())
            unique.append(address)
    return unique


def recipients(alert: Alert) -> list[str]:
    """The on-call addresses of the patient's location (the clinic's where it sets none) and the patient's
    practitioner (when known, active and with an address)."""
    practitioner = alert.practitioner
    own = [practitioner.email] if practitioner is not None and practitioner.is_active and practitioner.email else []
    on_call = email_list(alert.patient.location.alert_emails) or settings.CLINIC_ALERT_EMAILS
    return _unique([*on_call, *own])


def manager_recipients(alert: Alert) -> list[str]:
    """The managers of the patient's location and those of the whole group (who work at no location in
    particular); every manager when none of those has an address, so an escalation never goes nowhere."""
    managers = get_user_model().objects.filter(groups__name=MANAGER, is_active=True).exclude(email="").order_by("pk")
    theirs = managers.filter(
        Q(staff_profile__locations=alert.patient.location_id)
        | Q(staff_profile__isnull=True)
        | Q(staff_profile__locations__isnull=True)
    )
    return _unique(theirs.values_list("email", flat=True)) or _unique(managers.values_list("email", flat=True))


def notify(alert_id: int) -> bool:
    """Send an alert's first message, once. False when it was sent already, or could not be sent."""
    return _send_once(alert_id, escalation=False, now=timezone.now())


def escalate(*, now: datetime) -> tuple[int, int]:
    """Resend alerts whose first message failed; send the managers every alert nobody acknowledged in time.

    Returns (first messages sent, escalations sent). Idempotent: each alert is escalated once.
    """
    after = timedelta(minutes=settings.ALERT_ESCALATE_MINUTES)
    unsent = Alert.objects.open().filter(notified_at__isnull=True, opened_at__lte=now - RETRY_AFTER)
    sent = sum(notify(pk) for pk in unsent.order_by("opened_at").values_list("pk", flat=True))
    due = Alert.objects.open().filter(escalated_at__isnull=True, opened_at__lte=now - after)
    due_ids = due.order_by("opened_at").values_list("pk", flat=True)
    escalated = sum(_send_once(pk, escalation=True, now=now) for pk in due_ids)
    return sent, escalated


def _send_once(alert_id: int, *, escalation: bool, now: datetime) -> bool:
    """Lock the alert, send it (to the on-call addresses and practitioner, or to the managers) and record to
    whom, unless it was sent already or acknowledged meanwhile. A failure leaves it for the next run."""
    step = "escalated" if escalation else "notified"
    pending = {f"{step}_at__isnull": True}
    if escalation:
        pending["acknowledged_at__isnull"] = True  # someone took it meanwhile: nobody to chase
    try:
        with transaction.atomic():
            alert = (
                Alert.objects.select_for_update(of=("self",))  # the alert row only: practitioner may be null
                .select_related("practitioner", "patient__location")
                .filter(pk=alert_id, **pending)
                .first()
            )
            if alert is None:
                return False
            to = manager_recipients(alert) if escalation else recipients(alert)
            if not to:
                logger.warning(
                    "Alert %s was not sent: %s",
                    alert.pk,
                    "no active manager has an email address."
                    if escalation
                    else f"set CLINIC_ALERT_EMAILS; it waits on the dashboard and escalates to the managers after "
                    f"{settings.ALERT_ESCALATE_MINUTES} minutes.",
                )
                return False
            subject, body = message(alert, escalation=escalation)
            channel()(to=to, subject=subject, body=body)
            setattr(alert, f"{step}_at", now)
            setattr(alert, f"{step}_to", to)
            alert.save(update_fields=[f"{step}_at", f"{step}_to"])
            return True
    except Exception:
        # The alert stays unsent and on the dashboard; the escalation run tries it again.
        logger.exception("Alert %s could not be %s.", alert_id, "escalated" if escalation else "sent")
        return False
