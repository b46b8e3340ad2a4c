import django_filters
from auditlog.models import LogEntry
from django import forms
from django.contrib.auth import get_user_model

from clinic.forms import DateInput


class AuditLogFilter(django_filters.FilterSet):
    actor = django_filters.ModelChoiceFilter(
        queryset=get_user_model().objects.order_by("username"), label="User", empty_label="Any user"
    )
    action = django_filters.ChoiceFilter(choices=LogEntry.Action.choices, empty_label="Any action")
    patient = django_filters.NumberFilter(method="filter_patient", label="Patient id", widget=forms.NumberInput)
    since = django_filters.DateFilter(field_name="timestamp", lookup_expr="date__gte", label="From", widget=DateInput)
    until = django_filters.DateFilter(field_name="timestamp", lookup_expr="date__lte", label="To", widget=DateInput)
    remote_addr = django_filters.CharFilter(lookup_expr="startswith", label="IP address")

    def filter_patient(self, queryset, name, value):
        # The JSON lookup needs a plain int: a Decimal from the form cannot be serialised.
        return queryset.filter(additional_data__patient_id=int(value))

    class Meta:
        model = LogEntry
        fields = ["actor", "action", "patient", "since", "until", "remote_addr"]
