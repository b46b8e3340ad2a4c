"""Idle timeout for staff sessions without a database write on every page.

The session lasts SESSION_COOKIE_AGE (15 minutes by default) from its last save. Saving on every
request (SESSION_SAVE_EVERY_REQUEST) would add a write to every page; renewing at most once a
minute keeps the timeout within a minute of exact for a fraction of the writes.
"""

import time

RENEWED_KEY = "_renewed_at"
RENEW_EVERY_SECONDS = 60


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
