"""Send the weekly insights digest to the channel managers now."""

from django.core.management.base import BaseCommand

from insights.services import weekly_digest_send


class Command(BaseCommand):
    help = "E-mail the weekly segment insights digest to every active staff user with an e-mail."

    def handle(self, *args, **options):
        sent = weekly_digest_send()
        self.stdout.write(self.style.SUCCESS(f"Digest sent to {sent} manager(s)."))
