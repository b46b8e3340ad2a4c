"""The audit trail: who read or changed which patient's record, when, from where, in readable words.

django-auditlog records every save and delete of a model registered with `audited`, with the user
and address its middleware captures. Two kinds of write pass it by, and are recorded here by the
service that makes them: rows written in bulk (`bulk_create`, a queryset `update`), through
`log_rows`. Reads are ours to record too: a view that shows a patient's data calls `record_view`
once per page (`record_list` for a page that lists patients), and so does the admin of such a
model through `RecordViewAdminMixin`.
"""

from datetime import UTC

from auditlog.cid import get_cid
from auditlog.diff import model_instance_diff
from auditlog.middleware import AuditlogMiddleware as LibraryAuditlogMiddleware
from auditlog.models import LogEntry
from auditlog.registry import auditlog
from auditlog.signals import accessed
from django.contrib.contenttypes.models import ContentType
from django.db import router
from django.db.models import BooleanField, DateTimeField, Model
from django.db.models.signals import pre_save
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from clinic.formats import on_clock
from clinic.security import client_ip


class AuditlogMiddleware(LibraryAuditlogMiddleware):
    """django-auditlog's middleware, recording the client's address as the trusted proxies give it.

    The library believes the first X-Forwarded-For entry whoever sent it, and stores whatever it holds
    (a forged address; "not-an-ip", which PostgreSQL's inet column refuses with an error page).
    """

    @staticmethod
    def _get_remote_addr(request):
        return client_ip(request)


def audited(model: type[Model], *, exclude: tuple[str, ...] = (), m2m: tuple[str, ...] = ()) -> type[Model]:
    """Register a model with the audit trail: its own columns, by name (not the records that point at it,
    which the library would log as "…Session.None"), and the many-to-many fields named in `m2m`."""
    fields = [field.name for field in model._meta.concrete_fields if field.name not in exclude]
    auditlog.register(model, include_fields=fields, m2m_fields=set(m2m))
    return model


def log_rows(*, created=(), deleted=(), updated=()) -> None:
    """Audit entries for rows written in bulk, which the library does not see: one INSERT for them all.

    `created` and `deleted` are model instances (their columns are the change); `updated` is pairs of
    (before, after) instances of one record. Each entry carries the user and address of the request,
    as the library's own entries do.
    """
    entries = [_entry(row, LogEntry.Action.CREATE, model_instance_diff(None, row)) for row in created]
    entries += [_entry(row, LogEntry.Action.DELETE, model_instance_diff(row, None)) for row in deleted]
    entries += [_entry(after, LogEntry.Action.UPDATE, model_instance_diff(before, after)) for before, after in updated]
    entries = [entry for entry in entries if entry.changes or entry.action == LogEntry.Action.DELETE]
    if entries:
        LogEntry.objects.bulk_create(entries)


def _entry(instance: Model, action: int, changes: dict | None) -> LogEntry:
    get_additional_data = getattr(instance, "get_additional_data", None)
    entry = LogEntry(
        content_type=ContentType.objects.get_for_model(instance),
        object_pk=str(instance.pk),
        object_id=instance.pk if isinstance(instance.pk, int) else None,
        object_repr=str(instance)[:2000],
        action=action,
        changes=changes or {},
        additional_data=get_additional_data() if callable(get_additional_data) else None,
        cid=get_cid(),
    )
    # What a saved entry is given by the library in a request (the user, their address), without the save.
    pre_save.send(sender=LogEntry, instance=entry, raw=False, using=router.db_for_write(LogEntry), update_fields=None)
    return entry


def readable_changes(entry: LogEntry, zone=None) -> list[tuple[str, str, str]]:
    """An entry's changes as a compliance officer reads them: the field's label, and the chosen option's
    label rather than its code ("Possible cauda equina", "Emergency department"), before and after; a time
    on the clock of `zone` (default: the current one), named, where the library stored it in UTC."""
    model = entry.content_type.model_class()
    zone = zone or timezone.get_current_timezone()
    rows = []
    for name, values in (entry.changes_dict or {}).items():
        label, choices, instant = name, {}, False
        try:
            field = model._meta.get_field(name)
        except Exception:  # noqa: BLE001 - a field since removed, or a summary such as "points"
            field = None
        if field is not None:
            label = str(getattr(field, "verbose_name", name))
            choices = {str(key): str(text) for key, text in getattr(field, "flatchoices", None) or ()}
            if isinstance(field, BooleanField):
                choices = {"True": "Yes", "False": "No"}
            instant = isinstance(field, DateTimeField)
        before, after = (values + [None, None])[:2] if isinstance(values, list) else (None, values)
        shown = (_instant(before, zone), _instant(after, zone)) if instant else (before, after)
        rows.append((label[:1].upper() + label[1:], _shown(shown[0], choices), _shown(shown[1], choices)))
    return rows


def _instant(value, zone):
    """A stored time ("2026-12-01 20:05:03.123456", naive UTC as django-auditlog keeps it) on the clock."""
    parsed = parse_datetime(value) if isinstance(value, str) else None
    if parsed is None:
        return value
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed, UTC)
    return on_clock(parsed, zone)


def _shown(value, choices: dict) -> str:
    if value in (None, "None", ""):
        return "—"
    return choices.get(str(value), str(value))


def record_view(instance: Model) -> None:
    # The library's own access signal, so read entries are ordinary LogEntry rows with the
    # same actor, address and correlation id as the change entries.
    accessed.send(sender=type(instance), instance=instance)


def record_disclosure(instance: Model, *, document: str, to: str) -> None:
    """A document about one record that leaves the clinic (printed, downloaded): a read entry for the record,
    with its patient (so the audit log's patient filter finds it), what was produced and for whom."""
    entry = _entry(instance, LogEntry.Action.ACCESS, None)
    entry.object_repr = f"{document}: {instance}"[:2000]
    entry.additional_data = {**(entry.additional_data or {}), "document": document, "disclosed_to": to}
    LogEntry.objects.bulk_create([entry])  # `_entry` gave it the request's user and address


def record_change(instance: Model, *, description: str, **details) -> None:
    """A change to one record told in words rather than as its columns' values (answers the patient has not
    yet sent, which staff are not to read): one update entry for the record, with its patient (the audit
    log's patient filter finds it), the request's user and address; `details` (JSON) keep what the words say."""
    entry = _entry(instance, LogEntry.Action.UPDATE, None)
    entry.object_repr = description[:2000]
    entry.additional_data = {**(entry.additional_data or {}), **details}
    LogEntry.objects.bulk_create([entry])  # `_entry` gave it the request's user and address


def record_account_event(user: Model, *, description: str, action=LogEntry.Action.UPDATE, **details) -> None:
    """A change to a staff account's sign-in (backup codes made or used, a second factor reset, a lockout
    lifted): one entry about that account, in words, with who did it and from where, as the request gives
    them (the library's middleware). It names no patient; `details` (JSON) keep what the words say."""
    entry = _entry(user, action, None)
    entry.object_repr = description[:2000]
    entry.additional_data = {"account": user.get_username(), **details}
    LogEntry.objects.bulk_create([entry])  # `_entry` gave it the request's user and address


def record_export(model: type[Model], *, description: str, action=LogEntry.Action.ACCESS, **details) -> None:
    """One entry for many records of `model` at once: an export or a page listing them (a read), or
    rows a scheduled job created (`action` CREATE).

    It names no single object or patient; `description` is what the audit log page shows and
    `details` (JSON) say which records. The actor and address come from AuditlogMiddleware, as for
    every other entry (a job run from cron has neither).
    """
    LogEntry.objects.create(
        content_type=ContentType.objects.get_for_model(model),
        object_pk="",
        object_repr=description,
        action=action,
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
    patients = sorted({patient for patient in map(patient_of, rows) if patient is not None})
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
