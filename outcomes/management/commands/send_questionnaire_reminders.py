from django.conf import settings
from django.core.management.base import BaseCommand
from django.urls import reverse
from django.utils import timezone

from outcomes.services import send_reminders


class Command(BaseCommand):
    help = (
        "Schedule the questionnaires that have fallen due and email each patient their link. "
        "Idempotent: run it from cron as often as you like; nothing is sent twice."
    )

    def handle(self, *args, **options):
        base = settings.SITE_URL.rstrip("/")
        sent = send_reminders(
            today=timezone.localdate(), build_url=lambda token: f"{base}{reverse('clinic:link-open', args=[token])}"
        )
        self.stdout.write(f"{sent} questionnaire reminder(s) sent.")
