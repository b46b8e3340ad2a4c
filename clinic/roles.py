"""Staff roles as Django groups, and the permissions each one holds (docs/architecture.md, "Roles and access").

`sync_roles()` makes the groups match this table; it runs from `manage.py sync_roles`, which
`seed_demo` and the deployment steps call after `migrate`. Apps add their permissions here as
they land, so the whole access policy is readable in one place.
"""

from django.contrib.auth.models import Group, Permission
from django.db import transaction

FRONT_DESK = "Front desk"
ACUPUNCTURIST = "Acupuncturist"
MANAGER = "Manager"

_PATIENT_REGISTRY = ["clinic.view_patient", "clinic.add_patient", "clinic.change_patient"]
_PATIENT_LINKS = ["clinic.view_patientlink", "clinic.add_patientlink"]
# The front desk records the administrative intake and the red-flag screen; no clinical notes.
_INTAKE_ENTRY = [
    "intake.view_intake",
    "intake.add_intake",
    "intake.change_intake",
    "intake.view_referral",
    # The letter a patient with a red flag carries to the doctor: the signs and the instructions, no notes.
    "intake.print_referral_letter",
]
_CLINICAL_READ = [
    "intake.view_intake",
    "intake.view_clinicalassessment",
    "intake.view_referral",
    "intake.view_alert",
    "treatments.view_treatmentplan",
    "treatments.view_session",
    "treatments.view_protocol",
    "outcomes.view_questionnaire",
]
_TREATMENT = [
    "treatments.view_treatmentplan",
    "treatments.add_treatmentplan",
    "treatments.change_treatmentplan",
    "treatments.view_session",
    "treatments.add_session",
    "treatments.change_session",
    "treatments.sign_session",
    "treatments.add_addendum",
    "treatments.view_protocol",
    "treatments.add_protocol",
]
_SCHEDULE_DESK = ["scheduling.view_appointment", "scheduling.add_appointment", "scheduling.change_appointment"]

ROLE_PERMISSIONS: dict[str, list[str]] = {
    FRONT_DESK: [
        *_PATIENT_REGISTRY,
        *_PATIENT_LINKS,
        *_INTAKE_ENTRY,
        # Billing: the superbill carries codes and fees, not the clinical note; payments are taken at the desk.
        "treatments.view_superbill",
        "treatments.add_payment",
        # Paper questionnaires come in at the front desk; scores are read on the clinical chart.
        "outcomes.add_questionnaire",
        # The schedule is the front desk's: it books, moves, cancels and checks in.
        *_SCHEDULE_DESK,
    ],
    ACUPUNCTURIST: [
        *_PATIENT_REGISTRY,
        *_PATIENT_LINKS,
        *_INTAKE_ENTRY,
        "intake.view_clinicalassessment",
        "intake.add_clinicalassessment",
        "intake.change_clinicalassessment",
        "intake.change_referral",
        "intake.view_alert",
        "intake.change_alert",
        *_TREATMENT,
        # The patient's right of access: their whole record, produced on request and logged as a disclosure.
        "clinic.disclose_record",
        "treatments.view_superbill",
        "treatments.add_payment",
        "outcomes.view_questionnaire",
        "outcomes.add_questionnaire",
        # A patient's record as FHIR, for another clinician or the patient (docs/fhir.md).
        "clinic.export_fhir",
        # Acupuncturists read every schedule and log sessions from it (which completes the visit).
        "scheduling.view_appointment",
        # The progress report for a payer or physician: clinical text, written and read by the clinician.
        "records.view_progressreport",
        "records.add_progressreport",
    ],
    MANAGER: [
        # The manager reads the registry; registering and editing patients is the front desk's
        # (docs/architecture.md, "Roles and access").
        "clinic.view_patient",
        *_CLINICAL_READ,
        "intake.print_referral_letter",
        "clinic.disclose_record",
        "treatments.view_superbill",
        "treatments.view_fee",
        "treatments.change_fee",
        "outcomes.view_report",
        # Progress reports are read (and printed again for a payer), not written, by the manager.
        "records.view_progressreport",
        # A patient's record as FHIR, and the whole clinic's for another system (docs/fhir.md).
        "clinic.export_fhir",
        "clinic.export_fhir_bulk",
        "auditlog.view_logentry",
        # The manager sets visit lengths, opening hours, beds and the reminder time, and reads the schedule.
        "scheduling.view_appointment",
        "scheduling.view_schedulesettings",
        "scheduling.change_schedulesettings",
        "auth.view_user",
        "auth.add_user",
        "auth.change_user",
        "clinic.view_staffprofile",
        "clinic.add_staffprofile",
        "clinic.change_staffprofile",
        # A staff member's lost phone or lockout: reset their second factor, let them sign in again (audited).
        "clinic.reset_second_factor",
        "clinic.lift_lockout",
        # A group's locations: their details, who works where, and the switch to every location's patients.
        "clinic.view_location",
        "clinic.add_location",
        "clinic.change_location",
        "clinic.view_all_locations",
    ],
}


def _permission(dotted: str) -> Permission:
    app_label, codename = dotted.split(".", 1)
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


@transaction.atomic
def sync_roles() -> dict[str, int]:
    """Create the role groups and set their permissions to exactly the table above."""
    counts = {}
    for role, perms in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        group.permissions.set([_permission(p) for p in perms])
        counts[role] = len(perms)
    return counts


def role_names(user) -> list[str]:
    return sorted(group.name for group in user.groups.all())
