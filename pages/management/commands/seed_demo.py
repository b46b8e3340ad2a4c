from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand
from django.db import transaction

from clinic.models import Patient, StaffProfile
from clinic.roles import MANAGER, sync_roles
from clinic.services import register_patient
from pages.demo import DEMO_PASSWORD_NOTE, DEMO_PATIENTS, DEMO_STAFF, seed_history, seed_schedule


class Command(BaseCommand):
    help = (
        "Load the demo clinic: one login per role, about 30 patients, this week's and next week's appointments. "
        "Safe to run again."
    )

    @transaction.atomic
    def handle(self, *args, **options):
        sync_roles()
        for username, password, role, first, last, credentials, licence, state, npi in DEMO_STAFF:
            user, created = User.objects.get_or_create(username=username)
            if created:
                user.set_password(password)
            user.first_name, user.last_name = first, last
            user.email = f"{username}@clinic.example"
            user.is_staff = role == MANAGER  # the manager runs staff accounts in the admin
            user.save()
            user.groups.set([Group.objects.get(name=role)])
            StaffProfile.objects.update_or_create(
                user=user,
                defaults={"credentials": credentials, "licence_number": licence, "licence_state": state, "npi": npi},
            )
        added = 0
        for index, (given, family, dob, sex, phone, email, city, contact) in enumerate(DEMO_PATIENTS):
            if Patient.objects.filter(given_name=given, family_name=family, date_of_birth=dob).exists():
                continue
            register_patient(
                patient=Patient(
                    given_name=given,
                    family_name=family,
                    date_of_birth=dob,
                    sex=sex,
                    phone=phone,
                    email=email,
                    preferred_contact=contact,
                    address_line=f"{100 + index * 7} {['Oak', 'Maple', 'Cedar', 'Elm', 'Walnut'][index % 5]} Street",
                    city=city,
                    state="IL",
                    postal_code=f"627{index % 10:02d}",
                    emergency_contact_name=f"{['Alex', 'Sam', 'Jordan', 'Chris', 'Pat'][index % 5]} {family}",
                    emergency_contact_relationship=["spouse", "partner", "daughter", "son", "sibling"][index % 5],
                    emergency_contact_phone=f"(217) 555-{200 + index:04d}",
                )
            )
            added += 1
        practitioner, front_desk = User.objects.get(username="acupuncturist"), User.objects.get(username="frontdesk")
        history = seed_history(practitioner=practitioner, front_desk=front_desk)
        booked = seed_schedule(practitioner=practitioner, front_desk=front_desk)
        self.stdout.write(
            f"Demo clinic ready: {len(DEMO_STAFF)} staff logins, {added} patients added, {history} given a history, "
            f"{booked} appointments booked."
        )
        self.stdout.write(DEMO_PASSWORD_NOTE)
