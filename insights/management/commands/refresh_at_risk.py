"""Recompute every partner's at-risk flag now."""

from django.core.management.base import BaseCommand

from insights.services import partners_at_risk_refresh


class Command(BaseCommand):
    help = "Flag partners whose revenue and enablement activity are both falling (is_at_risk)."

    def handle(self, *args, **options):
        result = partners_at_risk_refresh()
        self.stdout.write(
            self.style.SUCCESS(
                f"{result['at_risk']} partner(s) at risk; {result['changed']} flag(s) changed."
            )
        )
