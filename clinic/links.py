"""Patient links: issue, resolve, open and spend a personal token (DESIGN section 3).

A token is 32 random bytes (256 bits) in URL-safe base64; only its SHA-256 is stored. Opening a
link exchanges the token for a short session entry scoped to that one link, and the browser is
redirected to a URL without the token, so it never sits in history, logs or a Referer header.
"""

import hashlib
import secrets
from copy import copy
from datetime import timedelta
from functools import wraps

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache

from clinic.audit import log_rows
from clinic.models import LinkPurpose, Patient, PatientLink

TOKEN_BYTES = 32
SESSION_KEY = "patient_link"
SESSION_MINUTES = 60
DEFAULT_TTL = {LinkPurpose.INTAKE: timedelta(days=14), LinkPurpose.QUESTIONNAIRE: timedelta(days=7)}
# Where an opened link sends the patient, per purpose; named here so the core imports no app.
LANDING_URLS = {LinkPurpose.INTAKE: "intake:patient-intake", LinkPurpose.QUESTIONNAIRE: "outcomes:patient-form"}


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def issue_link(
    *,
    patient: Patient,
    purpose: str,
    created_by=None,
    subject_id: int | None = None,
    ttl: timedelta | None = None,
) -> tuple[PatientLink, str]:
    """Create a link and return it with its raw token, which exists only in this return value.

    Earlier unused links for the same patient, purpose and subject are revoked, so only the newest
    link sent to a patient works.
    """
    now = timezone.now()
    older = list(PatientLink.objects.filter(patient=patient, purpose=purpose, subject_id=subject_id).usable(now))
    PatientLink.objects.filter(pk__in=[link.pk for link in older]).update(revoked_at=now)
    log_rows(updated=[(link, _with(link, revoked_at=now)) for link in older])
    token = secrets.token_urlsafe(TOKEN_BYTES)
    link = PatientLink.objects.create(
        patient=patient,
        purpose=purpose,
        subject_id=subject_id,
        token_hash=hash_token(token),
        created_by=created_by,
        expires_at=now + (ttl or DEFAULT_TTL[purpose]),
    )
    return link, token


def resolve_token(token: str, *, purpose: str | None = None) -> PatientLink | None:
    """The usable link for a raw token, or None: unknown, expired, spent, revoked or wrong purpose."""
    if not token or len(token) > 100:
        return None
    link = (
        PatientLink.objects.usable(timezone.now())
        .select_related("patient")
        .filter(token_hash=hash_token(token))
        .first()
    )
    if link is None or (purpose is not None and link.purpose != purpose):
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


def link_for_session(request: HttpRequest, purpose: str) -> PatientLink | None:
    """The link this browser opened, if it is still usable and for this purpose."""
    entry = request.session.get(SESSION_KEY)
    if not entry or entry.get("purpose") != purpose:
        return None
    return PatientLink.objects.usable(timezone.now()).select_related("patient").filter(pk=entry["id"]).first()


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
