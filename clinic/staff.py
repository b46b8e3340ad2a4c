"""How pages name staff: the full name, with the username beside it where another account has the same name
(and the username alone for an account with no name). The audit log and its admin read it."""

from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef


def name_shared(path: str) -> Exists:
    """Whether another account has the same first and last name as the user at `path` (e.g. "actor"): an
    annotation, so a page of rows learns it in its own query."""
    users = get_user_model().objects
    return Exists(
        users.filter(first_name=OuterRef(f"{path}__first_name"), last_name=OuterRef(f"{path}__last_name")).exclude(
            pk=OuterRef(f"{path}__pk")
        )
    )


def staff_label(user, *, shared: bool = False) -> str:
    """ "Wei Chen"; "Wei Chen (wchen2)" when the name is shared; "locum" for an account without a name."""
    if user is None:
        return ""
    full = user.get_full_name().strip()
    if not full:
        return user.get_username()
    return f"{full} ({user.get_username()})" if shared else full
