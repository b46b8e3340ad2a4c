import django_filters
from auditlog.models import LogEntry
from django import forms
from django.contrib.auth import get_user_model

from clinic.forms import DateInput


class RecordIdFilter(django_filters.NumberFilter):
    """A record id: a whole number a database key can hold.

    NumberFilter reads any decimal, so "-1e5000" reached the filter method and int() of it failed (or,
    for "-1e1000000", built a million-digit integer first); these get a form error instead.
    """

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", 2**63 - 1)
        super().__init__(*args, **kwargs)

    def get_max_validator(self):
        return None  # the field's own max_value bounds it


class StaffChoiceField(forms.ModelChoiceField):
    """Staff by name, with the username that tells two of the same name apart."""

    def label_from_instance(self, obj) -> str:
        full = obj.get_full_name().strip()
        return f"{full} ({obj.get_username()})" if full else obj.get_username()


class StaffChoiceFilter(django_filters.ModelChoiceFilter):
    field_class = StaffChoiceField


class AuditLogFilter(django_filters.FilterSet):
    actor = StaffChoiceFilter(
        queryset=get_user_model().objects.order_by("first_name", "last_name", "username"),
        label="User",
        empty_label="Any user",
    )
    action = django_filters.ChoiceFilter(choices=LogEntry.Action.choices, empty_label="Any action")
    patient = RecordIdFilter(method="filter_patient", label="Patient id")
    since = django_filters.DateFilter(field_name="timestamp", lookup_expr="date__gte", label="From", widget=DateInput)
    until = django_filters.DateFilter(field_name="timestamp", lookup_expr="date__lte", label="To", widget=DateInput)
    remote_addr = django_filters.CharFilter(lookup_expr="startswith", label="IP address")

    def filter_patient(self, queryset, name, value):
        return queryset.filter(additional_data__patient_id=value)

    class Meta:
        model = LogEntry
        fields = ["actor", "action", "patient", "since", "until", "remote_addr"]
