from django.contrib.auth.models import Permission

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
