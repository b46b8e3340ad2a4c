"""Permissions held by the session for a minute (clinic.signin.SessionPermissionsMiddleware).

Every staff page asks has_perm; the session keeps the answer for a minute so pages do not read
the user's groups each time. A change of role must still reach a signed-in user within that
minute, a deactivated account must be refused at once, and nobody may inherit another user's.
"""

import time

from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from clinic.links import issue_link
from clinic.roles import ACUPUNCTURIST, FRONT_DESK
from clinic.signin import PERMISSIONS_KEY, RENEW_EVERY_SECONDS


def permission_reads(client: Client, url: str) -> tuple[int, int]:
    """How many queries read the user's permissions (the user's own load, which carries whether their
    role needs a second factor in a subquery, is not one of them)."""
    with CaptureQueriesContext(connection) as captured:
        status = client.get(url).status_code
    reads = [q["sql"] for q in captured.captured_queries if "auth_permission" in q["sql"]]
    return status, sum('"auth_user"."password"' not in sql for sql in reads)


def age_permissions(client: Client, seconds: int) -> None:
    session = client.session
    session[PERMISSIONS_KEY] = {**session[PERMISSIONS_KEY], "at": int(time.time()) - seconds}
    session.save()


def test_the_first_page_reads_permissions_and_the_next_ones_do_not(desk_client):
    assert permission_reads(desk_client, reverse("pages:dashboard")) == (200, 1)
    assert permission_reads(desk_client, reverse("clinic:patient-list")) == (200, 0)
    assert permission_reads(desk_client, reverse("pages:dashboard")) == (200, 0)


def test_they_are_read_again_after_a_minute(desk_client):
    desk_client.get(reverse("pages:dashboard"))
    age_permissions(desk_client, RENEW_EVERY_SECONDS - 5)
    assert permission_reads(desk_client, reverse("pages:dashboard")) == (200, 0)
    age_permissions(desk_client, RENEW_EVERY_SECONDS + 1)
    assert permission_reads(desk_client, reverse("pages:dashboard")) == (200, 1)


def test_a_new_role_reaches_a_signed_in_user_within_the_minute(desk_client, front_desk):
    report = reverse("treatments:protocol-list")
    desk_client.get(reverse("pages:dashboard"))
    assert desk_client.get(report).status_code == 403
    front_desk.groups.set([Group.objects.get(name=ACUPUNCTURIST)])
    age_permissions(desk_client, RENEW_EVERY_SECONDS + 1)
    assert desk_client.get(report).status_code == 200


def test_a_role_taken_away_stops_access_within_the_minute(lac_client, acupuncturist):
    protocols = reverse("treatments:protocol-list")
    assert lac_client.get(protocols).status_code == 200
    acupuncturist.groups.set([Group.objects.get(name=FRONT_DESK)])
    age_permissions(lac_client, RENEW_EVERY_SECONDS + 1)
    assert lac_client.get(protocols).status_code == 403


def test_a_deactivated_account_is_refused_at_once(desk_client, front_desk):
    desk_client.get(reverse("pages:dashboard"))
    front_desk.is_active = False
    front_desk.save(update_fields=["is_active"])
    response = desk_client.get(reverse("pages:dashboard"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("clinic:login"))


def test_permissions_kept_for_one_user_never_serve_another(desk_client, front_desk, acupuncturist):
    desk_client.get(reverse("pages:dashboard"))
    # The same browser signs in as someone else without signing out first.
    desk_client.force_login(acupuncturist)
    assert desk_client.get(reverse("treatments:protocol-list")).status_code == 200
    assert desk_client.session[PERMISSIONS_KEY]["user"] == str(acupuncturist.pk)


def test_signing_out_drops_them(desk_client):
    desk_client.get(reverse("pages:dashboard"))
    desk_client.post(reverse("clinic:logout"))
    assert PERMISSIONS_KEY not in desk_client.session


def test_a_patient_link_session_holds_no_staff_permissions(patient):
    _, token = issue_link(patient=patient, purpose="intake")
    client = Client()
    opened = client.get(reverse("clinic:link-open", args=[token]))
    assert opened.status_code == 302
    assert client.get(opened["Location"]).status_code == 200
    assert "patient_link" in client.session and PERMISSIONS_KEY not in client.session


def test_a_reading_kept_by_an_older_version_is_read_again_not_an_error(desk_client, front_desk):
    session = desk_client.session
    # As the version before the locations kept it: its permissions under their own name.
    session[PERMISSIONS_KEY] = {"user": str(front_desk.pk), "at": int(time.time()), "permissions": []}
    session.save()
    assert permission_reads(desk_client, reverse("pages:dashboard")) == (200, 1)
    assert permission_reads(desk_client, reverse("clinic:patient-list")) == (200, 0)
