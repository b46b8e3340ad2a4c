"""Who is asking, as far as a request can tell: the client's address, and the keys rate limits count by.

Behind a reverse proxy every request arrives from the proxy; the client's own address is in
`X-Forwarded-For`, which anyone can also send. Only the entries the deployment's own proxies added can
be believed: `TRUSTED_PROXY_COUNT` says how many proxies stand in front of the app (0: none, the
connecting address is the client). The client is the entry that many places from the right, and it
must parse as an IP address; anything else (a forged list too short, "not-an-ip", 999.1.1.1) gives no
address rather than a made-up one.
"""

import hashlib
import ipaddress

from django.conf import settings
from django.http import HttpRequest, HttpResponseBadRequest
from django.middleware.csrf import CsrfViewMiddleware as DjangoCsrfViewMiddleware
from django.utils.http import url_has_allowed_host_and_scheme

# The patient's own pages (the questionnaire and the pre-visit intake) live under this path.
PATIENT_PATH_PREFIX = "/p/"


def _valid_ip(text: str) -> str | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # [2001:db8::1]:443
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # 192.0.2.1:443
        text = text.split(":")[0]
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str | None:
    """The client's address, from the proxies this deployment trusts; None when it cannot be known."""
    count = settings.TRUSTED_PROXY_COUNT
    if count <= 0:
        return _valid_ip(request.META.get("REMOTE_ADDR", ""))
    forwarded = [entry for entry in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if entry.strip()]
    if len(forwarded) < count:
        # Fewer entries than proxies: the request did not come through them all (or the list was cut).
        return None
    return _valid_ip(forwarded[-count])


def axes_client_ip(request: HttpRequest) -> str:
    """django-axes records the address of each sign-in attempt (its column may not be empty)."""
    return client_ip(request) or "0.0.0.0"  # noqa: S104 - a placeholder for "unknown", never bound to


def axes_username(request: HttpRequest, credentials: dict | None = None) -> str:
    """The username django-axes counts failures against, cut to the longest a username can be.

    Its table holds 255 characters: a longer username typed at the sign-in page was an error page.
    """
    source = credentials if credentials else getattr(request, "POST", {})
    username = source.get("username") or ""
    return str(username)[:150]


def ratelimit_client(group: str, request: HttpRequest) -> str:
    """django-ratelimit's key for a client: its address (one key for every client whose address is unknown)."""
    return client_ip(request) or "unknown"


def client_link_rate(group: str, request: HttpRequest) -> str:
    """How many patient-link opens one client address may make (PATIENT_LINK_RATE), read at each request."""
    return settings.PATIENT_LINK_RATE


def link_rate(group: str, request: HttpRequest) -> str:
    """How many times one link may be opened, from anywhere (PATIENT_LINK_TOKEN_RATE)."""
    return settings.PATIENT_LINK_TOKEN_RATE


def ratelimit_link(group: str, request: HttpRequest) -> str:
    """django-ratelimit's key for a patient link: the token's hash, so guessing one link is slowed wherever
    the guesses come from, without the token itself reaching the cache."""
    token = (request.resolver_match.kwargs.get("token") if request.resolver_match else "") or ""
    return hashlib.sha256(token.encode()).hexdigest()


class CsrfViewMiddleware(DjangoCsrfViewMiddleware):
    """Django's CSRF check, with one allowance for the patient's own pages (under /p/).

    Those pages send `Referrer-Policy: no-referrer` (docs/clinical-rules.md, "Patient links"), under which
    a browser posts their forms with `Origin: null` and no Referer, which Django's origin check refuses.
    For them, a null origin is accepted unless the browser's Fetch Metadata says the post came from
    another site; the CSRF token (the cookie and the form's copy) is checked as for every other post.
    Staff pages are unchanged.
    """

    def _origin_verified(self, request):
        if request.META.get("HTTP_ORIGIN") == "null" and request.path_info.startswith(PATIENT_PATH_PREFIX):
            return request.META.get("HTTP_SEC_FETCH_SITE", "same-origin") == "same-origin"
        return super()._origin_verified(request)


class NoStoreMiddleware:
    """Every page is sent `Cache-Control: no-store` unless its view said otherwise.

    Staff pages show patient data, and a shared or back-button cache must not keep them; static files
    (served by whitenoise, before this middleware) keep their long caching.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if "Cache-Control" not in response:
            response["Cache-Control"] = "no-store"
        return response


class RefuseNulMiddleware:
    """A NUL character in an admin page's query string is refused with a 400, before the admin filters by it.

    No value the app keeps can hold one, and PostgreSQL refuses it in a query (an error page, in the
    admin's list filters and searches). The app's own pages refuse one beside the field they filter by.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path_info.startswith("/admin/"):
            return self.get_response(request)
        if "\x00" in request.META.get("QUERY_STRING", "") or any(
            "\x00" in key or "\x00" in value for key, values in request.GET.lists() for value in values
        ):
            return HttpResponseBadRequest("A NUL character is not allowed in an address.", content_type="text/plain")
        return self.get_response(request)


def safe_next(request, default: str) -> str:
    """The page to return to that a form named (`next`, posted or in the query), when it is this site's;
    else `default`. Never an address elsewhere: no open redirect."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return default
