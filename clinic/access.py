"""Who may see what: the permission decorator and one access helper per object kind."""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from clinic.models import Patient
from clinic.roles import role_names


def missing_permission_message(user, perm: str) -> str:
    app_label, codename = perm.split(".", 1)
    permission = Permission.objects.filter(content_type__app_label=app_label, codename=codename).first()
    label = permission.name if permission else perm
    roles = ", ".join(role_names(user)) or "no role"
    return (
        f"This page needs the permission “{label}” ({perm}). "
        f"Your role ({roles}) does not include it; ask the clinic manager if you need access."
    )


def permission_required(perm: str) -> Callable:
    """Require login, then `perm`; a signed-in user without it gets a 403 naming what is missing."""

    def decorator(view: Callable) -> Callable:
        @login_required
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.has_perm(perm):
                raise PermissionDenied(missing_permission_message(request.user, perm))
            return view(request, *args, **kwargs)

        wrapped.required_permission = perm
        return wrapped

    return decorator


def require_perm(user, perm: str) -> None:
    """The same check inside a view, for actions that need more than the page does."""
    if not user.has_perm(perm):
        raise PermissionDenied(missing_permission_message(user, perm))


def may_read_field(user, model, name: str) -> bool:
    """The one field-level read rule, for pages, forms and messages alike.

    A model names, in `field_read_permissions`, the fields only staff holding a permission may read
    (the intake's PHQ-9: item 9 asks about self-harm); every other field goes with the record.
    """
    permission = getattr(model, "field_read_permissions", {}).get(name)
    return permission is None or (user is not None and user.has_perm(permission))


def get_patient_for(user, pk: int) -> Patient:
    """A patient of the user's locations; 404 for any other, as for one that does not exist."""
    if not user.has_perm("clinic.view_patient"):
        raise PermissionDenied(missing_permission_message(user, "clinic.view_patient"))
    return get_object_or_404(Patient.objects.visible_to(user), pk=pk)


def get_staff_account_for(user, pk: int):
    """A staff account the user may manage (the permission is the view's); 404 for one that does not exist, and
    for a superuser's unless the user is one (a manager never sees those, as in the admin)."""
    accounts = get_user_model()._default_manager.all()
    if not user.is_superuser:
        accounts = accounts.filter(is_superuser=False)
    return get_object_or_404(accounts, pk=pk)
