"""Error pages that tell staff what happened without leaking internals."""

import sys

from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template import loader

from clinic.phones import tel_uri

# Seconds a client should wait before trying again while the database is unreachable.
RETRY_AFTER = 30


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    return render(request, "403.html", {"reason": str(exception) if exception else ""}, status=403)


def conflict(request: HttpRequest, reason: str, *, back: str, back_label: str) -> HttpResponse:
    """409: the record's state, not the user's role, stands in the way (an unsigned note has no superbill)."""
    return render(request, "409.html", {"reason": reason, "back": back, "back_label": back_label}, status=409)


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    return render(request, "404.html", status=404)


def database_unavailable(exception: BaseException | None) -> bool:
    # OperationalError/InterfaceError: the server is down, unreachable or dropped the connection.
    return isinstance(exception, OperationalError | InterfaceError) or (
        isinstance(exception, DatabaseError) and "connection" in str(exception).lower()
    )


def server_error(request: HttpRequest) -> HttpResponse:
    # No context processors or database here: the failure may be the database itself. Django
    # closes the broken connection at the end of the request, so the next one reconnects.
    if database_unavailable(sys.exc_info()[1]):
        context = {"EMERGENCY_NUMBER": settings.EMERGENCY_NUMBER, "EMERGENCY_TEL": tel_uri(settings.EMERGENCY_NUMBER)}
        response = HttpResponse(loader.get_template("503.html").render(context), status=503)
        response["Retry-After"] = str(RETRY_AFTER)
        return response
    return HttpResponse(loader.get_template("500.html").render(), status=500)
