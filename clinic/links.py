"""Patient links, the one flow every patient form uses: issue and send, open, spend, finish.

A token is 32 random bytes (256 bits) in URL-safe base64; only its SHA-256 is stored. Opening a
link exchanges the token for a short session entry scoped to that one link, and the browser is
redirected to a URL without the token, so it never sits in history, logs or a Referer header.

The core knows no app: each app declares the purpose of its links (`Purpose`, registered from its
AppConfig.ready) with the page a link lands on, how long it lasts and the email that carries it.
See docs/architecture.md, "Patient links".
"""

import hashlib
import secrets
from collections.abc import Callable
from copy import copy
from dataclasses import dataclass
from datetime import timedelta
from functools import wraps
from typing import NamedTuple

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.mail import send_mail
from django.db import models, transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.cache import never_cache

from clinic.audit import log_rows
from clinic.locations import contact_details
from clinic.models import Patient, PatientLink
from clinic.qr import qr_svg

TOKEN_BYTES = 32
SESSION_KEY = "patient_link"
# What the patient's browser keeps after submitting, so a reload shows the thank-you page again.
DONE_KEY = "patient_link_done"
SESSION_MINUTES = 60


@dataclass(frozen=True)
class Purpose:
    """What a kind of patient link is for; declared by the app whose page the patient fills in."""

    key: str  # stored in PatientLink.purpose
    label: str
    landing: str  # the URL name an opened link sends the patient to
    ttl: timedelta
    email_subject: str
    email_template: str
    done_template: str  # the thank-you page, shown again on reload
    handout: str = ""  # what the link is for, in the patient's words, on the printed handout

    def __str__(self) -> str:
        return self.key


PURPOSES: dict[str, Purpose] = {}


def register_purpose(purpose: Purpose) -> Purpose:
    PURPOSES[purpose.key] = purpose
    return purpose


def purpose_label(key: str) -> str:
    return PURPOSES[key].label if key in PURPOSES else key


class SentLink(NamedTuple):
    link: PatientLink
    url: str  # shown once to staff, to copy, print or let the patient scan
    emailed: bool


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def issue_link(
    *,
    patient: Patient,
    purpose: Purpose | str,
    created_by=None,
    subject: models.Model | None = None,
    ttl: timedelta | None = None,
) -> tuple[PatientLink, str]:
    """Create a link and return it with its raw token, which exists only in this return value.

    Earlier unused links for the same patient, purpose and subject are revoked, so only the newest
    link sent to a patient works.
    """
    purpose = PURPOSES[str(purpose)]
    now = timezone.now()
    about = {"subject_type": None, "subject_id": None}
    if subject is not None:
        about = {"subject_type": ContentType.objects.get_for_model(subject), "subject_id": subject.pk}
    older = list(PatientLink.objects.filter(patient=patient, purpose=purpose.key, **about).usable(now))
    PatientLink.objects.filter(pk__in=[link.pk for link in older]).update(revoked_at=now)
    log_rows(updated=[(link, _with(link, revoked_at=now)) for link in older])
    token = secrets.token_urlsafe(TOKEN_BYTES)
    link = PatientLink.objects.create(
        patient=patient,
        purpose=purpose.key,
        **about,
        token_hash=hash_token(token),
        created_by=created_by,
        expires_at=now + (ttl or purpose.ttl),
    )
    return link, token


@transaction.atomic
def send_link(
    *,
    patient: Patient,
    purpose: Purpose,
    build_url: Callable[[str], str],
    subject: models.Model | None = None,
    user=None,
    email: bool = True,
    context: dict | None = None,
) -> SentLink:
    """Issue a link (revoking older ones) and, when asked and the patient has an address, email it after commit."""
    link, token = issue_link(patient=patient, purpose=purpose, subject=subject, created_by=user)
    url = build_url(token)
    emailed = email and bool(patient.email)
    if emailed:
        where = contact_details(patient.location)
        body = render_to_string(
            purpose.email_template,
            {
                **(context or {}),
                "patient": patient,
                "url": url,
                "expires_at": link.expires_at,
                # The patient's own location's name and phone (the clinic's, where it has one location).
                "CLINIC_NAME": where["name"],
                "CLINIC_PHONE": where["phone"],
                "EMERGENCY_NUMBER": settings.EMERGENCY_NUMBER,
            },
        )
        subject_line = f"{where['name']}: {purpose.email_subject}"
        transaction.on_commit(lambda: send_mail(subject_line, body, None, [patient.email]))
    return SentLink(link, url, emailed)


def handout_page(request: HttpRequest, template: str, sent: SentLink, context: dict) -> HttpResponse:
    """The staff page that shows a new link once: to copy, print as a handout, or let the patient scan.

    The QR code is made here, on the server, and sent inline: the token goes to no other service. The
    page is never stored by a browser or a proxy, as it holds a working link.
    """
    page = render(
        request,
        template,
        {**context, **sent._asdict(), "qr": qr_svg(sent.url), "handout": handout_details(sent.link)},
    )
    page["Cache-Control"] = "no-store"  # the page holds a working link
    return page


def handout_details(link: PatientLink) -> dict:
    """What the printed handout says besides the link: who it is for, what it is for, until when it works (on
    the clock of the patient's location), and whom to call (the patient's location's name and phone)."""
    purpose = PURPOSES[link.purpose]
    where = contact_details(link.patient.location)
    expires = timezone.localtime(link.expires_at, where["time_zone"])
    return {
        "given_name": link.patient.given_name,
        "label": purpose.label,
        "what_for": purpose.handout,
        "expires": f"{expires:%A}, {expires:%B} {expires.day}, {expires.year} at {expires:%H:%M}",
        # The staff paragraph above the handout, on the same clock, so the two never disagree.
        "expires_short": f"{expires:%b} {expires.day}, {expires.year} {expires:%H:%M}",
        "days": purpose.ttl.days,
        "clinic_name": where["name"],
        "clinic_phone": where["phone"],
    }


def resolve_token(token: str, *, purpose: Purpose | str | None = None) -> PatientLink | None:
    """The usable link for a raw token, or None: unknown, expired, spent, revoked or wrong purpose."""
    if not token or len(token) > 100:
        return None
    link = (
        PatientLink.objects.usable(timezone.now())
        .select_related("patient")
        .filter(token_hash=hash_token(token))
        .first()
    )
    if link is None or (purpose is not None and link.purpose != str(purpose)):
        return None
    return link


def open_link(request: HttpRequest, link: PatientLink) -> None:
    """Trade the token for a session holding this one link and nothing else.

    Whatever the browser held before is ended first: a link opened on a staff computer signs the staff
    member out, rather than leaving their sign-in in a session the patient now holds (and that lasts a
    fixed hour, as a patient's form needs, instead of ending after 15 idle minutes).
    """
    request.session.flush()
    request.session[SESSION_KEY] = {"id": link.pk, "purpose": link.purpose}
    request.session.set_expiry(SESSION_MINUTES * 60)
    if link.opened_at is None:
        link.opened_at = timezone.now()
        link.save(update_fields=["opened_at"])


def link_for_session(request: HttpRequest, purpose: Purpose) -> PatientLink | None:
    """The link this browser opened, if it is still usable and for this purpose."""
    entry = request.session.get(SESSION_KEY)
    if not entry or entry.get("purpose") != purpose.key:
        return None
    link = PatientLink.objects.usable(timezone.now()).select_related("patient__location").filter(pk=entry["id"]).first()
    if link is not None:  # the patient's pages give their own location's name and phone (clinic.context_processors)
        request.patient_location = link.patient.location
    return link


def spend_link(link: PatientLink) -> bool:
    """Mark a link used; False if another request spent it first (a double submit)."""
    now = timezone.now()
    if not PatientLink.objects.filter(pk=link.pk, used_at__isnull=True).update(used_at=now):
        return False
    log_rows(updated=[(link, _with(link, used_at=now))])
    return True


def _with(link: PatientLink, **changes) -> PatientLink:
    after = copy(link)
    for name, value in changes.items():
        setattr(after, name, value)
    return after


def close_link_session(request: HttpRequest) -> None:
    request.session.pop(SESSION_KEY, None)


def finish_link(request: HttpRequest, purpose: Purpose, done: dict) -> HttpResponse:
    """The patient submitted: the link's session ends and the thank-you page is shown (again on reload)."""
    close_link_session(request)
    request.session[DONE_KEY] = {"purpose": purpose.key, "page": done}
    return render(request, purpose.done_template, done)


def after_link(request: HttpRequest, purpose: Purpose) -> HttpResponse:
    """No usable link in this browser: the thank-you page if it just submitted, else the friendly invalid page."""
    done = request.session.get(DONE_KEY)
    if done is not None and done["purpose"] == purpose.key:
        return render(request, purpose.done_template, done["page"])
    return invalid_link_page(request)


def patient_page(view):
    """Headers for every page a patient reaches by link: never cached, never indexed, no Referer sent.

    Under `no-referrer` browsers post the pages' forms with `Origin: null`; clinic.security's CSRF
    middleware accepts that for the patient pages, the CSRF token still checked.
    """

    @wraps(view)
    @never_cache
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        response["Referrer-Policy"] = "no-referrer"
        response["Cache-Control"] = "no-store, max-age=0"
        response["X-Robots-Tag"] = "noindex, nofollow"
        return response

    return wrapped


def invalid_link_page(request: HttpRequest) -> HttpResponse:
    """The one friendly page for an unknown, expired, spent, revoked or throttled link."""
    response = render(request, "clinic/link_invalid.html", status=404)
    response["Referrer-Policy"] = "no-referrer"
    return response
