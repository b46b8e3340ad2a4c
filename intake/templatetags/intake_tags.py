from django import template

from intake.models import Referral

register = template.Library()


@register.inclusion_tag("intake/red_flag_banner.html", takes_context=True)
def red_flag_banner(context, patient):
    """The red banner every page of a patient with an open referral shows.

    One query, unless the view already read the patient's referrals (`patient_referrals`).
    """
    read = context.get("patient_referrals")
    if read is None:
        referrals = list(Referral.objects.open().filter(patient=patient))
    else:
        referrals = [r for r in read if r.is_open]
    return {"referrals": referrals, "perms": context.get("perms")}
