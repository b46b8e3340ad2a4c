"""Optimistic locking for records several staff may edit at once (intake, plan, unsigned session).

Each record carries a version number. A form remembers the version it was opened at; saving it
when the record has moved on is refused, with what the other person changed (read from the audit
trail), so nothing is silently overwritten. The save itself is a conditional UPDATE on the version,
so two saves racing past the form check still cannot both win.
"""

from auditlog.models import LogEntry
from django import forms
from django.db import models
from django.utils import timezone

STALE_MESSAGE = "Someone else saved this record while you were editing it. Nothing of yours was saved."
UNVERSIONED_MESSAGE = (
    "This form was sent without the version of the record it was opened at (an old or altered page), so it "
    "could not be checked against changes made by others. Nothing was saved: check the record, then save again."
)


class StaleRecordError(Exception):
    pass


class VersionedModel(models.Model):
    version = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            claimed = type(self)._base_manager.filter(pk=self.pk, version=self.version).update(version=self.version + 1)
            if not claimed:
                raise StaleRecordError(STALE_MESSAGE)
            self.version += 1
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "version"}
        super().save(*args, **kwargs)


def changes_since(instance: VersionedModel, loaded_version: int, reader=None) -> list[str]:
    """What other people changed since `loaded_version`, newest first, from the audit trail.

    Told to `reader`: a field they may not read (clinic.access.may_read_field; nobody named, no
    restricted field) is not named, let alone its values; the line says only that details changed.
    """
    from clinic.access import may_read_field  # the core's one field-level read rule

    missed = max(instance.version - loaded_version, 0)
    if not missed:
        return []
    entries = (
        LogEntry.objects.get_for_object(instance)
        .filter(action=LogEntry.Action.UPDATE)
        .select_related("actor")
        .order_by("-timestamp", "-id")[:missed]
    )
    lines = []
    for entry in entries:
        who = entry.actor.get_full_name() or entry.actor.get_username() if entry.actor else "Someone"
        when = timezone.localtime(entry.timestamp).strftime("%H:%M")
        changed = [name for name in (entry.changes_dict or {}) if name not in {"version", "updated_at"}]
        readable = [name for name in changed if may_read_field(reader, type(instance), name)]
        fields = "; ".join(
            f"{_label(instance, name)}: {_short(entry.changes_dict[name][0])} → {_short(entry.changes_dict[name][1])}"
            for name in readable
        )
        if len(readable) < len(changed):
            fields = f"{fields}; other details your role does not show" if fields else "details your role does not show"
        lines.append(f"{who} at {when} — {fields or 'no visible change'}")
    return lines


def _label(instance: models.Model, name: str) -> str:
    try:
        return str(instance._meta.get_field(name).verbose_name)
    except Exception:  # noqa: BLE001 - a field removed since the entry was written
        return name


def _short(value) -> str:
    text = "—" if value in (None, "", "None") else str(value)
    return text if len(text) <= 60 else text[:57] + "…"


class VersionedFormMixin:
    """A hidden `version` field; `clean()` refuses the form when the record moved on since it was opened.

    Editing a record, the version is required: a form posted without it (an old page, a template that
    forgot the field) would otherwise be saved over whatever others changed, unchecked.
    """

    def __init__(self, *args, reader=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.reader = reader  # who is told what others changed, if this save is refused
        editing = self.instance.pk is not None
        self.fields["version"] = forms.IntegerField(
            widget=forms.HiddenInput,
            required=editing,
            min_value=0,
            error_messages={"required": UNVERSIONED_MESSAGE, "invalid": UNVERSIONED_MESSAGE},
        )
        # The version the record was read at for this request (a save without a form version is checked against it).
        self.fields["version"].initial = self.instance.version

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk is None:
            return cleaned
        if "version" in self._errors:
            # A hidden field has no place on the page for its message: it is the form's.
            del self._errors["version"]
            self.add_error(None, UNVERSIONED_MESSAGE)
            self._show_current_version()
            return cleaned
        loaded = cleaned.get("version")
        if loaded is not None and loaded != self.instance.version:
            self.add_stale_error(loaded)
        return cleaned

    def add_stale_error(self, loaded: int | None) -> None:
        """Refuse this save: say who changed what since version `loaded` (also after a lost race at save).

        Without a posted version, the diff runs from the version the record was read at for this request.
        """
        if loaded is None:
            loaded = self.fields["version"].initial
        model = type(self.instance)
        self.instance.version = model._base_manager.filter(pk=self.instance.pk).values_list("version", flat=True).get()
        changes = changes_since(self.instance, loaded, self.reader)
        self.stale_changes = changes
        self.add_error(None, STALE_MESSAGE + (" Their changes: " + " | ".join(changes) if changes else ""))
        self._show_current_version()

    def _show_current_version(self) -> None:
        # Show the form again at the current version, so the next save is checked against it.
        self.data = self.data.copy()
        self.data[self.add_prefix("version")] = self.instance.version
