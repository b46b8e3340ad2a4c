from django.conf import settings
from django.core.management.base import BaseCommand
from django.urls import reverse
from django.utils import timezone

from outcomes.services import drop_stale_drafts, send_reminders
from scheduling.services import send_appointment_reminders


class Command(BaseCommand):
    help = (
        "Schedule the questionnaires that have fallen due and email each patient their link, and email each "
        "booked patient their appointment reminder (with a calendar file) the clinic's set number of hours "
        "before the visit. Idempotent: run it from cron as often as you like (hourly in the day, so "
        "appointment reminders go out on time); nothing is sent twice. It also empties the answers saved so far "
        "(never sent) of questionnaires no link can reach any more."
    )

    def handle(self, *args, **options):
        base = settings.SITE_URL.rstrip("/")
        sent = send_reminders(
            today=timezone.localdate(), build_url=lambda token: f"{base}{reverse('clinic:link-open', args=[token])}"
        )
        appointments = send_appointment_reminders(now=timezone.now())
        dropped = drop_stale_drafts(now=timezone.now())
        self.stdout.write(
            f"{sent} questionnaire reminder(s) sent. {appointments} appointment reminder(s) sent. "
            f"{dropped} unsent questionnaire draft(s) dropped."
        )
