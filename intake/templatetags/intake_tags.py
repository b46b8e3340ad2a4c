from django import template

from intake.models import Referral

register = template.Library()


@register.inclusion_tag("intake/red_flag_banner.html", takes_context=True)
def red_flag_banner(context, patient):
    """The red banner every page of a patient with an open referral shows (one query)."""
    referrals = list(Referral.objects.open().filter(patient=patient))
    return {"referrals": referrals, "perms": context.get("perms")}
