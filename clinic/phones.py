"""Phone numbers as links a phone can call."""

import re


def tel_uri(number: str) -> str:
    """A `tel:` URI for a number as people write it: "(555) 010-2400" -> "tel:5550102400" (RFC 3966 has no spaces)."""
    digits = re.sub(r"[^0-9*#]", "", number or "")
    return f"tel:{'+' if (number or '').strip().startswith('+') else ''}{digits}" if digits else ""
