"""Read entries for the audit trail.

django-auditlog records every create, update and delete of a registered model, with the user
and IP address its middleware captures. Reads are ours to record: a view that shows a
patient's data calls `record_view` once per page.
"""

from auditlog.cid import get_cid
from auditlog.models import LogEntry
from auditlog.signals import accessed
from django.contrib.contenttypes.models import ContentType
from django.db.models import Model


def record_view(instance: Model) -> None:
    # The library's own access signal, so read entries are ordinary LogEntry rows with the
    # same actor, address and correlation id as the change entries.
    accessed.send(sender=type(instance), instance=instance)


def record_export(model: type[Model], *, description: str, **details) -> None:
    """One read entry for an export of many records of `model`.

    It names no single object or patient; `description` is what the audit log page shows and
    `details` (JSON) say which records went out. The actor and address come from
    AuditlogMiddleware, as for every other entry.
    """
    LogEntry.objects.create(
        content_type=ContentType.objects.get_for_model(model),
        object_pk="",
        object_repr=description,
        action=LogEntry.Action.ACCESS,
        additional_data=details,
        cid=get_cid(),
    )
