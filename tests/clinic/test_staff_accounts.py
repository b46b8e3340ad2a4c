"""Staff accounts in the admin: a manager creates them, gives each a role and deactivates them; who
may use the admin, superuser status and single permissions stay with superusers."""

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.urls import reverse

from clinic.roles import ACUPUNCTURIST, MANAGER, ROLE_PERMISSIONS
from tests.conftest import _client_for


@pytest.fixture
def admin_manager(manager):
    """The manager with admin access, as the deployment gives it."""
    manager.is_staff = True
    manager.save(update_fields=["is_staff"])
    return manager


@pytest.fixture
def manager_admin(admin_manager):
    return _client_for(admin_manager)


@pytest.fixture
def root(db):
    return User.objects.create_superuser("root", "root@clinic.example", "Orig-pass-12345")


def change_url(user) -> str:
    return reverse("admin:auth_user_change", args=[user.pk])


NO_PROFILE = {  # the staff profile inline, left empty
    "staff_profile-TOTAL_FORMS": "0",
    "staff_profile-INITIAL_FORMS": "0",
    "staff_profile-MIN_NUM_FORMS": "0",
    "staff_profile-MAX_NUM_FORMS": "1",
}


def change_data(user, **overrides) -> dict:
    """The change form as the admin posts it, for an account without a staff profile."""
    data = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "is_active": "on",
        "groups": [group.pk for group in user.groups.all()],
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
        "last_login_0": "",
        "last_login_1": "",
        **NO_PROFILE,
    }
    data.update(overrides)
    return {name: value for name, value in data.items() if value is not None}


def escalation(user) -> dict:
    """What a manager might add to a change form to become, or make someone, more than staff."""
    permission = Permission.objects.get(content_type__app_label="auditlog", codename="delete_logentry")
    return change_data(user, is_staff="on", is_superuser="on", user_permissions=[permission.pk])


def test_the_manager_form_has_no_superuser_status_or_single_permissions(manager_admin, front_desk):
    form = manager_admin.get(change_url(front_desk)).context["adminform"].form
    assert "is_superuser" not in form.fields
    assert "user_permissions" not in form.fields
    assert "is_staff" not in form.fields  # shown, read-only
    assert {"is_active", "groups"} <= set(form.fields)


def test_the_manager_chooses_among_the_role_groups_only(manager_admin, front_desk):
    Group.objects.create(name="Auditors")
    form = manager_admin.get(change_url(front_desk)).context["adminform"].form
    assert sorted(form.fields["groups"].queryset.values_list("name", flat=True)) == sorted(ROLE_PERMISSIONS)


def test_a_manager_cannot_make_anyone_a_superuser(manager_admin, admin_manager, front_desk):
    response = manager_admin.post(change_url(front_desk), escalation(front_desk))
    assert response.status_code == 302
    front_desk.refresh_from_db()
    assert not (front_desk.is_superuser or front_desk.is_staff)
    assert not front_desk.user_permissions.exists()


def test_a_manager_cannot_raise_their_own_account(manager_admin, admin_manager):
    acupuncturist = Group.objects.get(name=ACUPUNCTURIST)
    data = escalation(admin_manager)
    data["groups"] = [acupuncturist.pk]
    assert manager_admin.post(change_url(admin_manager), data).status_code == 302
    admin_manager.refresh_from_db()
    assert not admin_manager.is_superuser
    assert not admin_manager.user_permissions.exists()
    assert [group.name for group in admin_manager.groups.all()] == [MANAGER]  # one's own role is read-only
    assert admin_manager.is_active


def test_the_manager_gives_a_role_and_deactivates(manager_admin, front_desk):
    acupuncturist = Group.objects.get(name=ACUPUNCTURIST)
    data = change_data(front_desk, groups=[acupuncturist.pk], is_active=None)
    assert manager_admin.post(change_url(front_desk), data).status_code == 302
    front_desk.refresh_from_db()
    assert [group.name for group in front_desk.groups.all()] == [ACUPUNCTURIST]
    assert not front_desk.is_active


@pytest.mark.parametrize("extra", ["group", "permission"])
def test_an_account_with_more_than_a_role_is_read_only_to_a_manager(manager_admin, front_desk, extra):
    if extra == "group":
        front_desk.groups.add(Group.objects.create(name="Auditors"))
    else:
        front_desk.user_permissions.add(Permission.objects.get(codename="view_fee"))
    page = manager_admin.get(change_url(front_desk))
    assert page.status_code == 200  # it may be seen
    assert not page.context["has_change_permission"]
    assert manager_admin.post(change_url(front_desk), change_data(front_desk, is_active=None)).status_code == 403
    url = reverse("admin:auth_user_password_change", args=[front_desk.pk])
    data = {"password1": "Taken-over-98765", "password2": "Taken-over-98765", "usable_password": "true"}
    assert manager_admin.post(url, data).status_code == 403
    front_desk.refresh_from_db()
    assert front_desk.is_active and front_desk.check_password("correct-horse-battery")


def test_the_manager_creates_a_staff_account(manager_admin):
    data = {
        **NO_PROFILE,
        "username": "newdesk",
        "usable_password": "true",
        "password1": "Fresh-pass-24680",
        "password2": "Fresh-pass-24680",
    }
    assert manager_admin.post(reverse("admin:auth_user_add"), data).status_code == 302
    created = User.objects.get(username="newdesk")
    assert not (created.is_staff or created.is_superuser)


def test_a_superuser_account_is_not_listed_for_a_manager(manager_admin, root, front_desk):
    users = manager_admin.get(reverse("admin:auth_user_changelist")).context["cl"].result_list
    assert root not in users
    assert front_desk in users


def test_a_manager_cannot_open_or_change_a_superuser_account(manager_admin, root):
    page = manager_admin.get(change_url(root))
    assert page.status_code == 302  # the admin's answer for an account it does not show
    assert page["Location"] == reverse("admin:index")
    data = change_data(root, is_active=None)
    assert manager_admin.post(change_url(root), data).status_code == 302
    root.refresh_from_db()
    assert root.is_active and root.is_superuser


def test_a_manager_cannot_change_a_superusers_password(manager_admin, root):
    url = reverse("admin:auth_user_password_change", args=[root.pk])
    assert manager_admin.get(url).status_code == 404
    data = {"password1": "Taken-over-98765", "password2": "Taken-over-98765", "usable_password": "true"}
    assert manager_admin.post(url, data).status_code == 404
    root.refresh_from_db()
    assert root.check_password("Orig-pass-12345")


def test_the_manager_resets_a_staff_password(manager_admin, front_desk):
    url = reverse("admin:auth_user_password_change", args=[front_desk.pk])
    data = {"password1": "Reset-pass-13579", "password2": "Reset-pass-13579", "usable_password": "true"}
    assert manager_admin.post(url, data).status_code == 302
    front_desk.refresh_from_db()
    assert front_desk.check_password("Reset-pass-13579")


def test_a_superuser_keeps_every_field_and_account(admin_client, admin_user, root, front_desk):
    Group.objects.create(name="Auditors")
    form = admin_client.get(change_url(front_desk)).context["adminform"].form
    assert {"is_staff", "is_superuser", "user_permissions", "groups"} <= set(form.fields)
    assert "Auditors" in form.fields["groups"].queryset.values_list("name", flat=True)
    assert admin_client.get(change_url(root)).status_code == 200
    data = change_data(front_desk, is_superuser="on")
    assert admin_client.post(change_url(front_desk), data).status_code == 302
    front_desk.refresh_from_db()
    assert front_desk.is_superuser
