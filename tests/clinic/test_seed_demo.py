from django.contrib.auth import authenticate
from django.contrib.auth.models import User
from django.core.management import call_command

from clinic.demo import DEMO_PATIENTS, DEMO_STAFF
from clinic.models import Patient


def test_seed_demo_is_idempotent_and_logins_work(db):
    call_command("seed_demo")
    call_command("seed_demo")
    assert Patient.objects.count() == len(DEMO_PATIENTS) >= 30
    assert User.objects.count() == len(DEMO_STAFF)
    for username, password, role, *_ in DEMO_STAFF:
        user = authenticate(username=username, password=password)
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
