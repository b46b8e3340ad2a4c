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


@register.simple_tag
def mark_red_flags(patients) -> str:
    """Mark each listed patient (rows with a `pk`) who has an open referral: one query for the whole page.

    Sets `red_flag` on each row to "emergency" (possible cauda equina), "urgent" or None, for the
    patient list and search results to show beside the name.
    """
    rows = list(patients)
    open_referrals = Referral.objects.open().filter(patient__in=[row["pk"] for row in rows])
    flagged: dict[int, str] = {}
    for patient_id, emergency in open_referrals.values_list("patient_id", "is_emergency"):
        if emergency or patient_id not in flagged:
            flagged[patient_id] = "emergency" if emergency else "urgent"
    for row in rows:
        row["red_flag"] = flagged.get(row["pk"])
    return ""
