"""Two-factor recovery (issue 20): single-use backup codes, and the manager's reset of a staff member's
second factor and lift of a sign-in lockout, each audited."""

import re
import threading
import time
from datetime import timedelta

import pytest
from auditlog.models import LogEntry
from axes.models import AccessAttempt
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from clinic import services
from clinic.roles import MANAGER
from clinic.services import BACKUP_CODE_COUNT, issue_backup_codes, lift_lockout, verify_second_factor
from tests.factories import UserFactory
from tests.outcomes.test_report import in_thread

PASSWORD = "correct-horse-battery"


def sign_in(client: Client, username: str, password: str = PASSWORD):
    return client.post(reverse("clinic:login"), {"username": username, "password": password})


def verify(client: Client, code: str, next_url: str = "/audit/"):
    return client.post(reverse("clinic:twofactor-verify"), {"code": code, "next": next_url})


def current_code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def unthrottle(user) -> None:
    """django-otp slows each device after a failure; a test going on at once lifts that."""
    StaticDevice.objects.filter(user=user).update(throttling_failure_count=0, throttling_failure_timestamp=None)
    TOTPDevice.objects.filter(user=user).update(throttling_failure_count=0, throttling_failure_timestamp=None)


def account_entries(user, event: str):
    return LogEntry.objects.filter(object_pk=str(user.pk), additional_data__event=event)


@pytest.fixture
def phone(manager):
    """The manager's authenticator app and a set of backup codes."""
    return TOTPDevice.objects.create(user=manager, name="Phone", confirmed=True)


@pytest.fixture
def codes(manager, phone):
    return issue_backup_codes(user=manager)


@pytest.fixture
def other_manager(roles):
    user = UserFactory(username="boss2", first_name="Ola", last_name="Berg", role=MANAGER)
    TOTPDevice.objects.create(user=user, name="Phone", confirmed=True)
    issue_backup_codes(user=user)
    return user


# --- backup codes -----------------------------------------------------------------------------------------


def test_the_first_set_up_shows_ten_backup_codes_once(manager):
    client = Client()
    sign_in(client, "boss")
    client.get(reverse("clinic:twofactor-setup"))
    device = TOTPDevice.objects.get(user=manager, confirmed=False)
    done = client.post(reverse("clinic:twofactor-setup"), {"code": current_code(device), "next": "/audit/"})
    assert done.status_code == 302 and done["Location"].startswith(reverse("clinic:twofactor-backup-codes"))

    page = client.get(done["Location"])
    shown = page.context["codes"]
    assert len(shown) == BACKUP_CODE_COUNT == 10
    assert sorted(StaticToken.objects.filter(device__user=manager).values_list("token", flat=True)) == sorted(shown)
    body = page.content.decode()
    assert all(code in body for code in shown)
    assert 'download="backup-codes.txt"' in body and "js/backup_codes.js" in body
    assert re.search(r'href="/audit/"', body)  # on to where the manager was going

    again = client.get(done["Location"]).content.decode()
    assert not any(code in again for code in shown)  # shown once
    assert "10</strong> unused backup codes" in again
    entry = account_entries(manager, "backup_codes_issued").get()
    assert entry.actor == manager and "Backup codes made for boss" in entry.object_repr


def test_a_backup_code_signs_in_once(manager, codes):
    client = Client()
    sign_in(client, "boss")
    done = verify(client, codes[0])
    assert done.status_code == 302 and done["Location"] == "/audit/"
    assert client.get(reverse("clinic:audit-log")).status_code == 200
    assert StaticToken.objects.filter(device__user=manager).count() == 9
    entry = account_entries(manager, "backup_code_used").get()
    assert entry.actor == manager and entry.additional_data["left"] == 9
    assert "Backup code used by boss" in entry.object_repr

    again = Client()
    sign_in(again, "boss")
    unthrottle(manager)
    refused = verify(again, codes[0])
    assert refused.status_code == 200 and "did not match" in refused.content.decode()
    assert again.get(reverse("clinic:audit-log")).status_code == 302  # still not past the second factor


def test_the_service_spends_a_backup_code_once(manager, codes):
    device = verify_second_factor(user=manager, code=codes[0])
    assert isinstance(device, StaticDevice)
    assert verify_second_factor(user=manager, code=codes[0]) is None
    assert StaticToken.objects.filter(device__user=manager).count() == BACKUP_CODE_COUNT - 1
    assert account_entries(manager, "backup_code_used").count() == 1


def test_wrong_backup_codes_are_throttled_as_django_otp_does(manager, codes):
    assert verify_second_factor(user=manager, code="zzzzzzzz") is None
    device = StaticDevice.objects.get(user=manager)
    assert device.throttling_failure_count == 1
    # While throttled even a right code is refused, and not spent.
    assert verify_second_factor(user=manager, code=codes[0]) is None
    assert StaticToken.objects.filter(device=device).count() == BACKUP_CODE_COUNT
    unthrottle(manager)
    assert verify_second_factor(user=manager, code=codes[0]) == device
    device.refresh_from_db()
    assert device.throttling_failure_count == 0 and device.last_used_at is not None


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite lets one writer at a time, so it has no such race"
)
@pytest.mark.django_db(transaction=True)
def test_two_sign_ins_at_once_with_one_backup_code_only_one_passes(roles, monkeypatch):
    user = UserFactory(username="boss", role=MANAGER)
    TOTPDevice.objects.create(user=user, name="Phone", confirmed=True)
    code = issue_backup_codes(user=user)[0]
    # Both sign-ins reach the code at once; the first holds its transaction open a moment after spending it, so
    # the second reads the code before the first commits (django-otp's read-then-delete let both pass).
    both_here = threading.Barrier(2, timeout=10)
    allowed = StaticDevice.verify_is_allowed
    record = services.record_account_event

    def arrive_together(device):
        both_here.wait()
        return allowed(device)

    def record_slowly(*args, **kwargs):
        record(*args, **kwargs)
        time.sleep(0.5)

    monkeypatch.setattr(StaticDevice, "verify_is_allowed", arrive_together)
    monkeypatch.setattr(services, "record_account_event", record_slowly)
    results, errors = [], []

    def sign_in_with_code():
        results.append(verify_second_factor(user=user, code=code))

    threads = [in_thread(errors, sign_in_with_code) for _ in range(2)]
    for thread in threads:
        thread.join(20)
    assert not errors
    assert sorted(r is None for r in results) == [False, True]
    assert not StaticToken.objects.filter(token=code).exists()
    assert account_entries(user, "backup_code_used").count() == 1


def test_a_backup_code_may_be_typed_in_capitals_with_spaces_and_says_how_many_are_left(manager, codes):
    client = Client()
    sign_in(client, "boss")
    typed = f"{codes[1][:4].upper()} {codes[1][4:].upper()}"
    done = client.post(reverse("clinic:twofactor-verify"), {"code": typed}, follow=True)
    assert done.status_code == 200
    assert "You have 9 backup codes left" in done.content.decode()


def test_few_codes_left_warns_to_make_new_ones(manager, codes):
    StaticToken.objects.filter(token__in=codes[2:]).delete()
    client = Client()
    sign_in(client, "boss")
    done = client.post(reverse("clinic:twofactor-verify"), {"code": codes[0]}, follow=True)
    body = done.content.decode()
    assert "You have 1 backup code left" in body and "Make new ones" in body


def test_the_authenticator_code_still_works_and_spends_no_backup_code(manager, phone, codes):
    client = Client()
    sign_in(client, "boss")
    assert verify(client, current_code(phone)).status_code == 302
    assert StaticToken.objects.filter(device__user=manager).count() == BACKUP_CODE_COUNT
    assert not account_entries(manager, "backup_code_used").exists()


def code_ahead(device: TOTPDevice) -> str:
    """The device's next code (within its tolerance): not refused as a replay of the code just used."""
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=1):06d}"


def test_setting_up_a_new_phone_retires_the_lost_one(manager, phone, codes):
    earlier = Client()  # a session signed in with the phone, before it was lost
    sign_in(earlier, "boss")
    assert verify(earlier, current_code(phone)).status_code == 302

    client = Client()  # the README's steps: a backup code, then the new phone
    sign_in(client, "boss")
    assert verify(client, codes[0]).status_code == 302
    page = client.get(reverse("clinic:twofactor-setup")).content.decode()
    assert 'data-testid="replaces-authenticator"' in page and "retires the one you use now" in page
    new = TOTPDevice.objects.get(user=manager, confirmed=False)
    done = client.post(reverse("clinic:twofactor-setup"), {"code": current_code(new), "next": "/audit/"})
    assert done.status_code == 302 and done["Location"] == "/audit/"
    assert list(TOTPDevice.objects.filter(user=manager)) == [new]
    new.refresh_from_db()
    assert new.confirmed
    assert client.get(reverse("clinic:audit-log")).status_code == 200
    entry = account_entries(manager, "authenticator_replaced").get()
    assert entry.actor == manager and entry.additional_data["removed"] == 1
    assert "Authenticator replaced for boss" in entry.object_repr

    finder = Client()  # whoever has the lost phone (and the password)
    sign_in(finder, "boss")
    refused = verify(finder, code_ahead(phone))
    assert refused.status_code == 200 and "did not match" in refused.content.decode()
    assert finder.get(reverse("clinic:audit-log")).status_code == 302
    # The session signed in with the old phone is no longer past the second factor either.
    assert earlier.get(reverse("clinic:audit-log")).status_code == 302


def test_the_first_set_up_replaces_nothing(front_desk):
    client = Client()
    sign_in(client, front_desk.username)
    page = client.get(reverse("clinic:twofactor-setup")).content.decode()
    assert "replaces-authenticator" not in page
    device = TOTPDevice.objects.get(user=front_desk)
    assert client.post(reverse("clinic:twofactor-setup"), {"code": current_code(device)}).status_code == 302
    assert TOTPDevice.objects.get(user=front_desk, confirmed=True) == device
    assert not account_entries(front_desk, "authenticator_replaced").exists()


def test_making_new_codes_cancels_the_old_ones(manager_client, manager, codes):
    page = reverse("clinic:twofactor-backup-codes")
    made = manager_client.post(page, {"next": "/audit/"})
    assert made.status_code == 302
    fresh = manager_client.get(made["Location"]).context["codes"]
    assert len(fresh) == BACKUP_CODE_COUNT and not set(fresh) & set(codes)
    assert StaticDevice.objects.filter(user=manager).count() == 1
    assert account_entries(manager, "backup_codes_issued").count() == 2

    client = Client()
    sign_in(client, "boss")
    assert "did not match" in verify(client, codes[0]).content.decode()
    unthrottle(manager)
    assert verify(client, fresh[0]).status_code == 302


def test_no_backup_codes_without_an_authenticator_first(desk_client, front_desk):
    page = desk_client.get(reverse("clinic:twofactor-backup-codes"))
    assert page.status_code == 200 and "Set up two-factor sign-in first" in page.content.decode()
    refused = desk_client.post(reverse("clinic:twofactor-backup-codes"))
    assert refused.status_code == 302 and refused["Location"] == reverse("clinic:twofactor-setup")
    assert not StaticDevice.objects.filter(user=front_desk).exists()


@pytest.mark.parametrize("code", ["", "12345", "1234567", "abcd efg!", "x" * 5000, "\x00" * 8, "abcdefg1"])
def test_a_malformed_code_is_an_error_next_to_the_field(manager, codes, code):
    client = Client()
    sign_in(client, "boss")
    response = verify(client, code)
    assert response.status_code == 200
    assert response.context["form"].errors["code"]


def test_wrong_codes_count_towards_the_lockout_like_wrong_passwords(manager, codes, settings):
    client = Client()
    sign_in(client, "boss")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert verify(client, "zzzzzzzz").status_code == 200
    locked = verify(client, "zzzzzzzz")
    assert locked.status_code == 429 and "Sign-in locked" in locked.content.decode()
    assert "_auth_user_id" not in client.session  # the half-made sign-in has ended
    # Locked means locked: the right password is refused now, and so is a right code.
    assert sign_in(Client(), "boss").status_code == 429
    assert StaticToken.objects.filter(device__user=manager).count() == BACKUP_CODE_COUNT


def test_a_right_code_clears_earlier_failures(manager, phone, settings):
    client = Client()
    sign_in(client, "boss")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        verify(client, "000000")
    unthrottle(manager)
    assert verify(client, current_code(phone)).status_code == 302
    assert not AccessAttempt.objects.filter(username="boss").exists()


def wrong_code_rounds(username: str, rounds: int, settings):
    """Whoever knows the password tries codes: the right password, then one wrong code short of the limit, again
    and again. Returns the lockout page (429) when it comes, else None."""
    for _ in range(rounds):
        client = Client()
        signed = sign_in(client, username)
        if signed.status_code == 429:
            return signed
        assert signed.status_code == 302
        for _ in range(settings.AXES_FAILURE_LIMIT - 1):
            response = verify(client, "000000")
            if response.status_code == 429:
                return response
    return None


def test_the_right_password_does_not_clear_wrong_codes(manager, phone, codes, settings):
    half_made = Client()  # signed in with the password before the lockout, at the code step
    assert sign_in(half_made, "boss").status_code == 302

    locked = wrong_code_rounds("boss", 3, settings)
    assert locked is not None and "Sign-in locked" in locked.content.decode()
    failures = AccessAttempt.objects.filter(username="boss").values_list("failures_since_start", flat=True)
    assert sum(failures) == settings.AXES_FAILURE_LIMIT  # locked at the limit, not three rounds later

    # Locked means locked: neither the right password nor the right code signs in.
    client = Client()
    assert sign_in(client, "boss").status_code == 429
    assert "_auth_user_id" not in client.session
    unthrottle(manager)
    refused = verify(half_made, current_code(phone))
    assert refused.status_code == 429 and "_auth_user_id" not in half_made.session
    assert verify(Client(), codes[0]).status_code == 302  # no sign-in to verify: back to the sign-in page
    assert StaticToken.objects.filter(device__user=manager).count() == BACKUP_CODE_COUNT


def test_a_wrong_code_lockout_ends_with_the_cool_off(manager, phone, settings):
    assert wrong_code_rounds("boss", 3, settings) is not None
    cool_off = timedelta(hours=settings.AXES_COOLOFF_TIME, minutes=1)
    AccessAttempt.objects.filter(username="boss").update(attempt_time=timezone.now() - cool_off)
    client = Client()
    assert sign_in(client, "boss").status_code == 302
    unthrottle(manager)
    assert verify(client, current_code(phone)).status_code == 302
    assert client.get(reverse("clinic:audit-log")).status_code == 200


def test_a_wrong_code_lockout_lifted_by_a_manager(manager, phone, other_manager, settings):
    assert wrong_code_rounds("boss", 3, settings) is not None
    assert lift_lockout(user=manager, by=other_manager)
    client = Client()
    assert sign_in(client, "boss").status_code == 302
    unthrottle(manager)
    assert verify(client, current_code(phone)).status_code == 302


def test_a_passed_code_clears_the_count_the_password_did_not(manager, phone, settings):
    assert wrong_code_rounds("boss", 1, settings) is None
    client = Client()
    sign_in(client, "boss")
    assert AccessAttempt.objects.filter(username="boss").exists()  # the right password cleared nothing
    unthrottle(manager)
    assert verify(client, current_code(phone)).status_code == 302
    assert not AccessAttempt.objects.filter(username="boss").exists()
    assert wrong_code_rounds("boss", 1, settings) is None  # a fresh count: four more wrong codes, not locked


def test_a_finished_set_up_clears_the_count(manager, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        sign_in(Client(), "boss", "wrong-password")
    client = Client()
    sign_in(client, "boss")
    assert AccessAttempt.objects.filter(username="boss").exists()  # a manager must still set one up
    client.get(reverse("clinic:twofactor-setup"))
    device = TOTPDevice.objects.get(user=manager)
    assert client.post(reverse("clinic:twofactor-setup"), {"code": current_code(device)}).status_code == 302
    assert not AccessAttempt.objects.filter(username="boss").exists()


def test_the_right_password_still_clears_failures_without_a_second_factor(front_desk, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        sign_in(Client(), "desk", "wrong-password")
    client = Client()
    assert sign_in(client, "desk").status_code == 302
    assert client.get(reverse("pages:dashboard")).status_code == 200
    assert not AccessAttempt.objects.filter(username="desk").exists()


# --- the manager's page -----------------------------------------------------------------------------------


def lock_out(username: str, settings) -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(Client(), username, "wrong-password")


def test_the_page_shows_each_staff_members_second_factor_and_lockout(
    manager_client, manager, front_desk, acupuncturist, other_manager, settings
):
    TOTPDevice.objects.create(user=acupuncturist, name="Phone", confirmed=True)
    lock_out("desk", settings)
    page = manager_client.get(reverse("clinic:staff-signin"))
    assert page.status_code == 200
    rows = {account.username: account for account in page.context["page"]}
    assert rows["desk"].locked_out and not rows["desk"].has_app
    assert rows["lac"].has_app and rows["lac"].codes_left == 0 and not rows["lac"].locked_out
    assert rows["boss2"].has_app and rows["boss2"].codes_left == BACKUP_CODE_COUNT
    body = page.content.decode()
    assert reverse("clinic:lift-lockout", args=[front_desk.pk]) in body
    assert reverse("clinic:reset-second-factor", args=[other_manager.pk]) in body
    assert reverse("clinic:reset-second-factor", args=[manager.pk]) not in body
    assert "ask another manager" in body


def test_the_page_reads_a_bounded_number_of_queries(manager_client, roles, django_assert_max_num_queries):
    url = reverse("clinic:staff-signin")
    manager_client.get(url)  # the session's permissions, read once

    def add_staff(count: int) -> None:
        for _ in range(count):
            user = UserFactory(role=MANAGER)
            TOTPDevice.objects.create(user=user, name="Phone", confirmed=True)
            issue_backup_codes(user=user)
            AccessAttempt.objects.create(username=user.username, ip_address="127.0.0.1", failures_since_start=2)

    add_staff(2)
    with django_assert_max_num_queries(10) as small:
        assert manager_client.get(url).status_code == 200
    add_staff(10)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert manager_client.get(url).status_code == 200


def test_the_manager_resets_a_second_factor_and_it_is_audited(manager_client, manager, other_manager):
    url = reverse("clinic:reset-second-factor", args=[other_manager.pk])
    confirm = manager_client.get(url)
    assert confirm.status_code == 200
    assert "Reset two-factor sign-in for boss2" in confirm.content.decode()
    assert TOTPDevice.objects.filter(user=other_manager).exists()  # asking changes nothing

    done = manager_client.post(url)
    assert done.status_code == 302 and done["Location"] == reverse("clinic:staff-signin")
    assert not TOTPDevice.objects.filter(user=other_manager).exists()
    assert not StaticDevice.objects.filter(user=other_manager).exists()
    entry = account_entries(other_manager, "second_factor_reset").get()
    assert entry.actor == manager and entry.action == LogEntry.Action.DELETE
    assert entry.additional_data["by"] == "boss" and entry.timestamp is not None
    assert "reset for boss2 (Ola Berg) by boss (Dana Whitfield)" in entry.object_repr
    assert "10 backup code(s) removed" in entry.object_repr

    # A manager must use a second factor: at the next sign-in they set one up before any page.
    client = Client()
    sign_in(client, "boss2")
    response = client.get(reverse("pages:dashboard"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("clinic:twofactor-setup"))


def test_a_manager_cannot_reset_their_own_second_factor(manager_client, manager, codes):
    url = reverse("clinic:reset-second-factor", args=[manager.pk])
    for response in (manager_client.get(url), manager_client.post(url)):
        assert response.status_code == 403
        assert "Ask another manager" in response.content.decode()
    assert TOTPDevice.objects.filter(user=manager, name="Phone").exists()
    assert StaticToken.objects.filter(device__user=manager).count() == BACKUP_CODE_COUNT
    assert not account_entries(manager, "second_factor_reset").exists()


@pytest.mark.parametrize("name", ["clinic:reset-second-factor", "clinic:lift-lockout"])
def test_other_staff_are_refused(lac_client, desk_client, other_manager, front_desk, name, settings):
    lock_out("boss2", settings)
    url = reverse(name, args=[other_manager.pk])
    for client in (lac_client, desk_client):
        assert client.get(url).status_code == 403
        assert client.post(url).status_code == 403
    assert desk_client.get(reverse("clinic:staff-signin")).status_code == 403
    assert TOTPDevice.objects.filter(user=other_manager).exists()
    assert AccessAttempt.objects.filter(username="boss2").exists()
    assert not LogEntry.objects.filter(additional_data__event__in=["second_factor_reset", "lockout_lifted"]).exists()


@pytest.mark.parametrize("name", ["clinic:reset-second-factor", "clinic:lift-lockout"])
def test_an_unknown_account_or_a_superusers_is_404(manager_client, name):
    root = User.objects.create_superuser("root", "root@clinic.example", "Root-pass-12345")
    TOTPDevice.objects.create(user=root, name="Phone", confirmed=True)
    for pk in (10**6, root.pk):
        url = reverse(name, args=[pk])
        assert manager_client.get(url).status_code == 404
        assert manager_client.post(url).status_code == 404
    assert TOTPDevice.objects.filter(user=root).exists()
    assert "root" not in {
        account.username for account in manager_client.get(reverse("clinic:staff-signin")).context["page"]
    }


def test_bad_input_is_never_an_error_page(manager_client):
    assert manager_client.get("/staff/99999999999999999999999/lift-lockout/").status_code == 404
    assert manager_client.get("/staff/abc/lift-lockout/").status_code == 404
    assert manager_client.get(reverse("clinic:staff-signin"), {"page": "x\x00"}).status_code == 200
    assert manager_client.put(reverse("clinic:staff-signin")).status_code == 405


def test_lifting_a_lockout_lets_the_staff_member_sign_in_again(manager_client, manager, front_desk, settings):
    lock_out("desk", settings)
    assert sign_in(Client(), "desk").status_code == 429
    url = reverse("clinic:lift-lockout", args=[front_desk.pk])
    confirm = manager_client.get(url)
    assert confirm.status_code == 200 and "locked out after 6 wrong passwords" in confirm.content.decode()  # 5, and 1
    done = manager_client.post(url, follow=True)
    assert "Sign-in lockout lifted for desk" in done.content.decode()
    entry = account_entries(front_desk, "lockout_lifted").get()
    assert entry.actor == manager and "lifted for desk (Maria Lopez) by boss (Dana Whitfield)" in entry.object_repr

    assert sign_in(Client(), "desk").status_code == 302


def test_lifting_when_nothing_is_locked_says_so_and_records_nothing(manager_client, front_desk):
    done = manager_client.post(reverse("clinic:lift-lockout", args=[front_desk.pk]), follow=True)
    assert "had no failed sign-ins" in done.content.decode()
    assert not account_entries(front_desk, "lockout_lifted").exists()


def test_the_audit_log_shows_the_entries_in_words(manager_client, other_manager):
    manager_client.post(reverse("clinic:reset-second-factor", args=[other_manager.pk]))
    body = manager_client.get(reverse("clinic:audit-log")).content.decode()
    assert "Two-factor sign-in reset for boss2 (Ola Berg) by boss (Dana Whitfield)" in body
    assert "Backup codes made for boss2" in body


def test_the_admins_staff_accounts_list_links_to_the_page(manager_client, manager, admin_client):
    manager.is_staff = True  # admin access, as the deployment gives a manager
    manager.save(update_fields=["is_staff"])
    page = reverse("clinic:staff-signin")
    for client in (manager_client, admin_client):
        listing = client.get(reverse("admin:auth_user_changelist"))
        assert listing.status_code == 200
        assert f'href="{page}"' in listing.content.decode()
