"""The access matrix: every named URL, every role, the status each must get (docs/architecture.md, "Roles and access").

A new URL without a row here fails `test_every_url_has_a_row`, so nobody ships a page without
deciding who may open it.
"""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from clinic.links import issue_link

# "patient": a browser holding a weekly-questionnaire link session, and nothing else.
ROLES = ["anonymous", "patient", "front_desk", "acupuncturist", "manager"]
STAFF = {"front_desk": 200, "acupuncturist": 200, "manager": 200}
LOGIN = {"anonymous": 302, "patient": 302}


def everyone(status: int = 200) -> dict[str, int]:
    return dict.fromkeys(ROLES, status)


def staff(**overrides: int) -> dict[str, int]:
    return {**LOGIN, **STAFF, **overrides}


# name -> (kwargs built from the fixture objects, expected GET status per role)
ACCESS: dict[str, tuple] = {
    "pages:dashboard": (None, staff()),
    "clinic:patient-list": (None, staff()),
    # Registering and editing patients is the front desk's (and the acupuncturist's); the manager reads.
    "clinic:patient-create": (None, staff(manager=403)),
    "pages:patient-detail": (lambda o: {"pk": o.patient.pk}, staff()),
    "clinic:patient-update": (lambda o: {"pk": o.patient.pk}, staff(manager=403)),
    "clinic:audit-log": (None, staff(front_desk=403, acupuncturist=403)),
    "clinic:location-scope": (None, everyone(405)),  # POST only
    "clinic:login": (None, {"anonymous": 200, "patient": 200, "front_desk": 302, "acupuncturist": 302, "manager": 302}),
    # Logout only accepts POST; a GET is refused for everyone.
    "clinic:logout": (None, everyone(405)),
    "clinic:password_change": (None, staff()),
    "clinic:password_change_done": (None, staff()),
    # Two-factor: anyone signed in may set it up; verifying needs a device (others are sent to set-up).
    "clinic:twofactor-setup": (None, staff()),
    # The session form's "still typing" ping: POST only.
    "clinic:stay-signed-in": (None, everyone(405)),
    "clinic:twofactor-verify": (None, staff(front_desk=302, acupuncturist=302)),
    # Backup codes: anyone signed in sees how many they have left (and is told to set up two-factor first).
    "clinic:twofactor-backup-codes": (None, staff()),
    # A staff member's second factor and lockout: the manager's, by permission (each action asks to confirm).
    "clinic:staff-signin": (None, staff(front_desk=403, acupuncturist=403)),
    "clinic:reset-second-factor": (lambda o: {"pk": o.plan.practitioner.pk}, staff(front_desk=403, acupuncturist=403)),
    "clinic:lift-lockout": (lambda o: {"pk": o.plan.practitioner.pk}, staff(front_desk=403, acupuncturist=403)),
    # The load balancer's health check: no login, reports only whether the database answers.
    "clinic:healthz": (None, everyone(200)),
    # A patient link with an unknown token: the same friendly 404 for everyone.
    "clinic:link-open": (lambda o: {"token": "not-a-real-token"}, everyone(404)),
    # Intake
    "intake:intake-create": (lambda o: {"patient_pk": o.patient.pk}, staff(manager=403)),
    "intake:intake-link-create": (lambda o: {"patient_pk": o.patient.pk}, everyone(405)),  # POST only
    "intake:intake-detail": (lambda o: {"pk": o.intake.pk}, staff()),
    "intake:intake-update": (lambda o: {"pk": o.intake.pk}, staff(manager=403)),
    "intake:assessment-update": (lambda o: {"pk": o.intake.pk}, staff(front_desk=403, manager=403)),
    "intake:intake-review": (lambda o: {"pk": o.intake.pk}, everyone(405)),  # POST only
    "intake:referral-detail": (lambda o: {"pk": o.referral.pk}, staff()),
    "intake:referral-letter": (lambda o: {"pk": o.referral.pk}, staff()),
    "records:patient-record": (lambda o: {"pk": o.patient.pk}, staff(front_desk=403)),
    # Alerts are clinical: the manager reads them (and is sent escalations), acupuncturists acknowledge them.
    "intake:alert-detail": (lambda o: {"pk": o.alert.pk}, staff(front_desk=403)),
    "intake:alert-acknowledge": (lambda o: {"pk": o.alert.pk}, everyone(405)),  # POST only
    # The patient's own form needs a link session; without one, the friendly 404.
    "intake:patient-intake": (None, everyone(404)),
    # Treatments: clinical notes are for acupuncturists; the manager reads; the front desk bills.
    "treatments:plan-create": (lambda o: {"patient_pk": o.plan.patient.pk}, staff(front_desk=403, manager=403)),
    "treatments:plan-detail": (lambda o: {"pk": o.plan.pk}, staff(front_desk=403)),
    "treatments:plan-update": (lambda o: {"pk": o.plan.pk}, staff(front_desk=403, manager=403)),
    "treatments:session-create": (lambda o: {"plan_pk": o.plan.pk}, staff(front_desk=403, manager=403)),
    # An acupuncturist's own unsigned notes; the manager follows up everyone's; the front desk reads no notes.
    "treatments:notes-to-sign": (None, staff(front_desk=403)),
    "treatments:session-detail": (lambda o: {"pk": o.session.pk}, staff(front_desk=403)),
    "treatments:session-update": (lambda o: {"pk": o.session.pk}, staff(front_desk=403, manager=403)),
    "treatments:session-sign": (lambda o: {"pk": o.session.pk}, everyone(405)),  # POST only
    "treatments:addendum-create": (lambda o: {"pk": o.signed_session.pk}, everyone(405)),  # POST only
    "treatments:superbill": (lambda o: {"pk": o.signed_session.pk}, staff()),
    "treatments:superbill-pdf": (lambda o: {"pk": o.signed_session.pk}, staff()),
    "treatments:payment-create": (lambda o: {"pk": o.signed_session.pk}, everyone(405)),  # POST only
    "treatments:protocol-list": (None, staff(front_desk=403)),
    "treatments:point-search": (None, staff(front_desk=403)),
    # Outcomes: the patient's form needs a link session; scores are clinical; the report is the manager's.
    "outcomes:patient-form": (None, {**everyone(404), "patient": 200}),
    "outcomes:questionnaire-create": (lambda o: {"patient_pk": o.patient.pk}, staff(manager=403)),
    "outcomes:questionnaire-detail": (lambda o: {"pk": o.questionnaire.pk}, staff(front_desk=403)),
    "outcomes:questionnaire-link-create": (
        lambda o: {"patient_pk": o.questionnaire.patient.pk, "due": o.questionnaire.due_date.isoformat()},
        everyone(405),  # POST only
    ),
    "outcomes:patient-warning-signs": (None, everyone(405)),  # POST only
    # Scheduling: the front desk books, moves, cancels and checks in; acupuncturists read every schedule and
    # log the session from an appointment; the manager reads it and sets its hours and lengths.
    "pages:day-sheet": (None, staff()),
    "scheduling:week-view": (None, staff()),
    "scheduling:appointment-create": (lambda o: {"patient_pk": o.patient.pk}, staff(acupuncturist=403, manager=403)),
    "scheduling:appointment-detail": (lambda o: {"pk": o.appointment.pk}, staff()),
    "scheduling:appointment-move": (lambda o: {"pk": o.appointment.pk}, everyone(405)),  # POST only
    "scheduling:appointment-cancel": (lambda o: {"pk": o.appointment.pk}, everyone(405)),  # POST only
    "scheduling:appointment-check-in": (lambda o: {"pk": o.appointment.pk}, everyone(405)),  # POST only
    "scheduling:appointment-no-show": (lambda o: {"pk": o.appointment.pk}, everyone(405)),  # POST only
    "scheduling:appointment-complete": (lambda o: {"pk": o.appointment.pk}, everyone(405)),  # POST only
    "scheduling:appointment-session": (lambda o: {"pk": o.appointment.pk}, staff(front_desk=403, manager=403)),
    "scheduling:course-book": (lambda o: {"plan_pk": o.plan.pk}, staff(acupuncturist=403, manager=403)),
    "scheduling:schedule-settings": (None, staff(front_desk=403, acupuncturist=403)),
    # Records that leave the clinic: the progress report is clinical text; acupuncturists write it, managers read it.
    "records:progress-report-create": (lambda o: {"plan_pk": o.plan.pk}, staff(front_desk=403, manager=403)),
    "records:progress-report-detail": (lambda o: {"pk": o.progress_report.pk}, staff(front_desk=403)),
    "records:progress-report-pdf": (lambda o: {"pk": o.progress_report.pk}, staff(front_desk=403)),
    "outcomes:report": (None, staff(front_desk=403, acupuncturist=403)),
    "outcomes:report-csv": (None, staff(front_desk=403, acupuncturist=403)),
    "outcomes:report-locations-csv": (None, staff(front_desk=403, acupuncturist=403)),
    # Records that leave the clinic: a patient's FHIR Bundle for clinicians and managers, the whole clinic's
    # bulk export for the manager (docs/fhir.md).
    "records:patient-fhir": (lambda o: {"pk": o.patient.pk}, staff(front_desk=403)),
    "records:fhir-bulk": (None, staff(front_desk=403, acupuncturist=403)),
}

# The Django admin guards itself (is_staff plus model permissions) and is tested by Django.
SKIPPED_NAMESPACES = {"admin"}


def named_urls(resolver=None, namespace: str = "") -> list[str]:
    names = []
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            if entry.namespace in SKIPPED_NAMESPACES:
                continue
            names += named_urls(entry, inner)
        elif isinstance(entry, URLPattern) and entry.name:
            names.append(f"{namespace}{entry.name}")
    return names


def test_every_url_has_a_row():
    missing = sorted(set(named_urls()) - set(ACCESS))
    assert not missing, f"URLs without a row in the access table: {missing}"
    stale = sorted(set(ACCESS) - set(named_urls()))
    assert not stale, f"Rows for URLs that no longer exist: {stale}"


CASES = [(name, role) for name in ACCESS for role in ROLES]


@pytest.mark.parametrize(("name", "role_client"), CASES, indirect=["role_client"])
def test_access(name, role_client, objects, request):
    kwargs_for, expected = ACCESS[name]
    role = request.node.callspec.params["role_client"]
    if role == "patient":
        _, token = issue_link(
            patient=objects.questionnaire.patient, purpose="questionnaire", subject=objects.questionnaire
        )
        assert role_client.get(reverse("clinic:link-open", args=[token])).status_code == 302
    url = reverse(name, kwargs=kwargs_for(objects) if kwargs_for else None)
    response = role_client.get(url)
    assert response.status_code == expected[role], f"{role} GET {url}"
    if response.status_code == 302 and role in {"anonymous", "patient"} and name not in {"clinic:login"}:
        assert response["Location"].startswith(reverse("clinic:login"))
