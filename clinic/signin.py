"""A staff sign-in's state, kept without a database write (or read) on every page.

Idle timeout: the session lasts SESSION_COOKIE_AGE (15 minutes by default) from its last save.
Saving on every request (SESSION_SAVE_EVERY_REQUEST) would add a write to every page; renewing at
most once a minute keeps the timeout within a minute of exact for a fraction of the writes.

Permissions: every staff page asks `has_perm`, which reads the user's groups and permissions (one
six-table join; most of its millisecond is PostgreSQL planning it). The session keeps the answer for
the same minute, so a change of role reaches a signed-in user within a minute. Deactivating an
account still takes effect on the next request: Django reloads the user on every request and an
inactive user has no permissions whatever the session holds.
"""

import time

from django.contrib.auth import SESSION_KEY as USER_ID_KEY
from django.utils.functional import empty

RENEWED_KEY = "_renewed_at"
RENEW_EVERY_SECONDS = 60
PERMISSIONS_KEY = "_permissions"


class IdleTimeoutMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        # Only sessions that hold something (a signed-in user, a patient link); never create one.
        if session is not None and session.accessed and not session.is_empty():
            now = int(time.time())
            if session.get(RENEWED_KEY, 0) <= now - RENEW_EVERY_SECONDS:
                session[RENEWED_KEY] = now  # marks the session modified: saved with a new expiry
        return response


def minute_old_reading(request, key: str):
    """What the session keeps under `key` for its signed-in user, if read within the last minute; else None."""
    user_id = request.session.get(USER_ID_KEY)
    entry = request.session.get(key) if user_id is not None else None
    if (
        entry is not None
        and entry.get("user") == str(user_id)
        and entry.get("at", 0) > time.time() - RENEW_EVERY_SECONDS
    ):
        return entry.get("value")  # None for an entry kept by an older version: read again
    return None


def keep_reading(request, key: str, read) -> None:
    """Keep what this request read for its user (`read(user)`, None when it read nothing) for a minute: only
    for a user this request loaded, signed in and still the session's (not after a sign-out or a sign-in as
    someone else)."""
    user = getattr(request, "user", None)
    if user is None or getattr(user, "_wrapped", user) is empty or not user.is_authenticated:
        return
    if request.session.get(USER_ID_KEY) != str(user.pk) or (value := read(user)) is None:
        return
    request.session[key] = {"user": str(user.pk), "at": int(time.time()), "value": value}


class SessionPermissionsMiddleware:
    """Give the signed-in user the permissions the session read within the last minute.

    Goes after AuthenticationMiddleware. `ClinicModelBackend` answers `has_perm` from the user's
    `_perm_cache`; this fills it from the session, and stores a fresh reading after a request that
    had to make one.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        permissions = minute_old_reading(request, PERMISSIONS_KEY)
        if permissions is not None and request.user.is_authenticated and not request.user.is_superuser:
            request.user._perm_cache = set(permissions)
        response = self.get_response(request)
        if permissions is None:
            keep_reading(request, PERMISSIONS_KEY, self._read)
        return response

    @staticmethod
    def _read(user) -> list[str] | None:
        # A superuser's are all of them: nothing to keep.
        return None if user.is_superuser or not hasattr(user, "_perm_cache") else sorted(user._perm_cache)
