import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from clinic.roles import ACUPUNCTURIST, FRONT_DESK, MANAGER, ROLE_PERMISSIONS, sync_roles


def test_sync_roles_creates_the_three_groups_with_exactly_their_permissions(db):
    sync_roles()
    sync_roles()  # idempotent
    for role in (FRONT_DESK, ACUPUNCTURIST, MANAGER):
        group = Group.objects.get(name=role)
        held = {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")}
        assert held == set(ROLE_PERMISSIONS[role])


def test_sync_roles_removes_a_permission_added_by_hand(db):
    from django.contrib.auth.models import Permission

    sync_roles()
    group = Group.objects.get(name=FRONT_DESK)
    group.permissions.add(Permission.objects.get(codename="view_logentry", content_type__app_label="auditlog"))
    sync_roles()
    assert not group.permissions.filter(codename="view_logentry", content_type__app_label="auditlog").exists()


def test_front_desk_cannot_read_the_audit_trail(front_desk):
    assert front_desk.has_perm("clinic.view_patient")
    assert not front_desk.has_perm("auditlog.view_logentry")


def test_manager_runs_staff_accounts(manager):
    assert manager.has_perm("auth.add_user")
    assert manager.has_perm("auditlog.view_logentry")


def test_403_page_names_the_missing_permission_and_the_role(desk_client):
    response = desk_client.get(reverse("clinic:audit-log"))
    body = response.content.decode()
    assert response.status_code == 403
    assert "auditlog.view_logentry" in body
    assert "Front desk" in body


def test_staff_without_a_role_is_refused_everywhere(client, django_user_model):
    user = django_user_model.objects.create_user("norole", password="x-long-password-1")
    client.force_login(user)
    assert client.get(reverse("pages:dashboard")).status_code == 403
    assert "no role" in client.get(reverse("clinic:patient-list")).content.decode()


@pytest.mark.parametrize("method", ["put", "delete", "patch"])
def test_unsupported_methods_are_405(desk_client, patient, method):
    assert getattr(desk_client, method)(reverse("pages:patient-detail", args=[patient.pk])).status_code == 405
    assert getattr(desk_client, method)(reverse("clinic:patient-list")).status_code == 405


def test_anonymous_is_sent_to_login_with_next(client, db):
    response = client.get(reverse("clinic:patient-list"))
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('clinic:login')}?next={reverse('clinic:patient-list')}"


def test_login_with_the_demo_style_password(client, front_desk):
    response = client.post(reverse("clinic:login"), {"username": "desk", "password": "correct-horse-battery"})
    assert response.status_code == 302
    assert response["Location"] == reverse("pages:dashboard")


def test_wrong_password_is_a_form_error_not_a_crash(client, front_desk):
    response = client.post(reverse("clinic:login"), {"username": "desk", "password": "nope"})
    assert response.status_code == 200
    assert "correct username and password" in response.content.decode()
