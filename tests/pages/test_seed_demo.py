from django.contrib.auth import authenticate
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import RequestFactory

from clinic.models import Patient
from pages.demo import DEMO_PATIENTS, DEMO_STAFF


def test_seed_demo_is_idempotent_and_logins_work(db):
    call_command("seed_demo")
    call_command("seed_demo")
    assert Patient.objects.count() == len(DEMO_PATIENTS) >= 30
    assert User.objects.count() == len(DEMO_STAFF)
    for username, password, role, *_ in DEMO_STAFF:
        user = authenticate(RequestFactory().post("/accounts/login/"), username=username, password=password)
        assert user is not None, username
        assert list(user.groups.values_list("name", flat=True)) == [role]
    assert Patient.objects.values("chart_number").distinct().count() == Patient.objects.count()


def test_seeded_patients_pass_the_registration_form(db):
    """The demo data is realistic: every patient would pass the form staff use."""
    from clinic.forms import PatientForm

    call_command("seed_demo")
    for patient in Patient.objects.all():
        data = {f: getattr(patient, f) for f in PatientForm.Meta.fields}
        form = PatientForm(data=data, instance=patient)
        assert form.is_valid(), (patient, form.errors)


def test_seed_demo_gives_patients_a_clinical_history_once(db):
    from intake.models import Alert, Intake, Referral
    from treatments.models import Session, TreatmentPlan

    call_command("seed_demo")
    counts = (Intake.objects.count(), TreatmentPlan.objects.count(), Session.objects.count())
    call_command("seed_demo")
    assert (Intake.objects.count(), TreatmentPlan.objects.count(), Session.objects.count()) == counts
    assert counts[0] >= 20 and counts[1] >= 20 and counts[2] >= 100
    # A red flag at intake, and a warning sign reported between visits: each an open referral and an alert.
    assert Referral.objects.open().count() == 2
    assert sorted(Alert.objects.open().values_list("kind", flat=True)) == [
        "red_flag_at_intake",
        "red_flag_between_visits",
    ]
    # Baselines answered before the first session, but one answered that evening, after it.
    assert TreatmentPlan.objects.filter(baseline_before_treatment=False).count() == 1
    assert TreatmentPlan.objects.filter(baseline_before_treatment=True).count() >= 20
    assert Intake.objects.filter(pregnant=True).count() == 1
    # Every plan's latest note is left to sign; the earlier ones are signed.
    assert Session.objects.filter(signed_at__isnull=True).count() == counts[1]
    for choice_field in ("pain_side", "suspected_cause", "sleep_quality"):
        allowed = {value for value, _ in Intake._meta.get_field(choice_field).choices}
        assert set(Intake.objects.values_list(choice_field, flat=True)) <= allowed
