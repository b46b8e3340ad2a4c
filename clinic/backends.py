"""Django's model backend, reading a user's permissions in one query instead of two.

Every staff page asks `has_perm`; the stock backend reads the user's own permissions and their
groups' permissions separately. Here both come from one query, cached on the user for the request.

The user is loaded on every request with whether their current role requires a second factor, in the
same query: a promotion to a role that requires one is enforced on the very next page, at no cost.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission
from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q


def requires_second_factor_query() -> Q:
    """True for a user whose role, or any permission they hold however given, requires a second factor."""
    role = Group.objects.filter(user=OuterRef("pk"), name__in=settings.TWO_FACTOR_REQUIRED_GROUPS)
    sensitive = Q()
    for dotted in settings.TWO_FACTOR_REQUIRED_PERMISSIONS:
        app_label, codename = dotted.split(".", 1)
        sensitive |= Q(content_type__app_label=app_label, codename=codename)
    held = Permission.objects.filter(Q(user=OuterRef("pk")) | Q(group__user=OuterRef("pk"))).filter(sensitive)
    return Q(Exists(role)) | Q(Exists(held))


class ClinicModelBackend(ModelBackend):
    def get_user(self, user_id):
        needs = ExpressionWrapper(requires_second_factor_query(), output_field=BooleanField())
        users = get_user_model()._default_manager.annotate(role_requires_second_factor=needs)
        user = users.filter(pk=user_id).first()
        return user if self.user_can_authenticate(user) else None

    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if user_obj.is_superuser:
            return super().get_all_permissions(user_obj, obj)
        if not hasattr(user_obj, "_perm_cache"):
            rows = (
                Permission.objects.filter(Q(user=user_obj) | Q(group__user=user_obj))
                .values_list("content_type__app_label", "codename")
                .distinct()
            )
            user_obj._perm_cache = {f"{app_label}.{codename}" for app_label, codename in rows}
        return user_obj._perm_cache
