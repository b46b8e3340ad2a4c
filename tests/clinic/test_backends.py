import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.urls import reverse

from clinic.roles import ROLE_PERMISSIONS
from tests.factories import UserFactory


def test_permissions_come_from_groups_and_the_user_in_one_query(roles, django_assert_num_queries):
    user = UserFactory(role="Front desk")
    user.user_permissions.add(Permission.objects.get(codename="view_report"))
    with django_assert_num_queries(1):
        perms = user.get_all_permissions()
        assert user.has_perm("clinic.view_patient")
    assert perms == set(ROLE_PERMISSIONS["Front desk"]) | {"outcomes.view_report"}
    assert not user.has_perm("treatments.sign_session")


def test_inactive_users_have_no_permissions(roles):
    user = UserFactory(role="Manager", is_active=False)
    assert user.get_all_permissions() == set()


def test_superusers_keep_every_permission(db):
    admin = UserFactory(is_superuser=True)
    assert admin.has_perm("treatments.sign_session")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements are PostgreSQL's")
def test_the_signed_in_users_query_is_planned_once_per_connection(lac_client):
    # Planning the user's query (its role's second-factor rule) cost more than running it, on every page.
    # From its second run on a connection it is prepared there and only executed.
    for _ in range(3):
        assert lac_client.get(reverse("clinic:patient-list")).status_code == 200
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements WHERE NOT from_sql")
        prepared = [row[0] for row in cursor.fetchall()]
    assert any('FROM "auth_user"' in sql and "role_requires_second_factor" in sql for sql in prepared), prepared
