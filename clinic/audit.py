"""Read entries for the audit trail.

django-auditlog records every create, update and delete of a registered model, with the user
and IP address its middleware captures. Reads are ours to record: a view that shows a
patient's data calls `record_view` once per page.
"""

from auditlog.signals import accessed
from django.db.models import Model


def record_view(instance: Model) -> None:
    # The library's own access signal, so read entries are ordinary LogEntry rows with the
    # same actor, address and correlation id as the change entries.
    accessed.send(sender=type(instance), instance=instance)
