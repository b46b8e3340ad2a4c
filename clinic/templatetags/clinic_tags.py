from django import template

from clinic.access import may_read_field
from clinic.phones import tel_link, tel_uri

register = template.Library()

_CLASSES = {"select": "form-select form-select-sm", "checkbox": "form-check-input"}


@register.filter
def add_field_class(bound_field):
    """Render a bound field with Bootstrap's compact class, marked invalid when it has errors."""
    widget = bound_field.field.widget
    kind = getattr(widget, "input_type", "") or ("select" if widget.__class__.__name__ == "Select" else "")
    css = f"{widget.attrs.get('class', '')} {_CLASSES.get(kind, 'form-control form-control-sm')}".strip()
    if bound_field.errors:
        css += " is-invalid"
    attrs = {"class": css, "aria-label": bound_field.label}
    if bound_field.errors:
        attrs["aria-invalid"] = "true"
    return bound_field.as_widget(attrs=attrs)


@register.filter
def tel(number: str) -> str:
    """A phone number as the `tel:` URI a link needs: "(217) 555-0199" -> "tel:2175550199"."""
    return tel_uri(number)


@register.filter
def phone_link(number: str, css_class: str = ""):
    """`{{ patient.phone|phone_link }}`: the number as written, a link a phone can call (text if no digits)."""
    return tel_link(number, css_class)


@register.simple_tag(takes_context=True)
def may_read(context, record, field: str) -> bool:
    """`{% may_read intake "phq9_9" as show_phq9 %}`: the field-level read rule (clinic.access), in a template."""
    return may_read_field(context["user"], type(record), field)
