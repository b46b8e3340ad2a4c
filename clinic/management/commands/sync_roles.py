from django.core.management.base import BaseCommand

from clinic.roles import sync_roles


class Command(BaseCommand):
    help = "Create the staff role groups and set their permissions (safe to run again)."

    def handle(self, *args, **options):
        for role, count in sync_roles().items():
            self.stdout.write(f"{role}: {count} permissions")
