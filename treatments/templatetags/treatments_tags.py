"""The navigation's count of the signed-in practitioner's notes to sign (base.html)."""

from django import template

from treatments.models import Session

register = template.Library()


@register.simple_tag(takes_context=True)
def notes_to_sign_count(context) -> int | None:
    """How many of the user's session notes are unsigned: one COUNT, made only for those who sign notes
    (None for everyone else, who gets no badge and no query)."""
    user = context.get("user")
    if user is None or not user.has_perm("treatments.sign_session"):
        return None
    return Session.objects.visible_to(user).unsigned().filter(practitioner=user).count()
