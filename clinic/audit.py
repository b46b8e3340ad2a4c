"""Read entries for the audit trail.

django-auditlog records every create, update and delete of a registered model, with the user
and IP address its middleware captures. Reads are ours to record: a view that shows a
patient's data calls `record_view` once per page, and so does the admin of such a model
through `RecordViewAdminMixin`.
"""

from auditlog.cid import get_cid
from auditlog.middleware import AuditlogMiddleware as LibraryAuditlogMiddleware
from auditlog.models import LogEntry
from auditlog.signals import accessed
from django.contrib.contenttypes.models import ContentType
from django.db.models import Model

from clinic.security import client_ip


class AuditlogMiddleware(LibraryAuditlogMiddleware):
    """django-auditlog's middleware, recording the client's address as the trusted proxies give it.

    The library believes the first X-Forwarded-For entry whoever sent it, and stores whatever it holds
    (a forged address; "not-an-ip", which PostgreSQL's inet column refuses with an error page).
    """

    @staticmethod
    def _get_remote_addr(request):
        return client_ip(request)


def record_view(instance: Model) -> None:
    # The library's own access signal, so read entries are ordinary LogEntry rows with the
    # same actor, address and correlation id as the change entries.
    accessed.send(sender=type(instance), instance=instance)


def record_export(model: type[Model], *, description: str, **details) -> None:
    """One read entry for an export, or a page listing, of many records of `model`.

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


def record_list(model: type[Model], *, page: str, rows: list[Model] | list[dict], patient_of=None) -> None:
    """One read entry for a page that lists patients' records (a list, a search, a dashboard panel).

    `rows` are what the page showed; the entry keeps the patients they belong to (their ids), so the
    audit log can answer "who saw this patient, and where" for lists as well as for opened records.
    A page that listed no one writes nothing.
    """
    patient_of = patient_of or (lambda row: row["pk"] if isinstance(row, dict) else row.pk)
    patients = sorted({patient_of(row) for row in rows})
    if patients:
        record_export(model, description=f"{page}: {len(patients)} patients listed", listed=page, patient_ids=patients)


class RecordViewAdminMixin:
    """For the ModelAdmin of a model holding patient data: a read entry for each opened record or list.

    The change page (also the read-only one) and the history page show the record, so a GET of
    either writes one entry, for the object the page rendered (none for a missing one); a list page
    writes one entry naming the patients it listed.
    """

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        changelist = (getattr(response, "context_data", None) or {}).get("cl")
        if request.method == "GET" and response.status_code == 200 and changelist is not None:
            model = self.model
            record_list(
                model,
                page=f"Admin list of {model._meta.verbose_name_plural}",
                rows=list(changelist.result_list),
                patient_of=lambda row: row.get_additional_data()["patient_id"],
            )
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        if request.method == "GET":
            _record_admin_page(response, "original")
        return response

    def history_view(self, request, object_id, extra_context=None):
        response = super().history_view(request, object_id, extra_context)
        if request.method == "GET":
            _record_admin_page(response, "object")
        return response


def _record_admin_page(response, key: str) -> None:
    # The page's own context holds the object it shows: no second read of the row.
    instance = (getattr(response, "context_data", None) or {}).get(key)
    if response.status_code == 200 and isinstance(instance, Model):
        record_view(instance)
