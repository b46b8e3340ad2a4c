"""Phone numbers as links a phone can call."""

import re

from django.utils.html import format_html

# An extension at the end, as people write it: "ext. 12", "extension 12", "x12", "#12".
_EXTENSION = re.compile(r"\s*(?:ext(?:ension)?\.?|x|#)\s*(\d+)\s*$", re.IGNORECASE)


def tel_uri(number: str | None) -> str:
    """A `tel:` URI (RFC 3966) for a number as people write it, or "" when it holds no digits.

    Only the digits are kept, with a leading + for an international number: RFC 3966 allows no spaces,
    and "(555) 010-2400" -> "tel:5550102400". An extension becomes its `;ext=` parameter
    ("555-0100 ext. 12" -> "tel:5550100;ext=12") rather than digits dialled after the number.
    """
    text = (number or "").strip()
    extension = _EXTENSION.search(text)
    if extension:
        text = text[: extension.start()]
    digits = re.sub(r"\D", "", text)
    if not digits:
        return ""
    return f"tel:{'+' if text.startswith('+') else ''}{digits}" + (f";ext={extension[1]}" if extension else "")


def tel_link(number: str | None, css_class: str = "") -> str:
    """The number as written, linked to its `tel:` URI; the text alone when it holds no digits."""
    uri = tel_uri(number)
    if not uri:
        return format_html("{}", number or "")
    if css_class:
        return format_html('<a href="{}" class="{}">{}</a>', uri, css_class, number)
    return format_html('<a href="{}">{}</a>', uri, number)
