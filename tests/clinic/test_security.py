"""Sign-in throttling, two-factor sign-in, idle sessions, headers, the append-only audit trail,
database outages and oversized requests (issue 6)."""

import html
import re
import threading
import time
from datetime import timedelta
from unittest import mock

import pytest
from auditlog.models import LogEntry
from django.conf import settings
from django.db import DatabaseError, OperationalError, connection, connections
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from health_check.exceptions import ServiceUnavailable

from clinic.signin import RENEWED_KEY
from clinic.twofactor import NO_DEVICE_KEY
from tests.factories import PatientFactory, UserFactory

PASSWORD = "correct-horse-battery"


def sign_in(client: Client, username: str, password: str = PASSWORD):
    return client.post(reverse("clinic:login"), {"username": username, "password": password})


# --- throttling -------------------------------------------------------------------------


def test_five_wrong_passwords_lock_the_account(front_desk):
    client = Client()
    for _ in range(4):
        assert sign_in(client, "desk", "wrong-password").status_code == 200
    locked = sign_in(client, "desk", "wrong-password")
    assert locked.status_code == 429
    assert "Sign-in locked" in locked.content.decode()
    # Locked means locked: even the right password is refused, from any browser.
    again = sign_in(Client(), "desk")
    assert again.status_code == 429
    assert "_auth_user_id" not in Client().session


def test_a_good_sign_in_resets_the_failure_count(front_desk):
    client = Client()
    for _ in range(4):
        sign_in(client, "desk", "wrong-password")
    assert sign_in(client, "desk").status_code == 302
    for _ in range(4):
        assert sign_in(Client(), "desk", "wrong-password").status_code == 200


def test_another_account_is_not_locked_by_someone_elses_typos(front_desk, acupuncturist):
    for _ in range(5):
        sign_in(Client(), "desk", "wrong-password")
    assert sign_in(Client(), "lac").status_code == 302


def test_password_validators_refuse_weak_passwords(front_desk):
    client = Client()
    sign_in(client, "desk")
    response = client.post(
        reverse("clinic:password_change"),
        {"old_password": PASSWORD, "new_password1": "12345678", "new_password2": "12345678"},
    )
    errors = " ".join(response.context["form"].errors["new_password2"])
    assert "too short" in errors and "too common" in errors and "entirely numeric" in errors


# --- sessions ---------------------------------------------------------------------------


def test_sessions_end_when_idle_and_when_the_browser_closes():
    assert settings.SESSION_COOKIE_AGE == 15 * 60
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE is True


def test_an_idle_session_ends(front_desk):
    client = Client()
    sign_in(client, "desk")
    assert client.get(reverse("pages:dashboard")).status_code == 200
    from django.contrib.sessions.models import Session

    Session.objects.update(expire_date=Session.objects.get().expire_date - timedelta(minutes=16))
    response = client.get(reverse("pages:dashboard"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("clinic:login"))


def test_activity_renews_the_session_at_most_once_a_minute(desk_client):
    from django.contrib.sessions.models import Session

    session = desk_client.session
    session[RENEWED_KEY] = int(time.time()) - 61
    session.save()
    before = Session.objects.get().expire_date
    desk_client.get(reverse("pages:dashboard"))
    after = Session.objects.get().expire_date
    assert after > before
    desk_client.get(reverse("pages:dashboard"))
    assert Session.objects.get().expire_date == after  # renewed a moment ago: no write


# --- two-factor sign-in -------------------------------------------------------------------


def current_code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def test_a_manager_must_set_up_two_factor_before_any_page(manager):
    client = Client()
    assert sign_in(client, "boss").status_code == 302
    response = client.get(reverse("pages:dashboard"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("clinic:twofactor-setup"))
    assert client.get(reverse("clinic:audit-log")).status_code == 302
    assert client.get("/admin/").status_code == 302

    setup = client.get(response["Location"])
    assert setup.status_code == 200 and "<svg" in setup.content.decode()
    device = TOTPDevice.objects.get(user=manager, confirmed=False)
    wrong = client.post(reverse("clinic:twofactor-setup"), {"code": "000000", "next": "/audit/"})
    assert "did not match" in wrong.content.decode()
    # A failure throttles the device (django-otp): an immediate retry is refused, even with the right code.
    assert client.post(reverse("clinic:twofactor-setup"), {"code": current_code(device)}).status_code == 200
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=0, throttling_failure_timestamp=None)
    done = client.post(reverse("clinic:twofactor-setup"), {"code": current_code(device), "next": "/audit/"})
    # The first set-up goes on to the backup codes, then where the manager was going.
    assert done.status_code == 302 and done["Location"] == reverse("clinic:twofactor-backup-codes") + "?next=/audit/"
    assert client.get(reverse("clinic:audit-log")).status_code == 200


def test_a_superuser_must_set_up_two_factor_like_a_manager(django_user_model):
    django_user_model.objects.create_superuser("root", "root@clinic.example", "Root-pass-12345")
    client = Client()
    assert sign_in(client, "root", "Root-pass-12345").status_code == 302
    for url in (reverse("pages:dashboard"), reverse("clinic:audit-log"), "/admin/", reverse("outcomes:report-csv")):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("clinic:twofactor-setup")), url


def test_a_manager_with_a_device_enters_a_code_at_each_sign_in(manager):
    device = TOTPDevice.objects.create(user=manager, name="phone", confirmed=True)
    client = Client()
    sign_in(client, "boss")
    response = client.get(reverse("pages:dashboard"))
    assert response["Location"].startswith(reverse("clinic:twofactor-verify"))
    assert client.post(reverse("clinic:twofactor-verify"), {"code": "12345"}).status_code == 200  # too short: an error
    assert client.get(reverse("pages:dashboard")).status_code == 302
    client.post(reverse("clinic:twofactor-verify"), {"code": current_code(device)})
    assert client.get(reverse("pages:dashboard")).status_code == 200


def test_two_factor_is_optional_for_other_staff(front_desk):
    client = Client()
    sign_in(client, "desk")
    assert client.get(reverse("pages:dashboard")).status_code == 200
    assert client.session[NO_DEVICE_KEY] is True


def test_a_promotion_to_manager_asks_for_the_second_factor_on_the_next_page(front_desk):
    from django.contrib.auth.models import Group

    from clinic.signin import PERMISSIONS_KEY

    client = Client()
    sign_in(client, "desk")
    assert client.get(reverse("pages:dashboard")).status_code == 200
    front_desk.groups.set([Group.objects.get(name="Manager")])
    # At once, before the session's permissions are read again, and after they are (a minute later).
    for _ in range(2):
        for url in (reverse("pages:dashboard"), reverse("clinic:audit-log"), "/admin/auth/user/"):
            response = client.get(url)
            assert response.status_code == 302 and response["Location"].startswith(reverse("clinic:twofactor-setup")), (
                url
            )
        session = client.session
        session.pop(PERMISSIONS_KEY, None)
        session.save()


def test_the_user_is_loaded_as_the_orm_would_load_them(front_desk, manager, django_assert_num_queries):
    """The backend builds its user query once and sends it with each id: the same user, fields and types."""
    from django.contrib.auth import get_user_model

    from clinic.backends import ClinicModelBackend

    backend = ClinicModelBackend()
    with django_assert_num_queries(1):
        loaded = backend.get_user(str(manager.pk))  # the session keeps the id as text
    stored = get_user_model().objects.get(pk=manager.pk)
    assert loaded == stored and loaded.role_requires_second_factor is True
    for field in get_user_model()._meta.concrete_fields:
        assert getattr(loaded, field.attname) == getattr(stored, field.attname), field.name
    assert backend.get_user(front_desk.pk).role_requires_second_factor is False
    assert backend.get_user(10**9) is None  # deleted since the session began
    assert backend.get_user("not-an-id") is None
    front_desk.is_active = False
    front_desk.save()
    assert backend.get_user(front_desk.pk) is None


def test_the_role_is_read_with_the_user_not_by_a_query_of_its_own(front_desk, django_assert_num_queries):
    """The every-request role check costs nothing: it comes with the user the request loads anyway."""
    from clinic.backends import ClinicModelBackend

    user = ClinicModelBackend().get_user(front_desk.pk)
    assert user.role_requires_second_factor is False
    with django_assert_num_queries(0):
        from clinic.twofactor import requires_second_factor

        assert requires_second_factor(user) is False


def test_staff_who_turn_on_two_factor_must_use_it(front_desk):
    TOTPDevice.objects.create(user=front_desk, name="phone", confirmed=True)
    client = Client()
    sign_in(client, "desk")
    assert client.get(reverse("pages:dashboard"))["Location"].startswith(reverse("clinic:twofactor-verify"))


def test_next_cannot_send_the_user_to_another_site(manager):
    device = TOTPDevice.objects.create(user=manager, name="phone", confirmed=True)
    client = Client()
    sign_in(client, "boss")
    response = client.post(
        reverse("clinic:twofactor-verify"), {"code": current_code(device), "next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("pages:dashboard")


# --- headers ------------------------------------------------------------------------------


def test_content_security_policy_allows_nothing_inline_or_foreign(desk_client, patient):
    response = desk_client.get(reverse("pages:patient-detail", args=[patient.pk]))
    policy = response["Content-Security-Policy"]
    for directive in ("default-src 'self'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'"):
        assert directive in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert "style=" not in response.content.decode()
    assert "<script>" not in response.content.decode()


def test_a_rejected_form_gives_back_what_was_typed_escaped(desk_client):
    # Widgets render through the Jinja2 form renderer: what a user typed comes back in the field,
    # escaped, never as markup.
    hostile = '"><script>alert(1)</script>'
    response = desk_client.post(
        reverse("clinic:patient-create"),
        {"given_name": hostile, "family_name": "Smith", "date_of_birth": "not a date", "sex": "F"},
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "<script>alert(1)" not in body
    given_name = re.search(r'<input type="text" name="given_name" value="([^"]*)"', body)
    assert given_name and html.unescape(given_name.group(1)) == hostile
    assert 'name="date_of_birth" value="not a date"' in body


def test_production_cookies_and_hsts():
    from tests.clinic.test_settings import manage

    code = (
        "from django.conf import settings as s; "
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS)"
    )
    result = manage("shell", "-c", code, SECRET_KEY="k" * 60, ALLOWED_HOSTS="clinic.example")
    assert result.stdout.splitlines()[-1].split() == ["True", "True", "True", "31536000"], result.stderr


# --- audit trail --------------------------------------------------------------------------


def test_audit_entries_cannot_be_changed_in_the_database(desk_client, patient):
    desk_client.get(reverse("pages:patient-detail", args=[patient.pk]))
    entry = LogEntry.objects.latest("timestamp")
    with pytest.raises(DatabaseError):
        LogEntry.objects.filter(pk=entry.pk).update(changes_text="tampered")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite keeps DELETE for the test suite's flush")
def test_audit_entries_cannot_be_deleted_in_the_database(desk_client, patient):
    desk_client.get(reverse("pages:patient-detail", args=[patient.pk]))
    with pytest.raises(DatabaseError):
        LogEntry.objects.all().delete()


def test_audit_entries_are_read_only_in_the_admin(patient, admin_client):
    patient.given_name = "Changed"
    patient.save()
    entry = LogEntry.objects.latest("timestamp")
    assert admin_client.get(reverse("admin:auditlog_logentry_changelist")).status_code == 200
    assert (
        admin_client.post(reverse("admin:auditlog_logentry_delete", args=[entry.pk]), {"post": "yes"}).status_code
        == 403
    )
    response = admin_client.post(reverse("admin:auditlog_logentry_change", args=[entry.pk]), {"changes_text": "x"})
    assert response.status_code in (200, 403)
    assert LogEntry.objects.get(pk=entry.pk).changes_text != "x"


def test_staff_accounts_cannot_be_deleted_only_deactivated(admin_client, front_desk):
    response = admin_client.post(reverse("admin:auth_user_delete", args=[front_desk.pk]), {"post": "yes"})
    assert response.status_code == 403
    assert type(front_desk).objects.filter(pk=front_desk.pk).exists()


# --- faults and bad requests --------------------------------------------------------------


def test_a_database_outage_is_a_friendly_503_and_recovers(desk_client, patient):
    url = reverse("pages:patient-detail", args=[patient.pk])
    desk_client.raise_request_exception = False
    wrapper = type(connections["default"])
    # Every query fails as it would with the server down (the test's own transaction stays open).
    with mock.patch.object(wrapper, "_cursor", side_effect=OperationalError("connection refused")):
        response = desk_client.get(url)
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    body = response.content.decode()
    assert "Temporarily unavailable" in body and "Traceback" not in body and "OperationalError" not in body
    assert 'call <a href="tel:911">911</a>' in body  # the emergency number, a setting, without the database
    assert desk_client.get(url).status_code == 200


def get_healthz(client: Client):
    # The health-check view is async; run it in a thread of its own, as a server would, so it never
    # meets the event loop another test (Playwright) may have left in this thread.
    responses = []
    thread = threading.Thread(target=lambda: responses.append(client.get("/healthz/", HTTP_ACCEPT="application/json")))
    thread.start()
    thread.join()
    return responses[0]


def test_healthz_reports_the_database(client, transactional_db):
    response = get_healthz(client)
    assert response.status_code == 200
    assert response.json() == {"Database(alias='default')": "OK"}


def test_healthz_reports_a_database_failure(client, transactional_db):
    with mock.patch("health_check.checks.Database.run", side_effect=ServiceUnavailable("down")):
        response = get_healthz(client)
    assert response.status_code == 500
    assert "down" in response.json()["Database(alias='default')"]


def test_an_oversized_body_is_refused_cleanly(desk_client):
    response = desk_client.post(
        reverse("clinic:patient-create"),
        data="x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 400


def test_too_many_fields_are_refused_cleanly(desk_client):
    data = {f"field{n}": "x" for n in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 10)}
    assert desk_client.post(reverse("clinic:patient-create"), data).status_code == 400


def test_a_new_staff_member_has_no_staff_pages_without_a_role(db):
    client = Client()
    client.force_login(UserFactory(username="norole"))
    assert client.get(reverse("pages:dashboard")).status_code == 403
    assert PatientFactory() is not None


def test_a_form_being_typed_into_keeps_the_sign_in_alive(lac_client, acupuncturist):
    from clinic.signin import RENEWED_KEY

    session = lac_client.session
    session[RENEWED_KEY] = 0  # renewed long ago: the next request renews it
    session.save()
    response = lac_client.post(reverse("clinic:stay-signed-in"))
    assert response.status_code == 204
    assert lac_client.session[RENEWED_KEY] > 0


def test_an_ended_sign_in_is_told_to_the_form_not_renewed(client):
    response = client.post(reverse("clinic:stay-signed-in"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("clinic:login"))
