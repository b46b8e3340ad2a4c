from django.core.management.base import BaseCommand
from django.utils import timezone

from intake.alerts import escalate


class Command(BaseCommand):
    help = (
        "Send again any urgent alert whose first message failed, and send the managers every alert nobody has "
        "acknowledged within ALERT_ESCALATE_MINUTES. Idempotent: run it from cron every few minutes."
    )

    def handle(self, *args, **options):
        sent, escalated = escalate(now=timezone.now())
        self.stdout.write(f"{sent} alert(s) sent again, {escalated} escalated to the managers.")
